{#-
    The published period rollups (metrics.md, "Period rollups"): every metric at the
    grains week (ISO week, Monday to Sunday), month, quarter and half_year, recomputed by
    the metric units from the underlying rows (never from daily rates), zero-filled on
    int_metric_period_grid and suppressed like metrics_daily within one metric, period
    and grouping (macro suppress_small_cells). metric_date is the period's first day;
    is_final when the period's last day is final; is_partial_period when the period
    starts before the data's first day or ends after the as-of date.
-#}

with

unsuppressed as (

    select
        *,
        period_start as metric_date,
        {{ sibling_segment_values() }}
    from {{ ref('fct_metrics_periodic_unsuppressed') }}

),

suppressed as (

    {{ suppress_small_cells(
        'unsuppressed',
        group_key=['metric_name', 'period_grain', 'period_start', 'grouping_name'],
        sibling_columns=['segment_value_1', 'segment_value_2'],
        cell_key=['metric_name', 'period_grain', 'period_start'] + segment_columns(),
        applies="suppression_rule = 'small_cell'",
    ) }}

),

published as (

    select
        cast(period_grain as varchar) as period_grain,
        {{ metric_published_columns(['period_start', 'period_end', 'metric_date']) }},
        cast(is_partial_period as boolean) as is_partial_period
    from suppressed

)

select * from published
