-- Every age_restrict action on content, split into the intervals of ingestion time
-- (knowledge epochs) during which what we know about it does not change: the decision
-- itself, and the appeal copies of its appeals (int_appeal_versions). A cut-off F sees
-- epoch e when known_from < F <= known_until (null = still current); within it the
-- restriction is in force from decided_at until restricted_until, the earliest
-- resolved_at of an appeal whose latest known copy is `overturned` (null = never lifted).
-- So an overturn ingested after a day's finalization instant never changes that day.
with

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

appeal_versions as (

    select * from {{ ref('int_appeal_versions') }}

),

age_restrictions as (

    select
        decision_id,
        target_id as content_id,
        decided_at,
        territorial_scope,
        ingested_at
    from decisions
    where
        target_type = 'content'
        and action = 'age_restrict'

),

restriction_appeal_versions as (

    select
        appeal_versions.decision_id,
        appeal_versions.outcome,
        appeal_versions.resolved_at,
        appeal_versions.known_from,
        appeal_versions.known_until,
        age_restrictions.ingested_at as decision_ingested_at
    from appeal_versions
    inner join age_restrictions
        on appeal_versions.decision_id = age_restrictions.decision_id

),

knowledge_changes as (

    -- what is known about a restriction changes when it is ingested and whenever the
    -- latest known copy of one of its appeals changes (after the restriction is known)
    select
        decision_id,
        ingested_at as changed_at
    from age_restrictions

    union

    select
        decision_id,
        known_from as changed_at
    from restriction_appeal_versions
    where known_from > decision_ingested_at

    union

    select
        decision_id,
        known_until as changed_at
    from restriction_appeal_versions
    where known_until > decision_ingested_at

),

knowledge_epochs as (

    select
        decision_id,
        changed_at as known_from,
        lead(changed_at) over (partition by decision_id order by changed_at) as known_until
    from knowledge_changes

),

epoch_overturns as (

    -- an appeal copy covers an epoch when it is the latest known copy throughout it
    select
        knowledge_epochs.decision_id,
        knowledge_epochs.known_from,
        knowledge_epochs.known_until,
        min(restriction_appeal_versions.resolved_at) as overturned_at
    from knowledge_epochs
    left join restriction_appeal_versions
        on
            knowledge_epochs.decision_id = restriction_appeal_versions.decision_id
            and restriction_appeal_versions.outcome = 'overturned'
            and knowledge_epochs.known_from >= restriction_appeal_versions.known_from
            -- coalesce, not `or ... is null`: an OR in the join condition forces a nested-loop join
            and coalesce(knowledge_epochs.known_until, {{ timestamp_infinity() }})
            <= coalesce(restriction_appeal_versions.known_until, {{ timestamp_infinity() }})
    group by
        knowledge_epochs.decision_id,
        knowledge_epochs.known_from,
        knowledge_epochs.known_until

),

restrictions_as_of as (

    select
        age_restrictions.decision_id,
        epoch_overturns.known_from,
        epoch_overturns.known_until,
        age_restrictions.content_id,
        age_restrictions.decided_at,
        epoch_overturns.overturned_at as restricted_until,
        age_restrictions.territorial_scope,
        lower(trim(age_restrictions.territorial_scope)) = 'global' as is_global,
        {{ split_text("upper(replace(age_restrictions.territorial_scope, ' ', ''))", '|') }} as scope_country_codes
    from age_restrictions
    inner join epoch_overturns
        on age_restrictions.decision_id = epoch_overturns.decision_id

)

select * from restrictions_as_of
