-- Complementary suppression is complete: no sibling set of metrics_daily (one metric,
-- day and grouping; cells equal in every segment column but one) has exactly one
-- suppressed cell while a non-empty sibling could have been suppressed with it, so no
-- suppressed value can be recovered by subtraction from the set's total.
with

published as (

    select * from {{ ref('metrics_daily') }}

),

unsuppressed as (

    select * from {{ ref('fct_metrics_daily_unsuppressed') }}

),

cells as (

    select
        published.*,
        unsuppressed.grouping_name,
        unsuppressed.sample_size as unsuppressed_sample_size,
        unnest([unsuppressed.grouping_column_1, unsuppressed.grouping_column_2]) as varied_column
    from published
    inner join unsuppressed
        on
            published.metric_name = unsuppressed.metric_name
            and published.metric_date = unsuppressed.metric_date
            and published.age_band = unsuppressed.age_band
            and published.region = unsuppressed.region
            and published.plan = unsuppressed.plan
            and published.surface = unsuppressed.surface
            and published.policy_category = unsuppressed.policy_category
            and published.feature = unsuppressed.feature

),

sibling_sets as (

    select
        metric_name,
        metric_date,
        grouping_name,
        varied_column,
        {%- for column in ['age_band', 'region', 'plan', 'surface', 'policy_category', 'feature'] %}
            case when varied_column = '{{ column }}' then 'all' else {{ column }} end as set_{{ column }},
        {%- endfor %}
        count_if(is_suppressed) as suppressed_cells,
        count_if(not is_suppressed and unsuppressed_sample_size > 0) as non_empty_unsuppressed_cells
    from cells
    where varied_column is not null
    group by all

),

lone_suppressed_cells as (

    select *
    from sibling_sets
    where suppressed_cells = 1 and non_empty_unsuppressed_cells > 0

)

select * from lone_suppressed_cells
