{#-
    reports_per_10k_active_users: reports (by reporter and UTC day of reported_at) x 10000
    / active users of the same age_band x region x plan cell across all surfaces. Surface
    splits the numerator only. The denominator of a period is the sum of its days' active
    users (user-days), so a period's value is on the daily scale; sample_size = those
    user-days. value is computed centrally from numerator and denominator.
-#}

with

facts as (

    {{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', 'reports_per_10k_active_users') }}

),

facts_in_periods as (

    {{ metric_periods_of('facts', 'activity_date') }}

),

segment_values as (

    select * from {{ ref('ref_segment_values') }}

),

user_days as (

    -- a user is one unit per day whatever the number of surfaces they were active on
    select
        period_grain,
        period_start,
        user_id,
        activity_date,
        any_value(age_band) as age_band,
        any_value(region) as region,
        any_value(plan) as plan,
        sum(impressions) > 0 as is_active_user,
        sum(reports) as reports
    from facts_in_periods
    group by period_grain, period_start, user_id, activity_date

),

report_cells as (

    select
        period_grain,
        period_start,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        sum(reports) as reports,
        count_if(is_active_user) as active_users
    from user_days
    where reports > 0 or is_active_user
    group by period_grain, period_start, {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}  -- noqa: PRS

),

reports_by_surface as (

    -- the groupings of metric_grouping_sets that break down surface (numerator only)
    select
        period_grain,
        period_start,
        {{ segment_or_all('age_band') }} as age_band,
        surface,
        sum(reports) as reports
    from facts_in_periods
    where reports > 0
    group by period_grain, period_start, surface, grouping sets ((), (age_band))  -- noqa: PRS

),

surfaces as (

    select segment_value as surface
    from segment_values
    where segment_column = 'surface'

),

surface_cells as (

    -- a surface without reports in a cell with active users is a measured 0 per 10k,
    -- not an empty cell, so every surface gets a row wherever the cell has active users
    select
        report_cells.period_grain,
        report_cells.period_start,
        report_cells.age_band,
        surfaces.surface,
        coalesce(reports_by_surface.reports, 0) as reports,
        report_cells.active_users
    from report_cells
    cross join surfaces
    left join reports_by_surface
        on
            report_cells.period_grain = reports_by_surface.period_grain
            and report_cells.period_start = reports_by_surface.period_start
            and report_cells.age_band = reports_by_surface.age_band
            and surfaces.surface = reports_by_surface.surface
    where
        report_cells.region = 'all'
        and report_cells.plan = 'all'
        and (report_cells.active_users > 0 or reports_by_surface.reports > 0)

),

unit_rows as (

    select
        {{ metric_unit_columns(
            'reports_per_10k_active_users',
            carried=['age_band', 'region', 'plan'],
            numerator='reports',
            denominator='active_users',
            sample_size='active_users',
        ) }}
    from report_cells

    union all

    select
        {{ metric_unit_columns(
            'reports_per_10k_active_users',
            carried=['age_band', 'surface'],
            numerator='reports',
            denominator='active_users',
            sample_size='active_users',
        ) }}
    from surface_cells

)

select * from unit_rows
