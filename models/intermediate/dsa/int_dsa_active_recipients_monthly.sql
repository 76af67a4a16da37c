-- Monthly distinct active recipients per EU member state and in the EU: users with at
-- least one impression known at the active_users cut-off of its day (the counts of
-- int_exposure_user_day_surfaces), in the member state of their point-in-time country
-- that day (int_user_day_segments). A user active in two member states in one month
-- counts in each, and once in the EU.
with

user_day_surfaces as (

    -- the exposure facts at the active-users cut-off (macro metric_facts_at_cutoff)
    {{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', 'active_users') }}

),

user_day_segments as (

    select * from {{ ref('int_user_day_segments') }}

),

countries as (

    select * from {{ ref('ref_countries') }}

),

active_user_days as (

    select
        user_id,
        activity_date
    from user_day_surfaces
    group by user_id, activity_date
    having sum(impressions) > 0

),

active_user_days_in_member_states as (

    select
        active_user_days.user_id,
        date_trunc('month', active_user_days.activity_date) as activity_month,
        countries.country_code
    from active_user_days
    inner join user_day_segments
        on
            active_user_days.user_id = user_day_segments.user_id
            and active_user_days.activity_date = user_day_segments.segment_date
    inner join countries
        on upper(user_day_segments.country_code) = countries.country_code
    where cast(countries.is_eu_member as boolean)

),

monthly_by_member_state as (

    select
        cast(activity_month as date) as activity_month,
        country_code as area,
        count(distinct user_id) as active_recipients
    from active_user_days_in_member_states
    group by all

),

monthly_in_eu as (

    select
        cast(activity_month as date) as activity_month,
        'EU' as area,
        count(distinct user_id) as active_recipients
    from active_user_days_in_member_states
    group by all

),

monthly as (

    select * from monthly_by_member_state
    union all
    select * from monthly_in_eu

)

select * from monthly
