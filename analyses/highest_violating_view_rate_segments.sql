{#-
    The segments with the highest violating_view_rate, final days only, with intervals.

    Question: "Where is prevalence highest right now, and how sure are we?" Every
    published segment cell (every grouping except the total, policy_category = all)
    pooled over the last `window_days` final days: summed numerators over summed
    denominators, with a 95% Wilson interval on the pooled effective sample size.
    Cells are ranked by the interval's lower bound, not the point estimate, so a
    segment with three labels and one violation does not top the list by luck.

    Reads metrics_daily (published) and uses only final (is_final), unsuppressed cells:
    the pool of a segment with suppressed days omits them (`suppressed_days` says how
    many). Each cell's effective n (Kish, for the 1 / sampling_rate weights) is recovered
    from its published Wilson interval: with centre c = (ci_lower + ci_upper) / 2 and
    value p, n = z^2 (1/2 - c) / (c - p); the pool's effective n is
    (sum of denominators)^2 / sum(denominator^2 / n).

    Run against the published release (what readers read):
    .venv/bin/dbt compile --target serving --select highest_violating_view_rate_segments, then
    .venv/bin/duckdb -readonly warehouse/serving/current/metrics.duckdb \
        < target/compiled/tsw/analyses/highest_violating_view_rate_segments.sql
-#}

{%- set metric_name = 'violating_view_rate' %}
{%- set window_days = 28 %}
{%- set top_n = 25 %}

with

metrics as (

    select * from {{ ref('metrics_daily') }}

),

final_cells as (

    select
        metric_date,
        age_band,
        region,
        plan,
        surface,
        is_suppressed,
        numerator,
        denominator,
        sample_size,
        {{ wilson_effective_n('value', 'ci_lower', 'ci_upper', 'denominator', 'sample_size') }}
            as effective_n
    from metrics
    where
        metric_name = '{{ metric_name }}'
        and is_final
        and policy_category = 'all'
        and feature = 'all'
        and not (age_band = 'all' and region = 'all' and plan = 'all' and surface = 'all')

),

last_final_day as (

    select max(metric_date) as last_final_date
    from final_cells

),

window_cells as (

    select final_cells.*
    from final_cells
    cross join last_final_day
    where final_cells.metric_date > last_final_day.last_final_date - {{ window_days }}

),

pooled as (

    select
        age_band,
        region,
        plan,
        surface,
        min(metric_date) as first_date,
        max(metric_date) as last_date,
        count_if(is_suppressed) as suppressed_days,
        coalesce(sum(numerator) filter (where not is_suppressed), 0) as numerator,
        coalesce(sum(denominator) filter (where not is_suppressed), 0) as denominator,
        coalesce(sum(sample_size) filter (where not is_suppressed), 0) as labels,
        sum(denominator * denominator / effective_n) filter (
            where not is_suppressed and denominator > 0 and effective_n > 0
        ) as sum_weight_squared_estimate
    from window_cells
    group by age_band, region, plan, surface

),

rates as (

    select
        age_band,
        region,
        plan,
        surface,
        first_date,
        last_date,
        suppressed_days,
        numerator,
        denominator,
        labels,
        numerator / denominator as value,
        denominator * denominator / sum_weight_squared_estimate as effective_n
    from pooled
    where denominator > 0 and sum_weight_squared_estimate > 0

),

with_intervals as (

    select
        *,
        {{ wilson_interval_lower('value', 'effective_n') }} as ci_lower,
        {{ wilson_interval_upper('value', 'effective_n') }} as ci_upper
    from rates

),

ranked as (

    select
        *,
        row_number() over (
            order by ci_lower desc, value desc, age_band asc, region asc, plan asc, surface asc
        ) as rank_by_lower_bound
    from with_intervals

)

select * from ranked
where rank_by_lower_bound <= {{ top_n }}
order by rank_by_lower_bound
