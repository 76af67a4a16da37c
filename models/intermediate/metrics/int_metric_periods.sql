{#-
    The period calendar of metric units: every day of the spine (int_metric_days) with
    each period it falls in, at every grain of macro period_grains: `day` (the day
    itself), `week` (ISO week, Monday to Sunday), `month`, `quarter`, `half_year`
    (January-June, July-December). Periods are whole calendar periods; one that starts
    before the spine's first day or ends after the as-of date is partial.
-#}

with

days as (

    select * from {{ ref('int_metric_days') }}

),

day_periods as (

    select
        metric_date,
        'day' as period_grain,
        metric_date as period_start
    from days

    union all

    select
        metric_date,
        'week' as period_grain,
        cast(date_trunc('week', metric_date) as date) as period_start
    from days

    union all

    select
        metric_date,
        'month' as period_grain,
        cast(date_trunc('month', metric_date) as date) as period_start
    from days

    union all

    select
        metric_date,
        'quarter' as period_grain,
        cast(date_trunc('quarter', metric_date) as date) as period_start
    from days

    union all

    select
        metric_date,
        'half_year' as period_grain,
        make_date(year(metric_date), case when month(metric_date) <= 6 then 1 else 7 end, 1) as period_start
    from days

),

periods as (

    select
        metric_date,
        period_grain,
        period_start,
        cast(
            case period_grain
                when 'day' then period_start
                when 'week' then period_start + 6
                when 'month' then {{ last_day_of_months('period_start', 1) }}
                when 'quarter' then {{ last_day_of_months('period_start', 3) }}
                when 'half_year' then {{ last_day_of_months('period_start', 6) }}
            end as date
        ) as period_end
    from day_periods

)

select * from periods
