-- The denominator of the per-1k contact metrics: minors with at least one impression on
-- a day. first_known_at is the earliest ingestion of any of that day's impressions, so a
-- user-day counts for a metric day exactly when one of its impressions was known before
-- the value's finalization instant.
--
-- Incremental (append): a row never changes once written. Impressions staged later were
-- ingested later, so they cannot lower first_known_at, and the segment of a past
-- user-day is fixed (int_user_day_segments). A nightly build only adds the user-days of
-- impressions that are new since the previous build (ingested since its knowledge
-- instant, or dated after its as-of date) and not written yet; every impression of such
-- a user-day is new, so its first_known_at is complete.
{{ config(
    materialized='incremental',
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

new_active_user_days as (
    select * from active_user_days
    {%- if previous is not none %}
        where not exists (
            select 1 from {{ this }} as computed
            where
                computed.user_id = active_user_days.user_id
                and computed.activity_date = active_user_days.activity_date
        )
    {%- endif %}
),

minor_active_user_days as (
    select
        new_active_user_days.user_id,
        new_active_user_days.activity_date,
        user_day_segments.age_band,
        user_day_segments.region,
        user_day_segments.country_code,
        new_active_user_days.first_known_at,
        {{ as_of_date_literal() }} as computed_as_of
    from new_active_user_days
    inner join user_day_segments
        on
            new_active_user_days.user_id = user_day_segments.user_id
            and new_active_user_days.activity_date = user_day_segments.segment_date
    where user_day_segments.is_minor
)

select * from minor_active_user_days
