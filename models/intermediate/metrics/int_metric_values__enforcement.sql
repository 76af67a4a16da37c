{#-
    Enforcement, appeals and report-action metrics (metrics.md): one row per metric,
    day and segment where there is data, in the shared family shape. Counts and rates
    carry numerator / denominator (values and intervals are computed centrally);
    quantiles carry their value in hours. Each input row is the one its metric day
    sees at its finalization instant (intermediate/enforcement models).
-#}
{%- set decision_segments = ['region', 'policy_category'] -%}
{%- set report_segments = ['age_band', 'region', 'plan', 'policy_category'] -%}

with

decisions_at_cutoff as (

    select * from {{ ref('int_moderation_decisions_at_cutoff') }}

),

appeals_resolved_at_cutoff as (

    select * from {{ ref('int_appeals_resolved_at_cutoff') }}

),

reports_at_cutoff as (

    select * from {{ ref('int_user_reports_at_cutoff') }}

),

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

actions_by_metric as (

    select
        metric_registry.metric_name,
        decisions_at_cutoff.*
    from decisions_at_cutoff
    inner join metric_registry
        on decisions_at_cutoff.maturity_days = cast(metric_registry.maturity_days as integer)
    where
        decisions_at_cutoff.is_action
        and metric_registry.metric_name in (
            'enforcement_actions',
            'proactive_rate',
            'automated_decision_rate',
            'appeal_rate',
            'time_to_action_hours_p50',
            'time_to_action_hours_p90'
        )

),

decided_day_counts as (

    select
        metric_name,
        decided_date as metric_date,
        'all' as age_band,
        {{ segment_or_all('region') }} as region,
        'all' as plan,
        'all' as surface,
        {{ segment_or_all('policy_category') }} as policy_category,
        'all' as feature,
        cast(
            case metric_name
                when 'enforcement_actions' then count(*)
                when 'proactive_rate' then count_if(is_proactive)
                when 'automated_decision_rate' then count_if(is_automated_decision)
                when 'appeal_rate' then count_if(is_appealed_within_720h)
            end as double
        ) as numerator,
        -- a count has no denominator
        cast(
            case when metric_name <> 'enforcement_actions' then count(*) end as double
        ) as denominator,
        cast(count(*) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        cast(null as double) as value
    from actions_by_metric
    where
        metric_name in (
            'enforcement_actions',
            'proactive_rate',
            'automated_decision_rate',
            'appeal_rate'
        )
    group by metric_name, decided_date, {{ metric_grouping_sets(decision_segments) }}  -- noqa: PRS

),

decided_day_quantiles as (

    select
        metric_name,
        decided_date as metric_date,
        'all' as age_band,
        {{ segment_or_all('region') }} as region,
        'all' as plan,
        'all' as surface,
        {{ segment_or_all('policy_category') }} as policy_category,
        'all' as feature,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(count(hours_to_action) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        case metric_name
            when 'time_to_action_hours_p50' then quantile_cont(hours_to_action, 0.5)
            when 'time_to_action_hours_p90' then quantile_cont(hours_to_action, 0.9)
        end as value
    from actions_by_metric
    where metric_name in ('time_to_action_hours_p50', 'time_to_action_hours_p90')
    group by metric_name, decided_date, {{ metric_grouping_sets(decision_segments) }}  -- noqa: PRS

),

resolutions_by_metric as (

    select
        metric_registry.metric_name,
        appeals_resolved_at_cutoff.*
    from appeals_resolved_at_cutoff
    inner join metric_registry
        on appeals_resolved_at_cutoff.maturity_days = cast(metric_registry.maturity_days as integer)
    where metric_registry.metric_name in ('appeal_overturn_rate', 'appeal_resolution_hours_p50')

),

appeal_overturn_rate as (

    select
        metric_name,
        resolved_date as metric_date,
        'all' as age_band,
        {{ segment_or_all('region') }} as region,
        'all' as plan,
        'all' as surface,
        {{ segment_or_all('policy_category') }} as policy_category,
        'all' as feature,
        cast(count_if(is_overturned) as double) as numerator,
        cast(count(*) as double) as denominator,
        cast(count(*) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        cast(null as double) as value
    from resolutions_by_metric
    where metric_name = 'appeal_overturn_rate'
    group by metric_name, resolved_date, {{ metric_grouping_sets(decision_segments) }}  -- noqa: PRS

),

appeal_resolution_hours_p50 as (

    select
        metric_name,
        resolved_date as metric_date,
        'all' as age_band,
        {{ segment_or_all('region') }} as region,
        'all' as plan,
        'all' as surface,
        {{ segment_or_all('policy_category') }} as policy_category,
        'all' as feature,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(count(hours_to_resolution) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        quantile_cont(hours_to_resolution, 0.5) as value
    from resolutions_by_metric
    where metric_name = 'appeal_resolution_hours_p50'
    group by metric_name, resolved_date, {{ metric_grouping_sets(decision_segments) }}  -- noqa: PRS

),

reports_by_metric as (

    select
        metric_registry.metric_name,
        reports_at_cutoff.*
    from reports_at_cutoff
    inner join metric_registry
        on reports_at_cutoff.maturity_days = cast(metric_registry.maturity_days as integer)
    where metric_registry.metric_name = 'report_action_rate'

),

report_action_rate as (

    select
        metric_name,
        reported_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        'all' as surface,
        {{ segment_or_all('policy_category') }} as policy_category,
        'all' as feature,
        cast(count_if(is_actioned_within_168h) as double) as numerator,
        cast(count(*) as double) as denominator,
        cast(count(*) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        cast(null as double) as value
    from reports_by_metric
    group by metric_name, reported_date, {{ metric_grouping_sets(report_segments) }}  -- noqa: PRS

),

metric_values as (

    select * from decided_day_counts
    union all
    select * from decided_day_quantiles
    union all
    select * from appeal_overturn_rate
    union all
    select * from appeal_resolution_hours_p50
    union all
    select * from report_action_rate

)

select * from metric_values
