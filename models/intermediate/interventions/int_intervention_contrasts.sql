-- Every contrast of the difference-in-differences readout, per intervention x metric x
-- analysis (launch, placebo), with its estimate and its variance clustered by user
-- (macros/statistics/ratio_contrasts.sql):
--   did             (T_post - T_pre) - (C_post - C_pre)
--   event_week      (T_week - T_pre) - (C_week - C_pre), for every event week
--   pre_trend       the least-squares slope over the pre-period weeks of T_week - C_week
--                   (weights a_k = (k - mean k) / sum (k - mean k)^2), per week
-- T/C = the targeted/comparison cell values in the metric's unit (x value_scale).
with

windows as (
    select * from {{ ref('int_intervention_windows') }}
),

user_cells as (
    select * from {{ ref('int_intervention_user_cells') }}
),

cell_totals as (
    select * from {{ ref('int_intervention_cells') }}
),

scales as (
    select
        intervention_id,
        metric_name,
        analysis,
        value_scale
    from windows
),

did_coefficients as (
    select
        scales.intervention_id,
        scales.metric_name,
        scales.analysis,
        'did' as contrast_id,
        cast(null as integer) as event_week,
        terms.cell_id,
        terms.sign * scales.value_scale as coefficient
    from scales
    cross join (
        values
        ('targeted:post', 1.0), ('targeted:pre', -1.0), ('comparison:post', -1.0), ('comparison:pre', 1.0)
    ) as terms (cell_id, sign)
),

event_weeks as (
    select distinct
        intervention_id,
        metric_name,
        analysis,
        event_week
    from cell_totals
    where event_week is not null
),

event_week_coefficients as (
    select
        event_weeks.intervention_id,
        event_weeks.metric_name,
        event_weeks.analysis,
        'event_week_' || event_weeks.event_week as contrast_id,
        event_weeks.event_week,
        terms.group_name || ':' || case when terms.is_week then 'week_' || event_weeks.event_week else 'pre' end
            as cell_id,
        terms.sign * scales.value_scale as coefficient
    from event_weeks
    inner join scales
        on
            event_weeks.intervention_id = scales.intervention_id
            and event_weeks.metric_name = scales.metric_name
            and event_weeks.analysis = scales.analysis
    cross join (
        values
        ('targeted', true, 1.0), ('targeted', false, -1.0), ('comparison', true, -1.0), ('comparison', false, 1.0)
    ) as terms (group_name, is_week, sign)
),

-- pre-period weeks where both groups have a denominator
pre_weeks as (
    select
        intervention_id,
        metric_name,
        analysis,
        event_week
    from cell_totals
    where event_week < 0 and denominator > 0
    group by intervention_id, metric_name, analysis, event_week
    having count(*) = 2
),

pre_week_deviations as (
    select
        intervention_id,
        metric_name,
        analysis,
        event_week,
        event_week - avg(event_week) over (partition by intervention_id, metric_name, analysis) as deviation
    from pre_weeks
),

pre_week_weights as (
    select
        intervention_id,
        metric_name,
        analysis,
        event_week,
        deviation
        / nullif(sum(deviation * deviation) over (partition by intervention_id, metric_name, analysis), 0)
            as slope_weight
    from pre_week_deviations
),

pre_trend_coefficients as (
    select
        pre_week_weights.intervention_id,
        pre_week_weights.metric_name,
        pre_week_weights.analysis,
        'pre_trend' as contrast_id,
        cast(null as integer) as event_week,
        terms.group_name || ':week_' || pre_week_weights.event_week as cell_id,
        terms.sign * pre_week_weights.slope_weight * scales.value_scale as coefficient
    from pre_week_weights
    inner join scales
        on
            pre_week_weights.intervention_id = scales.intervention_id
            and pre_week_weights.metric_name = scales.metric_name
            and pre_week_weights.analysis = scales.analysis
    cross join (values ('targeted', 1.0), ('comparison', -1.0)) as terms (group_name, sign)
    where pre_week_weights.slope_weight is not null
),

coefficients as (
    select * from did_coefficients
    union all
    select * from event_week_coefficients
    union all
    select * from pre_trend_coefficients
),

estimates as (
    {{ ratio_contrast_estimates('cell_totals', 'coefficients', ['intervention_id', 'metric_name', 'analysis']) }}
),

influences as (
    {{ ratio_contrast_influences(
        'user_cells', 'cell_totals', 'coefficients', ['intervention_id', 'metric_name', 'analysis']
    ) }}
),

variances as (
    select
        intervention_id,
        metric_name,
        analysis,
        contrast_id,
        sum(influence * influence) as variance,
        count(*) as clusters
    from influences
    group by intervention_id, metric_name, analysis, contrast_id
),

contrast_weeks as (
    select distinct
        intervention_id,
        metric_name,
        analysis,
        contrast_id,
        event_week
    from coefficients
),

final as (
    select
        estimates.intervention_id,
        estimates.metric_name,
        estimates.analysis,
        estimates.contrast_id,
        contrast_weeks.event_week,
        estimates.estimate,
        case when estimates.estimate is not null then coalesce(variances.variance, 0) end as variance,
        case when estimates.estimate is not null then sqrt(coalesce(variances.variance, 0)) end as standard_error,
        coalesce(variances.clusters, 0) as clusters
    from estimates
    inner join contrast_weeks
        on
            estimates.intervention_id = contrast_weeks.intervention_id
            and estimates.metric_name = contrast_weeks.metric_name
            and estimates.analysis = contrast_weeks.analysis
            and estimates.contrast_id = contrast_weeks.contrast_id
    left join variances
        on
            estimates.intervention_id = variances.intervention_id
            and estimates.metric_name = variances.metric_name
            and estimates.analysis = variances.analysis
            and estimates.contrast_id = variances.contrast_id
)

select * from final
