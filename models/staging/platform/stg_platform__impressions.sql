with

source as (
    select * from {{ ref('base_platform__impressions') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        event_id,
        user_id,
        content_id,
        surface,
        platform,
        session_id,
        occurred_at,
        ingested_at
    from winning_copy
)

select * from renamed
