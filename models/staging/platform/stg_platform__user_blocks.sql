with

source as (
    select * from {{ ref('base_platform__user_blocks') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        block_id,
        blocker_id,
        blocked_id,
        surface,
        created_at,
        ingested_at
    from winning_copy
)

select * from renamed
