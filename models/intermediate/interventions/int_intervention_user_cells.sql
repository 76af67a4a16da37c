-- User-level totals per analysis cell of the difference-in-differences: for each
-- intervention x metric x analysis (int_intervention_windows: the real launch and the
-- placebo), group (targeted or comparison) and cell (the pre and post periods, and the
-- event-study weeks), one row per user with the sums of the unit facts' numerator and
-- denominator. Cells overlap (a pre-period day is also in its event week); contrasts
-- that combine them are computed clustered by user (macro ratio_contrast_influences),
-- so the overlap is accounted for. Targeted: the unit's age band and country are in the
-- intervention's lists (a dimension it does not target matches all). Comparison: not
-- targeted and known (not `unknown`) in each targeted dimension. Metrics with a surface
-- use the intervention's surface only.
with

analyses as (
    select * from {{ ref('int_intervention_windows') }}
),

unit_days as (
    select * from {{ ref('int_intervention_unit_days') }}
),

assigned as (
    select
        analyses.intervention_id,
        analyses.metric_name,
        analyses.analysis,
        unit_days.user_id,
        unit_days.metric_date,
        unit_days.numerator,
        unit_days.denominator,
        case
            when
                (
                    {{ list_length('analyses.target_age_bands') }} = 0
                    or {{ list_has('analyses.target_age_bands', 'unit_days.age_band') }}
                )
                and (
                    {{ list_length('analyses.target_countries') }} = 0
                    or {{ list_has('analyses.target_countries', 'unit_days.country_code') }}
                )
                then 'targeted'
            when
                (
                    {{ list_length('analyses.target_age_bands') }} = 0
                    or (
                        not {{ list_has('analyses.target_age_bands', 'unit_days.age_band') }}
                        and unit_days.age_band <> 'unknown'
                    )
                )
                and (
                    {{ list_length('analyses.target_countries') }} = 0
                    or (
                        not {{ list_has('analyses.target_countries', 'unit_days.country_code') }}
                        and unit_days.country_code <> 'unknown'
                    )
                )
                then 'comparison'
        end as group_name,
        case
            when unit_days.metric_date between analyses.pre_start and analyses.pre_end then 'pre'
            when unit_days.metric_date between analyses.post_start and analyses.post_end then 'post'
        end as period,
        case
            when unit_days.metric_date < analyses.anchor_date
                then -cast(ceil((analyses.anchor_date - unit_days.metric_date) / 7.0) as integer)
            else cast(ceil((unit_days.metric_date - analyses.anchor_date) / 7.0) as integer)
        end as event_week,
        {{ is_final('unit_days.metric_date', 'analyses.maturity_days') }} as is_final_day
    from analyses
    inner join unit_days
        on
            analyses.metric_name = unit_days.metric_name
            and (unit_days.surface = 'all' or analyses.surface = unit_days.surface)
            and unit_days.metric_date between analyses.pre_start and analyses.post_end
            and analyses.anchor_date <> unit_days.metric_date
),

in_windows as (
    select * from assigned
    where group_name is not null and period is not null
),

period_cells as (
    select
        intervention_id,
        metric_name,
        analysis,
        group_name,
        group_name || ':' || period as cell_id,
        period as cell,
        cast(null as integer) as event_week,
        user_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(distinct metric_date) as unit_days,
        min(metric_date) as first_day,
        max(metric_date) as last_day,
        bool_and(is_final_day) as is_final
    from in_windows
    group by intervention_id, metric_name, analysis, group_name, period, user_id
),

week_cells as (
    select
        intervention_id,
        metric_name,
        analysis,
        group_name,
        group_name || ':week_' || event_week as cell_id,
        'week_' || event_week as cell,
        event_week,
        user_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(distinct metric_date) as unit_days,
        min(metric_date) as first_day,
        max(metric_date) as last_day,
        bool_and(is_final_day) as is_final
    from in_windows
    group by intervention_id, metric_name, analysis, group_name, event_week, user_id
),

user_cells as (
    select * from period_cells
    union all
    select * from week_cells
)

select * from user_cells
