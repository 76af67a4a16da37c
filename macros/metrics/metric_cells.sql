{#-
    The central part of every published metric row (metrics.md, "Parts, not only
    ratios"): each grid cell joined to its unit's parts, zero-filled, valued by unit,
    with its interval, finality and knowledge instant. One macro for both grains:
    grain = 'day' (int_metric_grid, keyed by metric_date) or 'period'
    (int_metric_period_grid, keyed by period_grain, period_start, period_end).
-#}

{% macro metric_cells(grain) -%}
    {%- if grain == 'day' -%}
        {%- set grid_model = 'int_metric_grid' -%}
        {%- set date_keys = ['metric_date'] -%}
        {%- set final_day = 'metric_date' -%}
    {%- else -%}
        {%- set grid_model = 'int_metric_period_grid' -%}
        {%- set date_keys = ['period_grain', 'period_start', 'period_end', 'is_partial_period'] -%}
        {%- set final_day = 'period_end' -%}
    {%- endif %}

    with

    grid as (

        select * from {{ ref(grid_model) }}

    ),

    metric_values as (

        select * from {{ ref('int_metric_values') }}
        where period_grain {{ "= 'day'" if grain == 'day' else "<> 'day'" }}

    ),

    registry as (

        select * from {{ ref('metric_registry') }}

    ),

    cells as (

        select
            {%- for key in date_keys %}
                grid.{{ key }},
            {%- endfor %}
            grid.metric_name,
            cast(registry.metric_version as integer) as metric_version,
            registry.unit,
            registry.direction,
            cast(registry.maturity_days as integer) as maturity_days,
            registry.suppression_rule,
            grid.grouping_name,
            grid.grouping_column_1,
            grid.grouping_column_2,
            {%- for column in segment_columns() %}
                grid.{{ column }},
            {%- endfor %}
            metric_values.numerator as unit_numerator,
            metric_values.denominator as unit_denominator,
            metric_values.sample_size as unit_sample_size,
            metric_values.sum_weight_squared as unit_sum_weight_squared,
            metric_values.value as unit_value,
            metric_values.ci_lower as unit_ci_lower,
            metric_values.ci_upper as unit_ci_upper
        from grid
        inner join registry
            on grid.metric_name = registry.metric_name
        left join metric_values
            on
                grid.metric_name = metric_values.metric_name
                {%- if grain == 'day' %}
                    and grid.metric_date = metric_values.period_start
                {%- else %}
                    and grid.period_grain = metric_values.period_grain
                    and grid.period_start = metric_values.period_start
                {%- endif %}
                {%- for column in segment_columns() %}
                    and grid.{{ column }} = metric_values.{{ column }}
                {%- endfor %}

    ),

    zero_filled as (

        -- Counts and rates have parts (an empty cell is 0 of 0); quantiles and
        -- coefficients have only a value, null when there is nothing to summarise.
        select
            *,
            case
                when unit in ('count', 'proportion', 'per_10k', 'per_1k')
                    then coalesce(unit_numerator, 0.0)
            end as numerator,
            case
                when unit in ('proportion', 'per_10k', 'per_1k')
                    then coalesce(unit_denominator, 0.0)
            end as denominator,
            coalesce(unit_sample_size, 0) as sample_size,
            case when unit = 'proportion' then unit_sum_weight_squared end as sum_weight_squared
        from cells

    ),

    valued as (

        select
            *,
            case
                when unit = 'count' then numerator
                when unit = 'proportion' then {{ weighted_proportion('numerator', 'denominator') }}
                when unit = 'per_10k' and denominator > 0 then numerator * 10000.0 / denominator
                when unit = 'per_1k' and denominator > 0 then numerator * 1000.0 / denominator
                when unit in ('hours', 'coefficient') then unit_value
            end as value,
            -- A weighted proportion's interval uses Kish's effective n, not the sum of weights.
            case
                when unit = 'proportion' and sum_weight_squared is not null
                    then {{ kish_effective_n('denominator', 'sum_weight_squared') }}
                when unit = 'proportion' then denominator
            end as interval_sample_size
        from zero_filled

    ),

    with_intervals as (

        select
            {%- for key in date_keys %}
                {{ key }},
            {%- endfor %}
            metric_name,
            metric_version,
            unit,
            direction,
            maturity_days,
            suppression_rule,
            grouping_name,
            grouping_column_1,
            grouping_column_2,
            {%- for column in segment_columns() %}
                {{ column }},
            {%- endfor %}
            numerator,
            denominator,
            value,
            sample_size,
            sum_weight_squared,
            interval_sample_size,
            case
                when unit = 'proportion' then {{ wilson_interval_lower('value', 'interval_sample_size') }}
                when unit = 'coefficient' then unit_ci_lower
            end as ci_lower,
            case
                when unit = 'proportion' then {{ wilson_interval_upper('value', 'interval_sample_size') }}
                when unit = 'coefficient' then unit_ci_upper
            end as ci_upper,
            {{ is_final(final_day, 'maturity_days') }} as is_final,
            {{ finalization_instant(final_day, 'maturity_days') }} as finalization_instant,
            {{ as_of_date_literal() }} as as_of_date
        from valued

    )

    select * from with_intervals
{%- endmacro %}
