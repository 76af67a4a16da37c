with

source as (
    select * from {{ ref('base_platform__content') }}
),

winning_copy as (
    -- state table: dedup_rank 1 is the latest ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        content_id,
        content_type,
        creator_id,
        creator_country_code,
        created_at,
        is_ai_generated,
        language,
        ingested_at
    from winning_copy
)

select * from renamed
