{#- The metrics dated by a decision's decided day; each maturity they use gets a copy. -#}
{%- set decided_day_metrics = [
    'enforcement_actions',
    'proactive_rate',
    'automated_decision_rate',
    'time_to_action_hours_p50',
    'time_to_action_hours_p90',
    'appeal_rate',
] -%}

-- Each decision as a metric of its decided day D sees it: only decisions, appeal copies
-- and owner rows ingested before D's finalization instant (the one filter), one copy per
-- maturity in use by the decided-day metrics.
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

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

maturities as (

    select distinct cast(maturity_days as integer) as maturity_days
    from metric_registry
    where
        metric_name in (
            {%- for metric_name in decided_day_metrics %}
                '{{ metric_name }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

decisions_per_maturity as (

    select
        maturities.maturity_days,
        decisions.*,
        cast(decisions.decided_at as date) as decided_date
    from decisions
    cross join maturities

),

decisions_with_cutoff as (

    select
        *,
        {{ finalization_instant('decided_date', 'maturity_days') }} as cutoff_at
    from decisions_per_maturity

),

decisions_known as (

    select * from decisions_with_cutoff
    where ingested_at < cutoff_at

),

appealed_within_720h as (

    select distinct
        decisions_known.maturity_days,
        decisions_known.decision_id
    from decisions_known
    inner join appeal_versions
        on
            decisions_known.decision_id = appeal_versions.decision_id
            and decisions_known.cutoff_at > appeal_versions.known_from
            -- coalesce, not `or ... is null`: an OR in the join condition forces a nested-loop join
            and decisions_known.cutoff_at <= coalesce(appeal_versions.known_until, 'infinity')
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
        date_diff('millisecond', decisions_known.flagged_at, decisions_known.decided_at)
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
            and decisions_known.cutoff_at > decision_owners.known_from
            and decisions_known.cutoff_at <= coalesce(decision_owners.known_until, 'infinity')
    left join detection_sources
        on decisions_known.detection_source = detection_sources.detection_source
    left join appealed_within_720h
        on
            decisions_known.maturity_days = appealed_within_720h.maturity_days
            and decisions_known.decision_id = appealed_within_720h.decision_id

)

select * from decisions_attributed
