with

source as (
    select * from {{ ref('base_platform__user_reports') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        report_id,
        reporter_id,
        reporter_type,
        notice_basis,
        target_type,
        target_id,
        reason_code,
        surface,
        reported_at,
        ingested_at
    from winning_copy
)

select * from renamed
