{#-
    The published period rollups (metrics.md, "Period rollups"): every metric at the
    grains week (ISO week, Monday to Sunday), month, quarter and half_year, recomputed by
    the metric units from the underlying rows (never from daily rates), zero-filled on
    int_metric_period_grid and suppressed like metrics_daily within one metric, period
    and grouping (macro suppress_small_cells, in int_metric_suppression__periodic)
    and across groupings and metrics (int_metric_linked_suppression__periodic).
    metric_date is the period's first day; is_final when the period's last day is final; is_partial_period when the period
    starts before the data's first day or ends after the as-of date.
-#}

with

suppressed as (

    select * from {{ ref('int_metric_suppression__periodic') }}

),

protected as (

    {{ with_linked_suppression(
        'suppressed', 'int_metric_linked_suppression__periodic', ['period_grain', 'period_start']
    ) }}

),

published as (

    select
        cast(period_grain as string) as period_grain,
        {{ metric_published_columns(['period_start', 'period_end', 'metric_date']) }},
        cast(is_partial_period as boolean) as is_partial_period
    from protected

)

select * from published
