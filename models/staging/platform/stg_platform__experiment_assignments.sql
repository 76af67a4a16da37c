with

source as (
    select * from {{ ref('base_platform__experiment_assignments') }}
),

winning_copy as (
    -- state table: dedup_rank 1 is the latest ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        experiment_id,
        user_id,
        variant,
        assigned_at,
        ingested_at
    from winning_copy
)

select * from renamed
