{#-
    One point-in-time segment per user-day that any fact needs. The user-days are
    collected once (distinct) and joined once to the profile day ranges, so facts join
    this table on (user_id, day) instead of repeating the range join.
    A user counts as known on a day when their first valid users row was ingested
    before the end of that day: like profile copies, a users row that arrives late never
    rewrites a past day (and so never changes a final metric value).
    Unknown users, and users without a profile copy holding that day, are the
    'unknown' member of every segment attribute.

    Incremental (append): a user-day's segment never changes once computed. For a day D
    up to the previous build's as-of date A_prev, the users and profile rows that decide
    it were ingested before D + 1 day <= A_prev + 1 day, the previous knowledge instant,
    and anything ingested later takes effect only from its own ingestion. So a nightly
    build only adds the user-days it has not seen: those of fact rows ingested since the
    previous knowledge instant, or dated after A_prev (such rows were in the future then).
-#}

{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
) }}

{%- set previous = previous_as_of() %}

with

impressions as (

    select * from {{ ref('stg_platform__impressions') }}
    {%- if previous is not none %}
        where ingested_at >= date '{{ previous }}' + 1 or occurred_at >= date '{{ previous }}' + 1
    {%- endif %}

),

user_reports as (

    select * from {{ ref('stg_platform__user_reports') }}
    {%- if previous is not none %}
        where ingested_at >= date '{{ previous }}' + 1 or reported_at >= date '{{ previous }}' + 1
    {%- endif %}

),

messages as (

    select * from {{ ref('stg_platform__messages') }}
    {%- if previous is not none %}
        where ingested_at >= date '{{ previous }}' + 1 or sent_at >= date '{{ previous }}' + 1
    {%- endif %}

),

user_blocks as (

    select * from {{ ref('stg_platform__user_blocks') }}
    {%- if previous is not none %}
        where ingested_at >= date '{{ previous }}' + 1 or created_at >= date '{{ previous }}' + 1
    {%- endif %}

),

ai_interactions as (

    select * from {{ ref('stg_platform__ai_interactions') }}
    {%- if previous is not none %}
        where ingested_at >= date '{{ previous }}' + 1 or occurred_at >= date '{{ previous }}' + 1
    {%- endif %}

),

user_rows as (

    select * from {{ ref('base_platform__users') }}

),

segment_ranges as (

    select * from {{ ref('int_user_segment_ranges') }}

),

fact_user_day_events as (

    select
        user_id,
        cast(occurred_at as date) as segment_date
    from impressions

    union all

    select
        reporter_id as user_id,
        cast(reported_at as date) as segment_date
    from user_reports

    union all

    select
        sender_id as user_id,
        cast(sent_at as date) as segment_date
    from messages

    union all

    select
        recipient_id as user_id,
        cast(sent_at as date) as segment_date
    from messages

    union all

    select
        blocker_id as user_id,
        cast(created_at as date) as segment_date
    from user_blocks

    union all

    select
        user_id,
        cast(occurred_at as date) as segment_date
    from ai_interactions

),

fact_user_days as (

    select distinct
        user_id,
        segment_date
    from fact_user_day_events
    where user_id is not null
    {%- if previous is not none %}
        and not exists (
            select 1 from {{ this }} as computed
            where
                computed.user_id = fact_user_day_events.user_id
                and computed.segment_date = fact_user_day_events.segment_date
        )
    {%- endif %}

),

user_first_known as (

    select
        user_id,
        min(ingested_at) as first_known_at
    from user_rows
    where
        reject_reason is null
        and ingested_at < {{ knowledge_instant() }}
    group by user_id

),

user_day_profiles as (

    select
        fact_user_days.user_id,
        fact_user_days.segment_date,
        coalesce(
            user_first_known.first_known_at < cast(fact_user_days.segment_date + 1 as timestamp),
            false
        ) as is_known_user,
        segment_ranges.user_id is not null as has_profile_copy,
        segment_ranges.plan,
        segment_ranges.country_code,
        segment_ranges.region,
        segment_ranges.birth_date
    from fact_user_days
    left join user_first_known
        on fact_user_days.user_id = user_first_known.user_id
    left join segment_ranges
        on
            fact_user_days.user_id = segment_ranges.user_id
            and fact_user_days.segment_date
            between segment_ranges.valid_from_date and segment_ranges.valid_to_date

),

known_user_day_profiles as (

    -- an unknown user's profile is not used (kept out of the join condition above so
    -- that the range join stays a hash join on user_id)
    select
        user_id,
        segment_date,
        is_known_user,
        is_known_user and has_profile_copy as has_profile,
        case when is_known_user then plan end as plan,
        case when is_known_user then country_code end as country_code,
        case when is_known_user then region end as region,
        case when is_known_user then birth_date end as birth_date
    from user_day_profiles

),

segments as (

    select
        user_id,
        segment_date,
        {{ age_band('birth_date', 'segment_date') }} as age_band,
        {{ age_in_years('birth_date', 'segment_date') }} as age_years,
        coalesce(region, 'unknown') as region,
        country_code,
        coalesce(plan, 'unknown') as plan,
        has_profile,
        is_known_user
    from known_user_day_profiles

),

segments_with_minor_flag as (

    select
        user_id,
        segment_date,
        age_band,
        age_years,
        {{ is_minor_age_band('age_band') }} as is_minor,
        region,
        country_code,
        plan,
        has_profile,
        is_known_user,
        {{ as_of_date_literal() }} as computed_as_of
    from segments

)

select * from segments_with_minor_flag
