-- Event study: per intervention x metric x analysis (launch, placebo) x event week (-4
-- .. -1 before the anchor day, 1 .. 4 after it; week -1 = the 7 days before), the gap
-- between the targeted and comparison values that week minus their gap over the whole
-- pre period, with a 95% interval clustered by user. Pre-period weeks should hover
-- around 0 (their slope is the pre-trend test of intervention_effects); post weeks
-- show how the effect builds up.
with

windows as (
    select * from {{ ref('int_intervention_windows') }}
),

cells as (
    select * from {{ ref('int_intervention_cells') }}
),

contrasts as (
    select * from {{ ref('int_intervention_contrasts') }}
    where contrast_id like 'event_week_%'
),

week_values as (
    select
        cells.intervention_id,
        cells.metric_name,
        cells.analysis,
        cells.event_week,
        max(cells.numerator / nullif(cells.denominator, 0) * windows.value_scale)
        filter (where cells.group_name = 'targeted') as targeted_value,
        max(cells.numerator / nullif(cells.denominator, 0) * windows.value_scale)
        filter (where cells.group_name = 'comparison') as comparison_value,
        coalesce(max(cells.users) filter (where cells.group_name = 'targeted'), 0) as targeted_users,
        coalesce(max(cells.users) filter (where cells.group_name = 'comparison'), 0) as comparison_users,
        bool_and(cells.is_final) as is_final
    from cells
    inner join windows
        on
            cells.intervention_id = windows.intervention_id
            and cells.metric_name = windows.metric_name
            and cells.analysis = windows.analysis
    where cells.event_week is not null
    group by cells.intervention_id, cells.metric_name, cells.analysis, cells.event_week
),

final as (
    select
        windows.intervention_id,
        windows.metric_name,
        windows.metric_version,
        windows.unit,
        windows.analysis,
        windows.anchor_date,
        week_values.event_week,
        case
            when week_values.event_week < 0 then windows.anchor_date + 7 * week_values.event_week
            else windows.anchor_date + 7 * (week_values.event_week - 1) + 1
        end as week_start,
        case
            when week_values.event_week < 0 then windows.anchor_date + 7 * week_values.event_week + 6
            else windows.anchor_date + 7 * week_values.event_week
        end as week_end,
        week_values.event_week > 0 as is_post,
        week_values.targeted_value,
        week_values.comparison_value,
        week_values.targeted_users,
        week_values.comparison_users,
        contrasts.estimate,
        contrasts.standard_error,
        contrasts.estimate - {{ normal_z_95() }} * contrasts.standard_error as ci_lower,
        contrasts.estimate + {{ normal_z_95() }} * contrasts.standard_error as ci_upper,
        coalesce(week_values.is_final, false) as is_final,
        {{ as_of_date_literal() }} as as_of_date
    from week_values
    inner join windows
        on
            week_values.intervention_id = windows.intervention_id
            and week_values.metric_name = windows.metric_name
            and week_values.analysis = windows.analysis
    left join contrasts
        on
            week_values.intervention_id = contrasts.intervention_id
            and week_values.metric_name = contrasts.metric_name
            and week_values.analysis = contrasts.analysis
            and week_values.event_week = contrasts.event_week
)

select * from final
