{#-
    zscore_anomaly (severity warn by default): flags, per series, the days under test
    whose value lies more than `sensitivity` standard deviations from the mean of a
    trailing window that ends before the first day under test, so an anomaly never
    inflates its own baseline.

    Arguments:
        column_name: the value tested (attach the test to it).
        date_column: the series' day column (e.g. metric_date).
        group_by: columns identifying one series (e.g. metric_name and segments).
        days_under_test: how many of each series' latest days are tested (default 1).
        window_days: calendar days of trailing history before the first tested day
            (default 28).
        sensitivity: threshold in standard deviations (default 3).
        seasonality: 'none' (default) or 'day_of_week': compare a day only with the
            same weekday in the window (use a longer window, e.g. 56 days).
        min_history: history points required to test a day (default 7, or 4 with
            day_of_week seasonality); series with less history are not tested.
        end_date: the last day under test (ISO date); default each series' latest day,
            so with `config: where: "is_final"` every metric is tested on its latest final
            days whatever its maturity.
    Null values are neither tested nor part of a baseline; a flat history (standard
    deviation 0) gives no z-score and is not flagged.
    Returns one row per anomalous (series, day) with its baseline and z-score.

    Example:
        columns:
          - name: value
            data_tests:
              - zscore_anomaly:
                  arguments:
                    date_column: metric_date
                    group_by: [metric_name, age_band, region, plan, surface, policy_category, feature]
                    days_under_test: 3
                    seasonality: day_of_week
                    window_days: 56
                  config:
                    where: "not is_suppressed"
-#}
{% test zscore_anomaly(
    model,
    column_name,
    date_column,
    group_by=[],
    days_under_test=1,
    window_days=28,
    sensitivity=3,
    seasonality='none',
    min_history=none,
    end_date=none
) %}
    {{ config(severity='warn') }}
    {%- if group_by is string -%}
        {%- set group_by = [group_by] -%}
    {%- endif -%}
    {%- if seasonality not in ['none', 'day_of_week'] -%}
        {{ exceptions.raise_compiler_error("zscore_anomaly: seasonality must be 'none' or 'day_of_week'") }}
    {%- endif -%}
    {%- set required_history = min_history if min_history is not none
        else (4 if seasonality == 'day_of_week' else 7) %}

with series as (
    select
        {%- for column in group_by %}
        {{ column }},
        {%- endfor %}
        cast({{ date_column }} as date) as series_date,
        cast({{ column_name }} as double) as series_value
    from {{ model }}
    where {{ column_name }} is not null
),

last_day as (
    select
        {%- for column in group_by %}
        {{ column }},
        {%- endfor %}
        {%- if end_date is not none %}
        date '{{ end_date }}' as last_tested_date
        {%- else %}
        max(series_date) as last_tested_date
        {%- endif %}
    from series
    group by all
),

series_with_last_day as (
    select
        series.*,
        last_day.last_tested_date
    from series
    inner join last_day
        on
            true
            {%- for column in group_by %}
            and series.{{ column }} is not distinct from last_day.{{ column }}
            {%- endfor %}
),

days_under_test as (
    select *
    from series_with_last_day
    where
        series_date <= last_tested_date
        and series_date > last_tested_date - {{ days_under_test }}
),

trailing_history as (
    select *
    from series_with_last_day
    where
        series_date <= last_tested_date - {{ days_under_test }}
        and series_date > last_tested_date - {{ days_under_test }} - {{ window_days }}
),

baselines as (
    select
        {%- for column in group_by %}
        days_under_test.{{ column }},
        {%- endfor %}
        days_under_test.series_date as {{ date_column }},
        days_under_test.series_value as {{ column_name }},
        avg(trailing_history.series_value) as trailing_mean,
        stddev_samp(trailing_history.series_value) as trailing_stddev,
        count(trailing_history.series_value) as history_points
    from days_under_test
    left join trailing_history
        on
            true
            {%- for column in group_by %}
            and days_under_test.{{ column }} is not distinct from trailing_history.{{ column }}
            {%- endfor %}
            {%- if seasonality == 'day_of_week' %}
            and isodow(days_under_test.series_date) = isodow(trailing_history.series_date)
            {%- endif %}
    group by all
),

anomalies as (
    select
        *,
        ({{ column_name }} - trailing_mean) / trailing_stddev as z_score
    from baselines
    where
        history_points >= {{ required_history }}
        and trailing_stddev > 0
        and abs({{ column_name }} - trailing_mean) > {{ sensitivity }} * trailing_stddev
)

select * from anomalies
{% endtest %}
