-- AI evaluation metric family (issue #12): the day rows of the five ai_* metric units
-- (models/metrics/ai) in the shared family shape, until the metric-unit layer replaces
-- the families. Kappa carries its value and interval; proportions only their parts.

{%- set units = metric_units_ai() | map('replace', 'metric__', '') | list %}

with

{% for unit in units %}
    {{ unit }} as (
        select * from {{ ref('metric__' ~ unit) }}
    ),
{% endfor %}

unit_day_rows as (
    {%- for unit in units %}
        select
            metric_name,
            period_start as metric_date,
            age_band,
            region,
            plan,
            surface,
            policy_category,
            feature,
            numerator,
            denominator,
            sample_size,
            sum_weight_squared,
            value,
            ci_lower,
            ci_upper
        from {{ unit }}
        where period_grain = 'day'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from unit_day_rows
