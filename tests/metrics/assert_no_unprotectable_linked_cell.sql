-- Linked suppression protected every suppressed cell (tsw/privacy.py, docs/privacy.md):
-- no suppressed non-zero part is still determined by the published cells because no
-- suppressible cell could hide it. Each row names such a cell (a hard failure: the
-- release would publish a recoverable value).
{{ config(enabled=var('linked_suppression') | as_bool) }}

with

daily as (

    select * from {{ ref('int_metric_linked_suppression__daily') }}

),

periodic as (

    select * from {{ ref('int_metric_linked_suppression__periodic') }}

),

unprotectable_cells as (

    select
        'daily' as period_grain,
        metric_date as period_start,
        {%- for column in segment_columns() %}
            {{ column }},
        {%- endfor %}
        metric_name
    from daily
    where unprotectable

    union all

    select
        period_grain,
        period_start,
        {%- for column in segment_columns() %}
            {{ column }},
        {%- endfor %}
        metric_name
    from periodic
    where unprotectable

)

select * from unprotectable_cells
