with

source as (
    select * from {{ ref('base_platform__messages') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        message_id,
        conversation_id,
        sender_id,
        recipient_id,
        is_first_contact,
        sender_is_connection,
        sent_at,
        ingested_at
    from winning_copy
)

select * from renamed
