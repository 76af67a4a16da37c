-- The denominator of the per-1k contact metrics: minors with at least one impression on
-- a day. first_known_at is the earliest ingestion of any of that day's impressions, so a
-- user-day counts for a metric day exactly when one of its impressions was known before
-- the value's finalization instant.
with

impressions as (
    select * from {{ ref('stg_platform__impressions') }}
),

user_day_segments as (
    select * from {{ ref('int_user_day_segments') }}
),

active_user_days as (
    select
        user_id,
        cast(occurred_at as date) as activity_date,
        min(ingested_at) as first_known_at
    from impressions
    group by user_id, cast(occurred_at as date)
),

minor_active_user_days as (
    select
        active_user_days.user_id,
        active_user_days.activity_date,
        user_day_segments.age_band,
        user_day_segments.region,
        user_day_segments.country_code,
        active_user_days.first_known_at
    from active_user_days
    inner join user_day_segments
        on
            active_user_days.user_id = user_day_segments.user_id
            and active_user_days.activity_date = user_day_segments.segment_date
    where user_day_segments.is_minor
)

select * from minor_active_user_days
