{#- Complaints use the appeal metrics' maturity (appeal_overturn_rate,
    appeal_resolution_hours_p50: both dated by an appeal's own day). -#}
{%- set complaint_metric = 'appeal_overturn_rate' -%}

-- Complaint events (appeals against actions), each dated by its own day E and seen as of
-- E's finalization instant: `received` on the submitted day (the copy latest at that
-- instant), `upheld` / `reversed` on the resolved day (int_appeals_resolved_at_cutoff),
-- `withdrawn` on the withdrawal day (the same latest-copy rule). The contested decision
-- must be an action known at the same instant. Pending appeals depend on the period end
-- and are in int_dsa_complaints_pending.
with

appeal_versions as (

    select * from {{ ref('int_appeal_versions') }}

),

appeals_resolved as (

    -- the resolved appeals as the complaint metric sees them (its copy of the facts)
    {{ metric_facts_at_cutoff('int_appeals_resolved_at_cutoff', complaint_metric) }}

),

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

versions_dated as (

    select
        appeal_versions.*,
        cast(appeal_versions.submitted_at as date) as submitted_date,
        cast(appeal_versions.resolved_at as date) as resolved_date
    from appeal_versions

),

received_copies as (

    {{ metric_cutoff_copy('versions_dated', 'submitted_date', complaint_metric) }}

),

received as (

    select
        received_copies.appeal_id,
        received_copies.decision_id,
        received_copies.maturity_days,
        'received' as complaint_event,
        received_copies.submitted_date as event_date,
        received_copies.cutoff_at,
        cast(null as double) as hours_to_resolution
    from received_copies
    inner join decisions
        on
            received_copies.decision_id = decisions.decision_id
            and {{ known_at_cutoff('received_copies.cutoff_at', 'decisions.ingested_at') }}
    where
        {{ version_known_at_cutoff(
            'received_copies.cutoff_at', 'received_copies.known_from', 'received_copies.known_until'
        ) }}
        and decisions.action <> 'no_action'

),

withdrawn_versions as (

    select *
    from versions_dated
    where outcome = 'withdrawn'

),

withdrawn_copies as (

    {{ metric_cutoff_copy('withdrawn_versions', 'resolved_date', complaint_metric) }}

),

withdrawn as (

    select
        withdrawn_copies.appeal_id,
        withdrawn_copies.decision_id,
        withdrawn_copies.maturity_days,
        'withdrawn' as complaint_event,
        withdrawn_copies.resolved_date as event_date,
        withdrawn_copies.cutoff_at,
        cast(null as double) as hours_to_resolution
    from withdrawn_copies
    inner join decisions
        on
            withdrawn_copies.decision_id = decisions.decision_id
            and {{ known_at_cutoff('withdrawn_copies.cutoff_at', 'decisions.ingested_at') }}
    where
        {{ version_known_at_cutoff(
            'withdrawn_copies.cutoff_at', 'withdrawn_copies.known_from', 'withdrawn_copies.known_until'
        ) }}
        and decisions.action <> 'no_action'

),

decided as (

    select
        appeals_resolved.appeal_id,
        appeals_resolved.decision_id,
        appeals_resolved.maturity_days,
        case when appeals_resolved.is_overturned then 'reversed' else 'upheld' end as complaint_event,
        appeals_resolved.resolved_date as event_date,
        appeals_resolved.cutoff_at,
        appeals_resolved.hours_to_resolution
    from appeals_resolved

),

complaint_events as (

    select * from received
    union all
    select * from decided
    union all
    select * from withdrawn

)

select * from complaint_events
