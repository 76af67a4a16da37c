-- Each decision as a metric of its decided day D sees it, once per maturity in use by
-- the metrics reading moderation decisions (macro metric_cutoff_copies): only
-- decisions, appeal copies and owner rows ingested before D's finalization instant.
with

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

decision_owners as (

    select * from {{ ref('int_moderation_decision_owners') }}

),

appeal_versions as (

    select * from {{ ref('int_appeal_versions') }}

),

detection_sources as (

    select * from {{ ref('ref_detection_sources') }}

),

decisions_dated as (

    select
        *,
        cast(decided_at as date) as decided_date
    from decisions

),

decisions_at_cutoffs as (

    {{ metric_cutoff_copies('decisions_dated', 'decided_date', 'moderation_decisions') }}

),

decisions_known as (

    select * from decisions_at_cutoffs
    where {{ known_at_cutoff('cutoff_at', 'ingested_at') }}

),

appealed_within_720h as (

    select distinct
        decisions_known.maturity_days,
        decisions_known.decision_id
    from decisions_known
    inner join appeal_versions
        on
            decisions_known.decision_id = appeal_versions.decision_id
            and {{ version_known_at_cutoff(
                'decisions_known.cutoff_at', 'appeal_versions.known_from', 'appeal_versions.known_until'
            ) }}
    where
        appeal_versions.submitted_at >= decisions_known.decided_at
        and appeal_versions.submitted_at <= decisions_known.decided_at + interval 720 hour

),

decisions_attributed as (

    select
        decisions_known.maturity_days,
        decisions_known.decision_id,
        decisions_known.decided_date,
        decisions_known.cutoff_at,
        decisions_known.decided_at,
        decisions_known.flagged_at,
        decisions_known.target_type,
        decisions_known.target_id,
        decisions_known.action,
        decisions_known.action <> 'no_action' as is_action,
        -- an action without a category is still counted, in the unknown category
        coalesce(
            decisions_known.policy_category,
            case when decisions_known.action = 'no_action' then 'none' else 'unknown' end
        ) as policy_category,
        decisions_known.detection_source,
        coalesce(cast(detection_sources.is_proactive as boolean), false) as is_proactive,
        decisions_known.is_automated_decision,
        decisions_known.decision_ground,
        decisions_known.territorial_scope,
        {{ milliseconds_between('decisions_known.flagged_at', 'decisions_known.decided_at') }}
        / 3600000.0 as hours_to_action,
        decision_owners.owner_id,
        decision_owners.is_owner_profiled_user,
        coalesce(decision_owners.region, 'unknown') as region,
        appealed_within_720h.decision_id is not null as is_appealed_within_720h,
        decisions_known.ingested_at
    from decisions_known
    left join decision_owners
        on
            decisions_known.decision_id = decision_owners.decision_id
            and {{ version_known_at_cutoff(
                'decisions_known.cutoff_at', 'decision_owners.known_from', 'decision_owners.known_until'
            ) }}
    left join detection_sources
        on decisions_known.detection_source = detection_sources.detection_source
    left join appealed_within_720h
        on
            decisions_known.maturity_days = appealed_within_720h.maturity_days
            and decisions_known.decision_id = appealed_within_720h.decision_id

)

select * from decisions_attributed
