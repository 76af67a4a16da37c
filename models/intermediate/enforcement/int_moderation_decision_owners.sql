-- Who owns each decision's target, for its region segment, and from which ingestion
-- instant that is known. The owner is the user (target_type user), the message's sender,
-- or the content's creator: their profile region on the decided day if they are a user
-- with a profile that day, else the creator account's country. Before the message or
-- content row is known the owner is unknown, so each decision has one version per
-- interval of ingestion time; a metric reads the version in force at its cut-off.
-- As in int_user_day_segments, a user counts as known on a day only once their users
-- row was ingested before the end of that day.
with

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

messages as (

    select * from {{ ref('stg_platform__messages') }}

),

content_creator_versions as (

    select * from {{ ref('int_content_creator_versions') }}

),

user_segment_ranges as (

    select * from {{ ref('int_user_segment_ranges') }}

),

user_rows as (

    select * from {{ ref('base_platform__users') }}

),

countries as (

    select * from {{ ref('ref_countries') }}

),

decision_targets as (

    select
        decision_id,
        target_type,
        target_id,
        cast(decided_at as date) as decided_date
    from decisions

),

user_owners as (

    select
        decision_id,
        decided_date,
        target_id as owner_id,
        cast(null as string) as owner_country_code,
        {{ timestamp_minus_infinity() }} as known_from,
        cast(null as timestamp) as known_until
    from decision_targets
    where target_type = 'user'

),

message_sender_owners as (

    select
        decision_targets.decision_id,
        decision_targets.decided_date,
        messages.sender_id as owner_id,
        cast(null as string) as owner_country_code,
        messages.ingested_at as known_from,
        cast(null as timestamp) as known_until
    from decision_targets
    inner join messages
        on decision_targets.target_id = messages.message_id
    where decision_targets.target_type = 'message'

),

message_owners_before_known as (

    select
        decision_targets.decision_id,
        decision_targets.decided_date,
        cast(null as string) as owner_id,
        cast(null as string) as owner_country_code,
        {{ timestamp_minus_infinity() }} as known_from,
        messages.ingested_at as known_until
    from decision_targets
    left join messages
        on decision_targets.target_id = messages.message_id
    where decision_targets.target_type = 'message'

),

content_creator_owners as (

    select
        decision_targets.decision_id,
        decision_targets.decided_date,
        content_creator_versions.creator_id as owner_id,
        content_creator_versions.creator_country_code as owner_country_code,
        content_creator_versions.known_from,
        content_creator_versions.known_until
    from decision_targets
    inner join content_creator_versions
        on decision_targets.target_id = content_creator_versions.content_id
    where decision_targets.target_type = 'content'

),

content_owners_before_known as (

    select
        decision_targets.decision_id,
        decision_targets.decided_date,
        cast(null as string) as owner_id,
        cast(null as string) as owner_country_code,
        {{ timestamp_minus_infinity() }} as known_from,
        min(content_creator_versions.known_from) as known_until
    from decision_targets
    left join content_creator_versions
        on decision_targets.target_id = content_creator_versions.content_id
    where decision_targets.target_type = 'content'
    group by all

),

user_first_known as (

    select
        user_id,
        min(ingested_at) as first_known_at
    from user_rows
    where reject_reason is null
    group by user_id

),

owner_versions as (

    select * from user_owners
    union all
    select * from message_sender_owners
    union all
    select * from message_owners_before_known
    union all
    select * from content_creator_owners
    union all
    select * from content_owners_before_known

),

owners_known_that_day as (

    -- the owner's id only if their users row was known by the end of the decided day;
    -- computed here so the segment join below is one equality plus a range (a hash join)
    select
        owner_versions.*,
        case
            when user_first_known.first_known_at < cast(owner_versions.decided_date + 1 as timestamp)
                then owner_versions.owner_id
        end as known_owner_id
    from owner_versions
    left join user_first_known
        on owner_versions.owner_id = user_first_known.user_id

),

owner_regions as (

    select
        owners_known_that_day.decision_id,
        owners_known_that_day.known_from,
        owners_known_that_day.known_until,
        owners_known_that_day.owner_id,
        owners_known_that_day.owner_country_code,
        user_segment_ranges.user_id is not null as is_owner_profiled_user,
        coalesce(
            user_segment_ranges.region,
            countries.region,
            'unknown'
        ) as region
    from owners_known_that_day
    left join user_segment_ranges
        on
            owners_known_that_day.known_owner_id = user_segment_ranges.user_id
            and owners_known_that_day.decided_date >= user_segment_ranges.valid_from_date
            and owners_known_that_day.decided_date <= user_segment_ranges.valid_to_date
    left join countries
        on owners_known_that_day.owner_country_code = countries.country_code

)

select * from owner_regions
