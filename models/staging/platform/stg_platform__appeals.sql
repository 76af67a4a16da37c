with

source as (
    select * from {{ ref('base_platform__appeals') }}
),

winning_copy as (
    -- state table: dedup_rank 1 is the latest ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        appeal_id,
        decision_id,
        appellant_id,
        submitted_at,
        resolved_at,
        outcome,
        ingested_at
    from winning_copy
)

select * from renamed
