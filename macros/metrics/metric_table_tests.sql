{#- The checks every published metric table gets (metrics_daily, metrics_periodic), as singular-test bodies. -#}

{% macro metric_rollups_not_additive(model, date_keys) -%}
    -- Rollups are recomputed from events, never from published rows (metrics.md), so
    -- whenever a breakdown partitions the units, a cell's parts equal the sums of its
    -- children's parts: for every grouped column c of every cell, summing the sibling set
    -- over c gives the cell with c = 'all' (the total for a single-column grouping, the
    -- single-column cell for a crossed one). A rate's `all` row is then summed numerators
    -- over summed denominators. Checked on the unsuppressed fact, for every registry metric.
    -- The breakdowns that do not partition the units, by definition:
{%- set not_additive = [
    ('numerator', "metric_name = 'active_users'", 'surface',
        'a user active on two surfaces counts once in all'),
    ('denominator', "metric_name = 'violating_view_rate'", 'policy_category',
        'every category row divides by all labeled impressions of the cell'),
    ('denominator', "unit in ('per_10k', 'per_1k')", 'surface',
        'the active users of the cell across all surfaces divide every surface'),
] %}
{%- for part, _, column, reason in not_additive %}
--   {{ part }} across {{ column }}: {{ reason }}
{%- endfor %}

{%- set columns = segment_columns() %}

with

metrics as (

    select * from {{ ref(model) }}

),

additive_metrics as (

    select *
    from metrics
    where unit in ('count', 'proportion', 'per_10k', 'per_1k')

),

child_cells as (

    select
        metric_name,
        unit,
        {{ date_keys | join(', ') }},
        numerator,
        denominator,
        {%- for column in columns %}
            {{ column }},
        {%- endfor %}
        {{ explode_list(list_of(['grouping_column_1', 'grouping_column_2'])) }} as varied_column
    from additive_metrics

),

sibling_sums as (

    select
        metric_name,
        unit,
        {{ date_keys | join(', ') }},
        varied_column,
        {%- for column in columns %}
            case when varied_column = '{{ column }}' then 'all' else {{ column }} end as parent_{{ column }},
        {%- endfor %}
        sum(numerator) as summed_numerator,
        sum(denominator) as summed_denominator
    from child_cells
    where varied_column is not null
    group by all

),

compared as (

    select
        sibling_sums.*,
        parents.numerator as parent_numerator,
        parents.denominator as parent_denominator,
        (
            false
            {%- for part, condition, column, _ in not_additive if part == 'numerator' %}
                or (sibling_sums.varied_column = '{{ column }}' and sibling_sums.{{ condition }})
            {%- endfor %}
        ) as numerator_is_exempt,
        (
            false
            {%- for part, condition, column, _ in not_additive if part == 'denominator' %}
                or (sibling_sums.varied_column = '{{ column }}' and sibling_sums.{{ condition }})
            {%- endfor %}
        ) as denominator_is_exempt
    from sibling_sums
    left join additive_metrics as parents
        on
            sibling_sums.metric_name = parents.metric_name
            {%- for key in date_keys %}
                and sibling_sums.{{ key }} = parents.{{ key }}
            {%- endfor %}
            {%- for column in columns %}
                and sibling_sums.parent_{{ column }} = parents.{{ column }}
            {%- endfor %}

),

not_additive as (

    select *
    from compared
    where
        parent_numerator is null and parent_denominator is null
        or (
            not numerator_is_exempt
            and abs(summed_numerator - parent_numerator) > 1e-9 * greatest(1.0, abs(parent_numerator))
        )
        or (
            not denominator_is_exempt
            and abs(summed_denominator - parent_denominator) > 1e-9 * greatest(1.0, abs(parent_denominator))
        )

)

select * from not_additive
{%- endmacro %}

{% macro metric_lone_suppressed_siblings(published_model, unsuppressed_model, date_keys) -%}
-- Complementary suppression is complete: no sibling set of metrics_daily (one metric,
-- day and grouping; cells equal in every segment column but one) has exactly one
-- suppressed cell while a non-empty sibling could have been suppressed with it, so no
-- suppressed value can be recovered by subtraction from the set's total.
with

published as (

    select * from {{ ref(published_model) }}

),

unsuppressed as (

    select * from {{ ref(unsuppressed_model) }}

),

cells as (

    select
        published.*,
        unsuppressed.grouping_name,
        unsuppressed.sample_size as unsuppressed_sample_size,
        {{ explode_list(list_of(['unsuppressed.grouping_column_1', 'unsuppressed.grouping_column_2'])) }} as varied_column
    from published
    inner join unsuppressed
        on
            published.metric_name = unsuppressed.metric_name
            {%- for key in date_keys %}
                and published.{{ key }} = unsuppressed.{{ key }}
            {%- endfor %}
            {%- for column in segment_columns() %}
                and published.{{ column }} = unsuppressed.{{ column }}
            {%- endfor %}

),

sibling_sets as (

    select
        metric_name,
        {{ date_keys | join(', ') }},
        grouping_name,
        varied_column,
        {%- for column in segment_columns() %}
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
{%- endmacro %}
