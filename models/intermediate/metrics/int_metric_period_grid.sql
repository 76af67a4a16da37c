{#-
    Every published period cell: each metric cell (int_metric_cells) x every period of
    int_metric_periods at the grains week, month, quarter and half_year. A period is
    partial (is_partial_period) when it starts before the spine's first day or ends
    after the as-of date.
-#}

with

cells as (

    select * from {{ ref('int_metric_cells') }}

),

day_periods as (

    select * from {{ ref('int_metric_periods') }}

),

periods as (

    select
        period_grain,
        period_start,
        any_value(period_end) as period_end,
        min(metric_date) > period_start or any_value(period_end) > {{ as_of_date_literal() }} as is_partial_period
    from day_periods
    where period_grain <> 'day'
    group by period_grain, period_start

),

grid as (

    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_partial_period,
        cells.*
    from cells
    cross join periods

)

select * from grid
