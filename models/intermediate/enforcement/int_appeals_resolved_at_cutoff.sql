{#- The metrics dated by an appeal's resolved day. -#}
{%- set resolved_day_metrics = [
    'appeal_overturn_rate',
    'appeal_resolution_hours_p50',
] -%}

-- Each resolved (upheld or overturned) appeal of an action, as a metric of its resolved
-- day R sees it: the appeal copy that was latest among those ingested before R's
-- finalization instant, the decision and its owner rows ingested before it too. A copy
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

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

maturities as (

    select distinct cast(maturity_days as integer) as maturity_days
    from metric_registry
    where
        metric_name in (
            {%- for metric_name in resolved_day_metrics %}
                '{{ metric_name }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

resolved_copies as (

    select
        maturities.maturity_days,
        appeal_versions.*,
        cast(appeal_versions.resolved_at as date) as resolved_date
    from appeal_versions
    cross join maturities
    where appeal_versions.outcome in ('upheld', 'overturned')

),

resolved_copies_with_cutoff as (

    select
        *,
        {{ finalization_instant('resolved_date', 'maturity_days') }} as cutoff_at
    from resolved_copies

),

resolutions_known as (

    -- a copy counts for its own resolved day only if it was the latest copy at that
    -- day's cut-off
    select * from resolved_copies_with_cutoff
    where
        known_from < cutoff_at
        and (known_until >= cutoff_at or known_until is null)

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
        date_diff('millisecond', resolutions_known.submitted_at, resolutions_known.resolved_at)
        / 3600000.0 as hours_to_resolution,
        decisions.action,
        coalesce(decisions.policy_category, 'unknown') as policy_category,
        coalesce(decision_owners.region, 'unknown') as region,
        resolutions_known.known_from as appeal_copy_ingested_at
    from resolutions_known
    inner join decisions
        on
            resolutions_known.decision_id = decisions.decision_id
            and resolutions_known.cutoff_at > decisions.ingested_at
    left join decision_owners
        on
            resolutions_known.decision_id = decision_owners.decision_id
            and resolutions_known.cutoff_at > decision_owners.known_from
            -- coalesce, not `or ... is null`: an OR in the join condition forces a nested-loop join
            and resolutions_known.cutoff_at <= coalesce(decision_owners.known_until, 'infinity')
    where decisions.action <> 'no_action'

)

select * from resolutions_of_actions
