-- The analysis windows of every intervention x metric (docs/interventions.md): the
-- real launch and the placebo launch inside the pre period, each with its anchor day,
-- pre and post periods (clipped) and the number of calendar days each period uses.
-- Windows (dbt vars): launch: pre [L - pre_days, L - 1], post [L + 1, L + post_days]
-- clipped at the day before ended_at and at the as-of date; placebo at
-- P = L - placebo_days: pre [L - pre_days, P - 1], post [P + 1, min(P + post_days, L - 1)],
-- so the placebo reads only real pre-period days. The launch day itself is in neither
-- period (it is partly treated). Only interventions that target a segment (age bands or
-- countries) have a comparison group and so a difference-in-differences.
{%- set pre_days = var('intervention_pre_days') | int %}
{%- set post_days = var('intervention_post_days') | int %}
{%- set placebo_days = var('intervention_placebo_days_before_launch') | int %}
{%- if placebo_days < 2 or placebo_days >= pre_days %}
    {{ exceptions.raise_compiler_error(
        "intervention_placebo_days_before_launch must be in [2, intervention_pre_days - 1], got " ~ placebo_days
    ) }}
{%- endif %}

with

metric_map as (
    select * from {{ ref('int_intervention_metric_map') }}
),

windows as (
    select
        metric_map.*,
        'launch' as analysis,
        metric_map.launch_date as anchor_date,
        metric_map.launch_date - {{ pre_days }} as pre_start,
        least(metric_map.launch_date - 1, {{ as_of_date_literal() }}) as pre_end,
        metric_map.launch_date + 1 as post_start,
        least(
            metric_map.launch_date + {{ post_days }},
            coalesce(cast(metric_map.ended_at as date) - 1, date '9999-12-31'),
            {{ as_of_date_literal() }}
        ) as post_end
    from metric_map
    where {{ list_length('metric_map.target_age_bands') }} > 0 or {{ list_length('metric_map.target_countries') }} > 0
    union all
    select
        metric_map.*,
        'placebo' as analysis,
        metric_map.launch_date - {{ placebo_days }} as anchor_date,
        metric_map.launch_date - {{ pre_days }} as pre_start,
        least(metric_map.launch_date - {{ placebo_days }} - 1, {{ as_of_date_literal() }}) as pre_end,
        metric_map.launch_date - {{ placebo_days }} + 1 as post_start,
        least(
            metric_map.launch_date - {{ placebo_days }} + {{ post_days }},
            metric_map.launch_date - 1,
            {{ as_of_date_literal() }}
        ) as post_end
    from metric_map
    where {{ list_length('metric_map.target_age_bands') }} > 0 or {{ list_length('metric_map.target_countries') }} > 0
),

with_days as (
    select
        *,
        greatest(pre_end - pre_start + 1, 0) as pre_days_used,
        greatest(post_end - post_start + 1, 0) as post_days_used
    from windows
)

select * from with_days
