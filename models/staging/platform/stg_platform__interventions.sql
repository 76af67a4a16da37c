with

source as (
    select * from {{ ref('base_platform__interventions') }}
),

winning_copy as (
    -- state table: dedup_rank 1 is the latest ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        intervention_id,
        name,
        description,
        surface,
        policy_category,
        target_age_bands,
        target_countries,
        launched_at,
        ended_at,
        experiment_id,
        ingested_at
    from winning_copy
)

select * from renamed
