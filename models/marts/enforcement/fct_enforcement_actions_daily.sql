-- Moderation decisions per decided day, owner region, policy category, action and
-- detection source, with their DSA classification. Decisions are counted as the
-- enforcement_actions metric sees them (ingested before the day's finalization
-- instant), so the mart's action counts add up to that metric. Moderation counts are
-- not user-level data and are not suppressed.
with

decisions_counted as (

    -- the copy of the enforcement-actions count: the mart's actions add up to it
    {{ metric_facts_at_cutoff('int_moderation_decisions_at_cutoff', 'enforcement_actions') }}

),

moderation_actions as (

    select * from {{ ref('ref_moderation_actions') }}

),

detection_sources as (

    select * from {{ ref('ref_detection_sources') }}

),

daily_counts as (

    select
        decided_date,
        region,
        policy_category,
        action,
        detection_source,
        any_value(maturity_days) as maturity_days,
        count(*) as decisions,
        count_if(is_action) as actions,
        count_if(is_automated_decision) as automated_decisions,
        count_if(is_action and is_automated_decision) as automated_actions
    from decisions_counted
    group by decided_date, region, policy_category, action, detection_source

),

classified as (

    select
        daily_counts.decided_date,
        daily_counts.region,
        daily_counts.policy_category,
        daily_counts.action,
        daily_counts.detection_source,
        moderation_actions.dsa_decision,
        coalesce(moderation_actions.dsa_restriction_type, 'none') as dsa_restriction_type,
        coalesce(cast(moderation_actions.is_restriction as boolean), false) as is_restriction,
        detection_sources.dsa_basis,
        coalesce(cast(detection_sources.is_proactive as boolean), false) as is_own_initiative,
        cast(daily_counts.decisions as bigint) as decisions,
        cast(daily_counts.actions as bigint) as actions,
        cast(daily_counts.automated_decisions as bigint) as automated_decisions,
        cast(daily_counts.automated_actions as bigint) as automated_actions,
        {{ is_final('daily_counts.decided_date', 'daily_counts.maturity_days') }} as is_final,
        {{ finalization_instant('daily_counts.decided_date', 'daily_counts.maturity_days') }}
            as finalization_instant,
        {{ as_of_date_literal() }} as as_of_date
    from daily_counts
    left join moderation_actions
        on daily_counts.action = moderation_actions.action
    left join detection_sources
        on daily_counts.detection_source = detection_sources.detection_source

)

select * from classified
