with

source as (
    select * from {{ ref('base_platform__ai_interactions') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        interaction_id,
        user_id,
        feature,
        model_version,
        output_id,
        occurred_at,
        ingested_at
    from winning_copy
)

select * from renamed
