with

source as (
    select * from {{ ref('base_platform__moderation_decisions') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        decision_id,
        target_type,
        target_id,
        policy_category,
        action,
        detection_source,
        triggering_report_id,
        is_automated_decision,
        decision_ground,
        flagged_at,
        decided_at,
        territorial_scope,
        ingested_at
    from winning_copy
)

select * from renamed
