with

source as (
    select * from {{ ref('base_platform__prevalence_labels') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        label_id,
        event_id,
        sample_stratum,
        sampling_rate,
        is_violating,
        policy_category,
        labeler_id,
        labeled_at,
        ingested_at
    from winning_copy
)

select * from renamed
