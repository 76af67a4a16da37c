{#-
    active_users: distinct users with at least one impression, counted once per period.
    A user whose segment changes inside a period counts in the segment of their last
    active day in the period, so the count stays additive across age_band, region and
    plan at every grain. By surface, a user counts once per surface they were active on
    (so surface rows are not additive into `all`).
-#}

with

facts as (

    {{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', 'active_users') }}

),

facts_in_periods as (

    {{ metric_periods_of('facts', 'activity_date') }}

),

active_facts as (

    select * from facts_in_periods
    where impressions > 0

),

user_periods as (

    select
        period_grain,
        period_start,
        user_id,
        max_by(age_band, activity_date) as age_band,
        max_by(region, activity_date) as region,
        max_by(plan, activity_date) as plan
    from active_facts
    group by period_grain, period_start, user_id

),

user_period_surfaces as (

    select distinct
        active_facts.period_grain,
        active_facts.period_start,
        active_facts.user_id,
        active_facts.surface,
        user_periods.age_band
    from active_facts
    inner join user_periods
        on
            active_facts.period_grain = user_periods.period_grain
            and active_facts.period_start = user_periods.period_start
            and active_facts.user_id = user_periods.user_id

),

active_users_all_surfaces as (

    select
        {{ metric_unit_columns(
            'active_users',
            grouped=['age_band', 'region', 'plan'],
            numerator='count(*)',
            sample_size='count(*)',
        ) }}
    from user_periods
    group by period_grain, period_start, {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}  -- noqa: PRS

),

active_users_by_surface as (

    -- the groupings of metric_grouping_sets that break down surface
    select
        {{ metric_unit_columns(
            'active_users',
            grouped=['age_band'],
            carried=['surface'],
            numerator='count(*)',
            sample_size='count(*)',
        ) }}
    from user_period_surfaces
    group by period_grain, period_start, surface, grouping sets ((), (age_band))  -- noqa: PRS

)

select * from active_users_all_surfaces
union all
select * from active_users_by_surface
