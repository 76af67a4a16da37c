-- Every metric day with the reporting period it belongs to at each grain (quarter,
-- half_year, year), so facts find their period by one equality join on the day.
with

metric_days as (

    select * from {{ ref('int_metric_days') }}

),

grains as (

    select
        'quarter' as period_grain,
        3 as months_in_period
    union all
    select
        'half_year' as period_grain,
        6 as months_in_period
    union all
    select
        'year' as period_grain,
        12 as months_in_period

),

period_starts as (

    select
        metric_days.metric_date,
        grains.period_grain,
        grains.months_in_period,
        make_date(
            year(metric_days.metric_date),
            cast(
                floor((month(metric_days.metric_date) - 1) / grains.months_in_period)
                * grains.months_in_period + 1 as integer
            ),
            1
        ) as period_start
    from metric_days
    cross join grains

),

periods as (

    select
        metric_date,
        period_grain,
        months_in_period,
        period_start,
        cast(period_start + to_months(months_in_period) - interval 1 day as date) as period_end,
        case period_grain
            when 'quarter' then concat(year(period_start), 'Q', cast((month(period_start) + 2) / 3 as integer))
            when 'half_year' then concat(year(period_start), 'H', cast((month(period_start) + 5) / 6 as integer))
            else cast(year(period_start) as string)
        end as period_label
    from period_starts

)

select * from periods
