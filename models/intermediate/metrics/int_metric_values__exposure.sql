{#-
    The exposure family: active_users, impressions, violating_view_rate,
    actioned_content_view_rate, minor_age_restricted_exposure_rate and
    reports_per_10k_active_users, in the shared family shape. Every count was taken once,
    under its metric's finalization cut-off, at the user-day-surface grain
    (int_exposure_user_day_surfaces); here user-day rows are derived from it and every
    grouping is recomputed from those rows with grouping sets. Rows only where there is
    data; the grid zero-fills and value / intervals are computed centrally.
    Count metrics carry numerator = the count and a null denominator; the per-10k metric
    carries the reports and the active users (value = numerator x 10000 / denominator,
    computed centrally) and sample_size = those active users.

    Incremental by (metric_name, metric_date): a nightly build recomputes, per metric,
    only the days after A_prev - its maturity (A_prev = the previous build's as-of date)
    and keeps each metric's final days untouched (they depend only on rows ingested
    before their finalization instant, all known to the previous build).
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    meta={'feeds_metrics': [
        'impressions',
        'active_users',
        'reports_per_10k_active_users',
        'violating_view_rate',
        'actioned_content_view_rate',
        'minor_age_restricted_exposure_rate',
    ]},
    pre_hook="{{ delete_metric_days_to_recompute() }}",
) }}

{%- set previous = previous_as_of() %}
{%- set previous_as_of_date = "date '-infinity'" if previous is none else "date '" ~ previous ~ "'" %}
{%- set first_day = first_day_to_recompute() %}

with

user_day_surfaces as (

    select * from {{ ref('int_exposure_user_day_surfaces') }}
    {%- if first_day is not none %}
        where activity_date >= date '{{ first_day }}'
    {%- endif %}

),

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

segment_values as (

    select * from {{ ref('ref_segment_values') }}

),

user_days as (

    -- a user is one unit per day whatever the number of surfaces they were active on
    select
        user_id,
        activity_date,
        any_value(age_band) as age_band,
        any_value(region) as region,
        any_value(plan) as plan,
        sum(active_users_impressions) > 0 as is_active_user,
        sum(reports_rate_impressions) > 0 as is_active_for_reports_rate,
        cast(sum(reports) as bigint) as reports
    from user_day_surfaces
    group by user_id, activity_date

),

active_users_all_surfaces as (

    select
        'active_users' as metric_name,
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        'all' as surface,
        'all' as policy_category,
        cast(count(*) as double) as numerator,
        cast(null as double) as denominator,
        count(*) as sample_size,
        cast(null as double) as sum_weight_squared
    from user_days
    where is_active_user
    group by activity_date, {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}  -- noqa: PRS

),

active_users_by_surface as (

    -- the groupings of metric_grouping_sets that break down surface
    select
        'active_users' as metric_name,
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        'all' as region,
        'all' as plan,
        surface,
        'all' as policy_category,
        cast(count(*) as double) as numerator,
        cast(null as double) as denominator,
        count(*) as sample_size,
        cast(null as double) as sum_weight_squared
    from user_day_surfaces
    where active_users_impressions > 0
    group by activity_date, grouping sets ((surface), (age_band, surface))  -- noqa: PRS

),

impression_counts as (

    select
        'impressions' as metric_name,
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        {{ segment_or_all('surface') }} as surface,
        'all' as policy_category,
        cast(sum(impressions) as double) as numerator,
        cast(null as double) as denominator,
        cast(sum(impressions) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared
    from user_day_surfaces
    where impressions > 0
    group by activity_date, {{ metric_grouping_sets(['age_band', 'region', 'plan', 'surface']) }}  -- noqa: PRS

),

actioned_content_view_rates as (

    select
        'actioned_content_view_rate' as metric_name,
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        {{ segment_or_all('surface') }} as surface,
        'all' as policy_category,
        cast(sum(actioned_content_impressions) as double) as numerator,
        cast(sum(actioned_rate_impressions) as double) as denominator,
        cast(sum(actioned_rate_impressions) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared
    from user_day_surfaces
    where actioned_rate_impressions > 0
    group by activity_date, {{ metric_grouping_sets(['age_band', 'region', 'plan', 'surface']) }}  -- noqa: PRS

),

minor_age_restricted_exposure_rates as (

    -- minors only: age_band 'all' is every minor band together
    select
        'minor_age_restricted_exposure_rate' as metric_name,
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        'all' as plan,
        {{ segment_or_all('surface') }} as surface,
        'all' as policy_category,
        cast(sum(age_restricted_impressions) as double) as numerator,
        cast(sum(minor_exposure_impressions) as double) as denominator,
        cast(sum(minor_exposure_impressions) as bigint) as sample_size,
        cast(null as double) as sum_weight_squared
    from user_day_surfaces
    where is_minor and minor_exposure_impressions > 0
    group by activity_date, {{ metric_grouping_sets(['age_band', 'region', 'surface']) }}  -- noqa: PRS

),

prevalence_cells as (

    -- the labeled impressions of each cell: every row's denominator, Kish n and
    -- sample_size, including the policy_category rows of the cell
    select
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        {{ segment_or_all('surface') }} as surface,
        sum(violating_weight) as violating_weight,
        sum(label_weight) as label_weight,
        sum(label_weight_squared) as label_weight_squared,
        sum(labeled_impressions) as labeled_impressions
    from user_day_surfaces
    where labeled_impressions > 0
    group by activity_date, {{ metric_grouping_sets(['age_band', 'region', 'plan', 'surface']) }}  -- noqa: PRS

),

violating_label_rows as (

    select
        activity_date,
        age_band,
        unnest(violating_labels) as violating_label
    from user_day_surfaces
    where violating_labels is not null

),

violating_labels as (

    select
        activity_date,
        age_band,
        violating_label['violation_category'] as violation_category,
        violating_label['sample_weight'] as sample_weight
    from violating_label_rows

),

violating_weight_by_category as (

    -- the groupings of metric_grouping_sets that break down policy_category
    select
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        violation_category as policy_category,
        sum(sample_weight) as violating_weight
    from violating_labels
    group by activity_date, grouping sets ((violation_category), (age_band, violation_category))  -- noqa: PRS

),

policy_categories as (

    select segment_value as policy_category
    from segment_values
    where segment_column = 'policy_category'

),

surfaces as (

    select segment_value as surface
    from segment_values
    where segment_column = 'surface'

),

violating_view_rates as (

    select
        'violating_view_rate' as metric_name,
        metric_date,
        age_band,
        region,
        plan,
        surface,
        'all' as policy_category,
        violating_weight as numerator,
        label_weight as denominator,
        labeled_impressions as sample_size,
        label_weight_squared as sum_weight_squared
    from prevalence_cells

    union all

    -- a category with no violating label in a labeled cell is a measured 0, not an
    -- empty cell, so every category gets a row wherever the cell has labels
    select
        'violating_view_rate' as metric_name,
        prevalence_cells.metric_date,
        prevalence_cells.age_band,
        prevalence_cells.region,
        prevalence_cells.plan,
        prevalence_cells.surface,
        policy_categories.policy_category,
        coalesce(violating_weight_by_category.violating_weight, 0) as numerator,
        prevalence_cells.label_weight as denominator,
        prevalence_cells.labeled_impressions as sample_size,
        prevalence_cells.label_weight_squared as sum_weight_squared
    from prevalence_cells
    cross join policy_categories
    left join violating_weight_by_category
        on
            prevalence_cells.metric_date = violating_weight_by_category.metric_date
            and prevalence_cells.age_band = violating_weight_by_category.age_band
            and policy_categories.policy_category = violating_weight_by_category.policy_category
    where
        prevalence_cells.region = 'all'
        and prevalence_cells.plan = 'all'
        and prevalence_cells.surface = 'all'

),

report_cells as (

    -- the denominator is the cell's active users across all surfaces
    select
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        sum(reports) as reports,
        count_if(is_active_for_reports_rate) as active_users
    from user_days
    where reports > 0 or is_active_for_reports_rate
    group by activity_date, {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}  -- noqa: PRS

),

reports_by_surface as (

    -- the groupings of metric_grouping_sets that break down surface (numerator only)
    select
        activity_date as metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        surface,
        cast(sum(reports) as bigint) as reports
    from user_day_surfaces
    where reports > 0
    group by activity_date, grouping sets ((surface), (age_band, surface))  -- noqa: PRS

),

reports_per_10k_active_users as (

    select
        'reports_per_10k_active_users' as metric_name,
        metric_date,
        age_band,
        region,
        plan,
        'all' as surface,
        'all' as policy_category,
        cast(reports as double) as numerator,
        cast(active_users as double) as denominator,
        active_users as sample_size,
        cast(null as double) as sum_weight_squared
    from report_cells

    union all

    -- a surface without reports in a cell with active users is a measured 0 per 10k,
    -- not an empty cell, so every surface gets a row wherever the cell has active users
    select
        'reports_per_10k_active_users' as metric_name,
        report_cells.metric_date,
        report_cells.age_band,
        report_cells.region,
        report_cells.plan,
        surfaces.surface,
        'all' as policy_category,
        cast(coalesce(reports_by_surface.reports, 0) as double) as numerator,
        cast(report_cells.active_users as double) as denominator,
        report_cells.active_users as sample_size,
        cast(null as double) as sum_weight_squared
    from report_cells
    cross join surfaces
    left join reports_by_surface
        on
            report_cells.metric_date = reports_by_surface.metric_date
            and report_cells.age_band = reports_by_surface.age_band
            and surfaces.surface = reports_by_surface.surface
    where
        report_cells.region = 'all'
        and report_cells.plan = 'all'
        and (report_cells.active_users > 0 or reports_by_surface.reports > 0)

),

family_values as (

    select * from active_users_all_surfaces
    union all
    select * from active_users_by_surface
    union all
    select * from impression_counts
    union all
    select * from actioned_content_view_rates
    union all
    select * from minor_age_restricted_exposure_rates
    union all
    select * from violating_view_rates
    union all
    select * from reports_per_10k_active_users

),

family_rows as (

    select
        cast(family_values.metric_name as varchar) as metric_name,
        cast(family_values.metric_date as date) as metric_date,
        cast(family_values.age_band as varchar) as age_band,
        cast(family_values.region as varchar) as region,
        cast(family_values.plan as varchar) as plan,
        cast(family_values.surface as varchar) as surface,
        cast(family_values.policy_category as varchar) as policy_category,
        cast('all' as varchar) as feature,
        cast(family_values.numerator as double) as numerator,
        cast(family_values.denominator as double) as denominator,
        cast(family_values.sample_size as bigint) as sample_size,
        cast(family_values.sum_weight_squared as double) as sum_weight_squared,
        cast(null as double) as value,
        {{ as_of_date_literal() }} as computed_as_of
    from family_values
    inner join metric_registry
        on
            family_values.metric_name = metric_registry.metric_name
            -- each metric's days that are not final yet (all days on a full build)
            and family_values.metric_date > {{ previous_as_of_date }} - cast(metric_registry.maturity_days as integer)

)

select * from family_rows
