with

source as (
    select * from {{ ref('base_platform__users') }}
),

winning_copy as (
    -- state table: dedup_rank 1 is the latest ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        user_id,
        created_at,
        signup_platform,
        ingested_at
    from winning_copy
)

select * from renamed
