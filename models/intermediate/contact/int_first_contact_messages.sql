-- Every row involved in a contact-safety value must be known before that value's
-- finalization instant, and the metrics of this family have different maturities. So
-- each message keeps the instant it became known (ingested_at) and the first instant an
-- unwanted reaction to it was known (unwanted_known_at); a metric day's value filters
-- both against its own finalization instant.
with

messages as (
    select * from {{ ref('stg_platform__messages') }}
),

user_blocks as (
    select * from {{ ref('stg_platform__user_blocks') }}
),

user_reports as (
    select * from {{ ref('stg_platform__user_reports') }}
),

user_day_segments as (
    select * from {{ ref('int_user_day_segments') }}
),

first_contacts as (
    select
        message_id,
        sender_id,
        recipient_id,
        sender_is_connection,
        sent_at,
        cast(sent_at as date) as sent_date,
        ingested_at
    from messages
    where is_first_contact
),

recipient_blocked_sender as (
    select
        first_contacts.message_id,
        user_blocks.ingested_at as known_at
    from first_contacts
    inner join user_blocks
        on
            first_contacts.recipient_id = user_blocks.blocker_id
            and first_contacts.sender_id = user_blocks.blocked_id
            and first_contacts.sent_at <= user_blocks.created_at
            and first_contacts.sent_at + interval 72 hour >= user_blocks.created_at
),

recipient_reported_sender as (
    select
        first_contacts.message_id,
        user_reports.ingested_at as known_at
    from first_contacts
    inner join user_reports
        on
            first_contacts.recipient_id = user_reports.reporter_id
            and first_contacts.sender_id = user_reports.target_id
            and user_reports.target_type = 'user'
            and first_contacts.sent_at <= user_reports.reported_at
            and first_contacts.sent_at + interval 72 hour >= user_reports.reported_at
),

-- A reported message identifies its sender only once the message row itself is known.
recipient_reported_sender_message as (
    select
        first_contacts.message_id,
        greatest(user_reports.ingested_at, reported_messages.ingested_at) as known_at
    from first_contacts
    inner join user_reports
        on
            first_contacts.recipient_id = user_reports.reporter_id
            and user_reports.target_type = 'message'
            and first_contacts.sent_at <= user_reports.reported_at
            and first_contacts.sent_at + interval 72 hour >= user_reports.reported_at
    inner join messages as reported_messages
        on
            user_reports.target_id = reported_messages.message_id
            and first_contacts.sender_id = reported_messages.sender_id
),

unwanted_reactions as (
    select * from recipient_blocked_sender
    union all
    select * from recipient_reported_sender
    union all
    select * from recipient_reported_sender_message
),

first_known_unwanted_reaction as (
    select
        message_id,
        min(known_at) as unwanted_known_at
    from unwanted_reactions
    group by message_id
),

first_contacts_with_segments as (
    select
        first_contacts.message_id,
        first_contacts.sent_date,
        first_contacts.recipient_id,
        first_contacts.sender_id,
        coalesce(recipient_segments.age_band, 'unknown') as recipient_age_band,
        coalesce(recipient_segments.is_minor, false) as recipient_is_minor,
        coalesce(recipient_segments.region, 'unknown') as recipient_region,
        coalesce(recipient_segments.country_code, 'unknown') as recipient_country_code,
        coalesce(recipient_segments.plan, 'unknown') as recipient_plan,
        coalesce(sender_segments.age_band, 'unknown') as sender_age_band,
        sender_segments.age_years as sender_age_years,
        case
            when sender_segments.age_years is null then 'unknown'
            when sender_segments.age_years >= 18 then 'adult'
            else 'minor'
        end as sender_age_group,
        first_contacts.sender_is_connection,
        first_known_unwanted_reaction.unwanted_known_at is not null as has_unwanted_reaction,
        first_contacts.sent_at,
        first_contacts.ingested_at,
        first_known_unwanted_reaction.unwanted_known_at
    from first_contacts
    left join user_day_segments as recipient_segments
        on
            first_contacts.recipient_id = recipient_segments.user_id
            and first_contacts.sent_date = recipient_segments.segment_date
    left join user_day_segments as sender_segments
        on
            first_contacts.sender_id = sender_segments.user_id
            and first_contacts.sent_date = sender_segments.segment_date
    left join first_known_unwanted_reaction
        on first_contacts.message_id = first_known_unwanted_reaction.message_id
)

select * from first_contacts_with_segments
