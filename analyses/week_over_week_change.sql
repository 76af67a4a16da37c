{#-
    Week-over-week change of a proportion metric, with intervals.

    Question: "Did violating_view_rate move this week, beyond noise?" For one segment
    cell (all segments by default), each ISO week (Monday start) pools its days' published
    numerators and denominators (summed, never an average of daily rates) with a 95%
    Wilson interval, and compares it with the previous week: the difference with a 95%
    Newcombe (hybrid score) interval built from the two Wilson intervals, and the
    relative change. `changed` is true when the difference interval excludes 0.

    Reads metrics_daily (published). Suppressed days carry no numbers: they are left out
    of the pool and counted in `suppressed_days`; `final_days` says how many of the
    week's days are final (a week with non-final days can still move). A week is
    `is_complete` when it has 7 published, unsuppressed days. Weighted metrics need an
    effective n, recovered from each day's published Wilson interval (centre c, value p:
    n = z^2 (1/2 - c) / (c - p)); the week's is Kish's
    (sum of denominators)^2 / sum(denominator^2 / n).

    Run against the published release (what readers read):
    .venv/bin/dbt compile --target serving --select week_over_week_change, then
    .venv/bin/duckdb -readonly warehouse/serving/current/metrics.duckdb \
        < target/compiled/tsw/analyses/week_over_week_change.sql
-#}

{%- set metric_name = 'violating_view_rate' %}
{%- set segment = {
    'age_band': 'all', 'region': 'all', 'plan': 'all',
    'surface': 'all', 'policy_category': 'all', 'feature': 'all',
} %}

with

metrics as (

    select * from {{ ref('metrics_daily') }}

),

segment_days as (

    select
        metric_date,
        cast(date_trunc('week', metric_date) as date) as week_start_date,
        is_final,
        is_suppressed,
        numerator,
        denominator,
        sample_size,
        {{ wilson_effective_n('value', 'ci_lower', 'ci_upper', 'denominator', 'sample_size') }}
            as effective_n
    from metrics
    where
        metric_name = '{{ metric_name }}'
        and age_band = '{{ segment.age_band }}'
        and region = '{{ segment.region }}'
        and plan = '{{ segment.plan }}'
        and surface = '{{ segment.surface }}'
        and policy_category = '{{ segment.policy_category }}'
        and feature = '{{ segment.feature }}'

),

weeks as (

    select
        week_start_date,
        count(*) as days,
        count_if(is_final) as final_days,
        count_if(is_suppressed) as suppressed_days,
        coalesce(sum(numerator) filter (where not is_suppressed), 0) as numerator,
        coalesce(sum(denominator) filter (where not is_suppressed), 0) as denominator,
        coalesce(sum(sample_size) filter (where not is_suppressed), 0) as sample_size,
        sum(denominator * denominator / effective_n) filter (
            where not is_suppressed and denominator > 0 and effective_n > 0
        ) as sum_weight_squared_estimate
    from segment_days
    group by week_start_date

),

week_rates as (

    select
        week_start_date,
        days,
        final_days,
        suppressed_days,
        days = 7 and suppressed_days = 0 as is_complete,
        numerator,
        denominator,
        sample_size,
        case when denominator > 0 then numerator / denominator end as value,
        case
            when sum_weight_squared_estimate > 0 then denominator * denominator / sum_weight_squared_estimate
        end as effective_n
    from weeks

),

week_intervals as (

    select
        *,
        {{ wilson_interval_lower('value', 'effective_n') }} as ci_lower,
        {{ wilson_interval_upper('value', 'effective_n') }} as ci_upper
    from week_rates

),

with_previous_week as (

    select
        *,
        lag(value) over weekly as previous_value,
        lag(ci_lower) over weekly as previous_ci_lower,
        lag(ci_upper) over weekly as previous_ci_upper,
        lag(week_start_date) over weekly as previous_week_start_date
    from week_intervals
    window weekly as (order by week_start_date)

),

changes as (

    -- Newcombe's hybrid score interval for a difference of two independent proportions
    select
        week_start_date,
        days,
        final_days,
        suppressed_days,
        is_complete,
        numerator,
        denominator,
        sample_size,
        effective_n,
        value,
        ci_lower,
        ci_upper,
        previous_week_start_date,
        previous_value,
        value - previous_value as difference,
        value - previous_value - sqrt(
            power(value - ci_lower, 2) + power(previous_ci_upper - previous_value, 2)
        ) as difference_ci_lower,
        value - previous_value + sqrt(
            power(ci_upper - value, 2) + power(previous_value - previous_ci_lower, 2)
        ) as difference_ci_upper,
        case when previous_value > 0 then value / previous_value - 1 end as relative_change
    from with_previous_week

),

flagged as (

    select
        *,
        difference_ci_lower > 0 or difference_ci_upper < 0 as changed
    from changes

)

select * from flagged
order by week_start_date
