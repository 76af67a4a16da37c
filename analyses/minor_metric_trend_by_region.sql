{#-
    Trend of a proportion metric for minors, by region, pooled over a trailing window.

    Question: "Is violating_view_rate for under-18s going up anywhere?" One row per
    region and day: the metric pooled over the minor age bands (ref_age_bands.is_minor)
    and the `window_days` days ending that day, as summed numerators over summed
    denominators (never an average of daily rates), with a 95% Wilson interval.

    Reads metrics_daily (published): suppressed cells carry no numbers, so they are left
    out of the pool and counted in `suppressed_cells`; a window is `is_complete` only when
    every one of its days is present and none of its cells is suppressed. Read the
    pooled value of an incomplete window with care: it omits the smallest cells.

    Weighted metrics (violating_view_rate weighs each label by 1 / sampling_rate) need an
    effective sample size, which metrics_daily does not publish; each cell's effective n
    is recovered from its published Wilson interval: with centre c = (ci_lower +
    ci_upper) / 2 and value p, n = z^2 (1/2 - c) / (c - p). The pool's effective n is
    Kish's (sum of denominators)^2 / sum(denominator^2 / n). For an unweighted metric this
    gives n = denominator, as it should.

    Change `metric_name` to any proportion with an age_band x region breakdown (for a
    minor-only metric such as minor_age_restricted_exposure_rate the bands are the same).
    Run against the published release (what readers read):
    .venv/bin/dbt compile --target serving --select minor_metric_trend_by_region, then
    .venv/bin/duckdb -readonly warehouse/serving/current/metrics.duckdb \
        < target/compiled/tsw/analyses/minor_metric_trend_by_region.sql
-#}

{%- set metric_name = 'violating_view_rate' %}
{%- set window_days = 7 %}

with

metrics as (

    select * from {{ ref('metrics_daily') }}

),

age_bands as (

    select * from {{ ref('ref_age_bands') }}

),

minor_region_cells as (

    select
        metrics.metric_date,
        metrics.region,
        metrics.is_suppressed,
        metrics.numerator,
        metrics.denominator,
        metrics.sample_size,
        {{ wilson_effective_n(
            'metrics.value', 'metrics.ci_lower', 'metrics.ci_upper', 'metrics.denominator', 'metrics.sample_size'
        ) }} as effective_n
    from metrics
    inner join age_bands
        on metrics.age_band = age_bands.age_band
    where
        metrics.metric_name = '{{ metric_name }}'
        and cast(age_bands.is_minor as boolean)
        and metrics.region <> 'all'
        and metrics.plan = 'all'
        and metrics.surface = 'all'
        and metrics.policy_category = 'all'
        and metrics.feature = 'all'

),

region_days as (

    select
        metric_date,
        region,
        count(*) as cells,
        count_if(is_suppressed) as suppressed_cells,
        coalesce(sum(numerator) filter (where not is_suppressed), 0) as numerator,
        coalesce(sum(denominator) filter (where not is_suppressed), 0) as denominator,
        coalesce(sum(sample_size) filter (where not is_suppressed), 0) as sample_size,
        coalesce(
            sum(denominator * denominator / effective_n) filter (
                where not is_suppressed and denominator > 0 and effective_n > 0
            ),
            0
        ) as sum_weight_squared_estimate
    from minor_region_cells
    group by metric_date, region

),

trailing_windows as (

    select
        metric_date as window_end_date,
        region,
        count(*) over trailing_days as days_in_window,
        sum(suppressed_cells) over trailing_days as suppressed_cells,
        sum(numerator) over trailing_days as numerator,
        sum(denominator) over trailing_days as denominator,
        sum(sample_size) over trailing_days as sample_size,
        sum(sum_weight_squared_estimate) over trailing_days as sum_weight_squared_estimate
    from region_days
    window trailing_days as (
        partition by region
        order by metric_date
        range between interval {{ window_days - 1 }} day preceding and current row
    )

),

pooled as (

    select
        window_end_date,
        region,
        days_in_window,
        suppressed_cells,
        days_in_window = {{ window_days }} and suppressed_cells = 0 as is_complete,
        numerator,
        denominator,
        sample_size,
        case when denominator > 0 then numerator / denominator end as value,
        case
            when sum_weight_squared_estimate > 0 then denominator * denominator / sum_weight_squared_estimate
        end as effective_n
    from trailing_windows

),

with_intervals as (

    select
        *,
        {{ wilson_interval_lower('value', 'effective_n') }} as ci_lower,
        {{ wilson_interval_upper('value', 'effective_n') }} as ci_upper
    from pooled

)

select * from with_intervals
order by region, window_end_date
