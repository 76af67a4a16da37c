-- Every known copy of an appeal (a state table: first `pending`, later resolved), with
-- the interval of ingestion time during which it was the latest known copy. A metric
-- day reads the copy that was latest at its finalization instant, so a copy ingested
-- after that instant never changes a final value.
with

appeal_copies as (

    select * from {{ ref('base_platform__appeals') }}
    where reject_reason is null

),

one_copy_per_instant as (

    -- copies ingested at the same instant: the one staging would keep
    select
        appeal_id,
        decision_id,
        appellant_id,
        outcome,
        submitted_at,
        resolved_at,
        ingested_at,
        row_number() over (
            partition by appeal_id, ingested_at
            order by dedup_rank
        ) as rank_at_instant
    from appeal_copies

),

versions as (

    select
        appeal_id,
        decision_id,
        appellant_id,
        outcome,
        submitted_at,
        resolved_at,
        ingested_at as known_from,
        lead(ingested_at) over (
            partition by appeal_id
            order by ingested_at
        ) as known_until
    from one_copy_per_instant
    where rank_at_instant = 1

)

select * from versions
