-- One row per intervention x metric x targeted segment x analysis: the
-- difference-in-differences readout at the real launch (`analysis = 'launch'`) and,
-- beside it, the same analysis at the placebo launch inside the pre period
-- (`analysis = 'placebo'`, which should show no change). Aggregates only: no user ids,
-- no cells below the grain of the intervention's targeting. Methods:
-- docs/interventions.md.
with

windows as (
    select * from {{ ref('int_intervention_windows') }}
),

cells as (
    select * from {{ ref('int_intervention_cells') }}
),

contrasts as (
    select * from {{ ref('int_intervention_contrasts') }}
),

period_cells as (
    select
        cells.intervention_id,
        cells.metric_name,
        cells.analysis,
        max(cells.numerator / nullif(cells.denominator, 0) * windows.value_scale)
        filter (where cells.cell_id = 'targeted:pre') as targeted_pre,
        max(cells.numerator / nullif(cells.denominator, 0) * windows.value_scale)
        filter (where cells.cell_id = 'targeted:post') as targeted_post,
        max(cells.numerator / nullif(cells.denominator, 0) * windows.value_scale)
        filter (where cells.cell_id = 'comparison:pre') as comparison_pre,
        max(cells.numerator / nullif(cells.denominator, 0) * windows.value_scale)
        filter (where cells.cell_id = 'comparison:post') as comparison_post,
        coalesce(max(cells.numerator) filter (where cells.cell_id = 'targeted:pre'), 0) as targeted_pre_numerator,
        coalesce(max(cells.denominator) filter (where cells.cell_id = 'targeted:pre'), 0) as targeted_pre_denominator,
        coalesce(max(cells.numerator) filter (where cells.cell_id = 'targeted:post'), 0) as targeted_post_numerator,
        coalesce(max(cells.denominator) filter (where cells.cell_id = 'targeted:post'), 0) as targeted_post_denominator,
        coalesce(max(cells.numerator) filter (where cells.cell_id = 'comparison:pre'), 0) as comparison_pre_numerator,
        coalesce(max(cells.denominator) filter (where cells.cell_id = 'comparison:pre'), 0)
            as comparison_pre_denominator,
        coalesce(max(cells.numerator) filter (where cells.cell_id = 'comparison:post'), 0)
            as comparison_post_numerator,
        coalesce(max(cells.denominator) filter (where cells.cell_id = 'comparison:post'), 0)
            as comparison_post_denominator,
        coalesce(max(cells.users) filter (where cells.cell_id = 'targeted:pre'), 0) as targeted_pre_users,
        coalesce(max(cells.users) filter (where cells.cell_id = 'targeted:post'), 0) as targeted_post_users,
        coalesce(max(cells.users) filter (where cells.cell_id = 'comparison:pre'), 0) as comparison_pre_users,
        coalesce(max(cells.users) filter (where cells.cell_id = 'comparison:post'), 0) as comparison_post_users,
        count(*) filter (where cells.cell in ('pre', 'post')) = 4
        and bool_and(cells.is_final) filter (where cells.cell in ('pre', 'post')) as cells_final
    from cells
    inner join windows
        on
            cells.intervention_id = windows.intervention_id
            and cells.metric_name = windows.metric_name
            and cells.analysis = windows.analysis
    group by cells.intervention_id, cells.metric_name, cells.analysis
),

did as (
    select * from contrasts
    where contrast_id = 'did'
),

pre_trend as (
    select * from contrasts
    where contrast_id = 'pre_trend'
),

joined as (
    select
        windows.intervention_id,
        windows.intervention_name,
        windows.intervention_description,
        windows.metric_name,
        windows.metric_version,
        windows.unit,
        windows.direction,
        windows.analysis,
        windows.analysis = 'placebo' as is_placebo,
        windows.launch_date,
        windows.anchor_date,
        windows.surface,
        windows.targeted_segment,
        windows.comparison_segment,
        windows.mapping_source,
        windows.pre_start,
        windows.pre_end,
        windows.post_start,
        windows.post_end,
        windows.pre_days_used,
        windows.post_days_used,
        period_cells.targeted_pre,
        period_cells.targeted_post,
        period_cells.targeted_post - period_cells.targeted_pre as targeted_change,
        period_cells.comparison_pre,
        period_cells.comparison_post,
        period_cells.comparison_post - period_cells.comparison_pre as comparison_change,
        period_cells.targeted_pre_numerator,
        period_cells.targeted_pre_denominator,
        period_cells.targeted_post_numerator,
        period_cells.targeted_post_denominator,
        period_cells.comparison_pre_numerator,
        period_cells.comparison_pre_denominator,
        period_cells.comparison_post_numerator,
        period_cells.comparison_post_denominator,
        period_cells.targeted_pre_users,
        period_cells.targeted_post_users,
        period_cells.comparison_pre_users,
        period_cells.comparison_post_users,
        did.estimate as did_estimate,
        did.standard_error as did_standard_error,
        did.estimate - {{ normal_z_95() }} * did.standard_error as did_ci_lower,
        did.estimate + {{ normal_z_95() }} * did.standard_error as did_ci_upper,
        did.clusters as did_clusters,
        -- the targeted post value had it moved like the comparison group
        period_cells.targeted_pre + (period_cells.comparison_post - period_cells.comparison_pre)
            as counterfactual_post,
        pre_trend.estimate as pre_trend_slope,
        pre_trend.standard_error as pre_trend_standard_error,
        coalesce(period_cells.cells_final, false) and windows.post_days_used > 0 as is_final
    from windows
    left join period_cells
        on
            windows.intervention_id = period_cells.intervention_id
            and windows.metric_name = period_cells.metric_name
            and windows.analysis = period_cells.analysis
    left join did
        on
            windows.intervention_id = did.intervention_id
            and windows.metric_name = did.metric_name
            and windows.analysis = did.analysis
    left join pre_trend
        on
            windows.intervention_id = pre_trend.intervention_id
            and windows.metric_name = pre_trend.metric_name
            and windows.analysis = pre_trend.analysis
),

tested as (
    select
        *,
        {{ relative_change('did_estimate', 'counterfactual_post') }} as relative_change,
        {{ relative_change('did_ci_lower', 'counterfactual_post') }} as relative_ci_lower,
        {{ relative_change('did_ci_upper', 'counterfactual_post') }} as relative_ci_upper,
        case
            when pre_trend_standard_error > 0 then pre_trend_slope / pre_trend_standard_error
        end as pre_trend_z,
        {{ effect_verdict('direction', 'did_ci_lower', 'did_ci_upper', 'counterfactual_post') }} as interval_verdict
    from joined
),

pre_trend_tested as (
    select
        *,
        -- 5% two-sided test of a zero pre-period slope of the targeted-comparison gap
        coalesce(abs(pre_trend_z) <= {{ normal_z_95() }}, pre_trend_slope is null or pre_trend_slope = 0)
            as pre_trend_passed
    from tested
),

final as (
    select
        *,
        -- a placebo is itself the parallel-trends check over the real pre period: its
        -- verdict is its interval's, and its own two-week pre-trend is reported, not gating
        case
            when interval_verdict is null then null
            when not is_placebo and not pre_trend_passed then 'inconclusive_pre_trend'
            else interval_verdict
        end as verdict,
        'delta method (linearized ratio of sums), clustered by user' as variance_method,
        {{ as_of_date_literal() }} as as_of_date
    from pre_trend_tested
)

select * from final
