-- Each resolved (upheld or overturned) appeal of an action, as a metric of its resolved
-- day R sees it (one copy per maturity of the metrics reading appeals): the appeal copy
-- that was latest among those ingested before R's finalization instant, the decision
-- and its owner rows ingested before it too. A copy
-- arriving later (a late resolution, a correction) never changes a final day.
with

appeal_versions as (

    select * from {{ ref('int_appeal_versions') }}

),

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

decision_owners as (

    select * from {{ ref('int_moderation_decision_owners') }}

),

resolved_copies as (

    select
        *,
        cast(resolved_at as date) as resolved_date
    from appeal_versions
    where outcome in ('upheld', 'overturned')

),

resolved_copies_at_cutoffs as (

    {{ metric_cutoff_copies('resolved_copies', 'resolved_date', 'appeals') }}

),

resolutions_known as (

    -- a copy counts for its own resolved day only if it was the latest copy at that
    -- day's cut-off
    select * from resolved_copies_at_cutoffs
    where {{ version_known_at_cutoff('cutoff_at', 'known_from', 'known_until') }}

),

resolutions_of_actions as (

    select
        resolutions_known.maturity_days,
        resolutions_known.appeal_id,
        resolutions_known.decision_id,
        resolutions_known.resolved_date,
        resolutions_known.cutoff_at,
        resolutions_known.outcome,
        resolutions_known.outcome = 'overturned' as is_overturned,
        resolutions_known.submitted_at,
        resolutions_known.resolved_at,
        {{ milliseconds_between('resolutions_known.submitted_at', 'resolutions_known.resolved_at') }}
        / 3600000.0 as hours_to_resolution,
        decisions.action,
        coalesce(decisions.policy_category, 'unknown') as policy_category,
        coalesce(decision_owners.region, 'unknown') as region,
        resolutions_known.known_from as appeal_copy_ingested_at
    from resolutions_known
    inner join decisions
        on
            resolutions_known.decision_id = decisions.decision_id
            and {{ known_at_cutoff('resolutions_known.cutoff_at', 'decisions.ingested_at') }}
    left join decision_owners
        on
            resolutions_known.decision_id = decision_owners.decision_id
            and {{ version_known_at_cutoff(
                'resolutions_known.cutoff_at', 'decision_owners.known_from', 'decision_owners.known_until'
            ) }}
    where decisions.action <> 'no_action'

)

select * from resolutions_of_actions
