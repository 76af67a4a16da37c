{#-
    The calendar of metric units: each metric day of int_metric_days with the start and
    end of the period it belongs to at every grain ('day', ISO 'week' from Monday,
    'month', 'quarter', 'half_year' from 1 January or 1 July). Minimal version made on
    the ai branch; the units branch owns the shared calendar (reconcile at merge).
-#}

with

days as (
    select * from {{ ref('int_metric_days') }}
),

grains as (
    select unnest(['day', 'week', 'month', 'quarter', 'half_year']) as period_grain
),

period_starts as (
    select
        days.metric_date,
        grains.period_grain,
        case grains.period_grain
            when 'day' then days.metric_date
            when 'week' then cast(date_trunc('week', days.metric_date) as date)
            when 'month' then cast(date_trunc('month', days.metric_date) as date)
            when 'quarter' then cast(date_trunc('quarter', days.metric_date) as date)
            when 'half_year' then make_date(
                year(days.metric_date), case when month(days.metric_date) <= 6 then 1 else 7 end, 1
            )
        end as period_start
    from days
    cross join grains
),

periods as (
    select
        metric_date,
        period_grain,
        period_start,
        case period_grain
            when 'day' then period_start
            when 'week' then period_start + 6
            when 'month' then cast(period_start + interval 1 month as date) - 1
            when 'quarter' then cast(period_start + interval 3 month as date) - 1
            when 'half_year' then cast(period_start + interval 6 month as date) - 1
        end as period_end
    from period_starts
)

select * from periods
