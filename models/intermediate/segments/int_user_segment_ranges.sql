{#-
    The end-of-day rule: the profile copy holding day D is, of the copies that took
    effect before D + 1 day 00:00 UTC, the one that took effect last. A copy therefore
    holds from the date it took effect through the day before its successor took effect;
    a copy superseded on the day it took effect holds no day.
-#}

with

profile_versions as (

    select * from {{ ref('int_user_profile_versions') }}

),

version_days as (

    select
        user_id,
        cast(effective_at as date) as valid_from_date,
        coalesce(cast(effective_to as date) - 1, date '9999-12-31') as valid_to_date,
        plan,
        country_code,
        region,
        birth_date,
        is_managed_account
    from profile_versions

),

holding_ranges as (

    select * from version_days
    where valid_to_date >= valid_from_date

)

select * from holding_ranges
