-- Published. One row per experiment intervention x metric: treatment minus control
-- from user-level totals (exposure from each user's assigned_at), the delta-method
-- interval for the ratio metric clustered by user, the CUPED-adjusted difference with
-- the users' pre-period value as covariate (raw and adjusted both reported), and the
-- sample-ratio-mismatch check. Aggregates only. Methods: docs/interventions.md.
with

metric_map as (
    select * from {{ ref('int_intervention_metric_map') }}
),

user_totals as (
    select * from {{ ref('int_intervention_experiment_user_totals') }}
),

cell_totals as (
    select
        intervention_id,
        metric_name,
        cell_id,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(*) as users,
        bool_and(is_final) as is_final
    from user_totals
    group by intervention_id, metric_name, cell_id
),

coefficients as (
    select
        metric_map.intervention_id,
        metric_map.metric_name,
        terms.contrast_id,
        terms.cell_id,
        terms.sign * metric_map.value_scale as coefficient
    from metric_map
    cross join (
        values
        ('post_difference', 'treatment:post', 1.0),
        ('post_difference', 'control:post', -1.0),
        ('pre_difference', 'treatment:pre', 1.0),
        ('pre_difference', 'control:pre', -1.0)
    ) as terms (contrast_id, cell_id, sign)
    where metric_map.experiment_id is not null
),

estimates as (
    {{ ratio_contrast_estimates('cell_totals', 'coefficients', ['intervention_id', 'metric_name']) }}
),

influences as (
    {{ ratio_contrast_influences('user_totals', 'cell_totals', 'coefficients', ['intervention_id', 'metric_name']) }}
),

user_influences as (
    select
        intervention_id,
        metric_name,
        user_id,
        coalesce(sum(influence) filter (where contrast_id = 'post_difference'), 0) as post_influence,
        coalesce(sum(influence) filter (where contrast_id = 'pre_difference'), 0) as pre_influence
    from influences
    group by intervention_id, metric_name, user_id
),

moments as (
    select
        intervention_id,
        metric_name,
        sum(post_influence * post_influence) as post_variance,
        sum(pre_influence * pre_influence) as pre_variance,
        sum(post_influence * pre_influence) as covariance
    from user_influences
    group by intervention_id, metric_name
),

arms as (
    select
        intervention_id,
        metric_name,
        count(distinct user_id) filter (where variant = 'treatment') as treatment_users,
        count(distinct user_id) filter (where variant = 'control') as control_users
    from user_totals
    group by intervention_id, metric_name
),

cells_wide as (
    select
        intervention_id,
        metric_name,
        max(numerator) filter (where cell_id = 'treatment:post') as treatment_numerator,
        max(denominator) filter (where cell_id = 'treatment:post') as treatment_denominator,
        max(numerator) filter (where cell_id = 'control:post') as control_numerator,
        max(denominator) filter (where cell_id = 'control:post') as control_denominator,
        max(numerator) filter (where cell_id = 'treatment:pre') as treatment_pre_numerator,
        max(denominator) filter (where cell_id = 'treatment:pre') as treatment_pre_denominator,
        max(numerator) filter (where cell_id = 'control:pre') as control_pre_numerator,
        max(denominator) filter (where cell_id = 'control:pre') as control_pre_denominator,
        bool_and(is_final) filter (where cell_id like '%:post') as is_final
    from cell_totals
    group by intervention_id, metric_name
),

joined as (
    select
        metric_map.intervention_id,
        metric_map.intervention_name,
        metric_map.intervention_description,
        metric_map.experiment_id,
        metric_map.metric_name,
        metric_map.metric_version,
        metric_map.unit,
        metric_map.direction,
        metric_map.surface as feature,
        metric_map.launch_date,
        arms.treatment_users,
        arms.control_users,
        cast({{ var('experiment_expected_treatment_share') }} as double) as expected_treatment_share,
        cells_wide.treatment_numerator,
        cells_wide.treatment_denominator,
        cells_wide.control_numerator,
        cells_wide.control_denominator,
        cells_wide.treatment_numerator / nullif(cells_wide.treatment_denominator, 0) * metric_map.value_scale
            as treatment_value,
        cells_wide.control_numerator / nullif(cells_wide.control_denominator, 0) * metric_map.value_scale
            as control_value,
        cells_wide.treatment_pre_numerator / nullif(cells_wide.treatment_pre_denominator, 0) * metric_map.value_scale
            as treatment_pre_value,
        cells_wide.control_pre_numerator / nullif(cells_wide.control_pre_denominator, 0) * metric_map.value_scale
            as control_pre_value,
        post_estimates.estimate as difference,
        sqrt(moments.post_variance) as standard_error,
        pre_estimates.estimate as pre_difference,
        moments.post_variance,
        moments.pre_variance,
        moments.covariance,
        coalesce(cells_wide.is_final, false) as is_final
    from metric_map
    inner join arms
        on
            metric_map.intervention_id = arms.intervention_id
            and metric_map.metric_name = arms.metric_name
    inner join cells_wide
        on
            metric_map.intervention_id = cells_wide.intervention_id
            and metric_map.metric_name = cells_wide.metric_name
    left join estimates as post_estimates
        on
            metric_map.intervention_id = post_estimates.intervention_id
            and metric_map.metric_name = post_estimates.metric_name
            and post_estimates.contrast_id = 'post_difference'
    left join estimates as pre_estimates
        on
            metric_map.intervention_id = pre_estimates.intervention_id
            and metric_map.metric_name = pre_estimates.metric_name
            and pre_estimates.contrast_id = 'pre_difference'
    left join moments
        on
            metric_map.intervention_id = moments.intervention_id
            and metric_map.metric_name = moments.metric_name
),

adjusted as (
    select
        *,
        -- CUPED: theta = cov(post, pre) / var(pre) of the two differences' influences
        case
            when pre_difference is not null and pre_variance > 0 then covariance / pre_variance
        end as cuped_theta,
        power(treatment_users - expected_treatment_share * (treatment_users + control_users), 2)
        / nullif(expected_treatment_share * (treatment_users + control_users), 0)
        + power(control_users - (1 - expected_treatment_share) * (treatment_users + control_users), 2)
        / nullif((1 - expected_treatment_share) * (treatment_users + control_users), 0) as srm_chi_square
    from joined
),

intervals as (
    select
        *,
        difference - {{ normal_z_95() }} * standard_error as ci_lower,
        difference + {{ normal_z_95() }} * standard_error as ci_upper,
        coalesce(difference - cuped_theta * pre_difference, difference) as cuped_difference,
        sqrt(greatest(
            case
                when cuped_theta is not null then post_variance - covariance * covariance / pre_variance
                else post_variance
            end,
            0
        )) as cuped_standard_error,
        {{ chi_square_1df_p_value('srm_chi_square') }} as srm_p_value
    from adjusted
),

final as (
    select
        intervention_id,
        intervention_name,
        intervention_description,
        experiment_id,
        metric_name,
        metric_version,
        unit,
        direction,
        feature,
        launch_date,
        treatment_users,
        control_users,
        expected_treatment_share,
        srm_chi_square,
        srm_p_value,
        coalesce(srm_p_value < 0.001, false) as srm_detected,
        treatment_numerator,
        treatment_denominator,
        control_numerator,
        control_denominator,
        treatment_value,
        control_value,
        difference,
        standard_error,
        ci_lower,
        ci_upper,
        {{ relative_change('difference', 'control_value') }} as relative_change,
        {{ relative_change('ci_lower', 'control_value') }} as relative_ci_lower,
        {{ relative_change('ci_upper', 'control_value') }} as relative_ci_upper,
        {{ effect_verdict('direction', 'ci_lower', 'ci_upper', 'control_value') }} as raw_verdict,
        treatment_pre_value,
        control_pre_value,
        pre_difference,
        cuped_theta,
        cuped_difference,
        cuped_standard_error,
        cuped_difference - {{ normal_z_95() }} * cuped_standard_error as cuped_ci_lower,
        cuped_difference + {{ normal_z_95() }} * cuped_standard_error as cuped_ci_upper,
        case
            when post_variance > 0 then 1 - cuped_standard_error * cuped_standard_error / post_variance
        end as variance_reduction,
        {{ effect_verdict(
            'direction',
            'cuped_difference - ' ~ normal_z_95() ~ ' * cuped_standard_error',
            'cuped_difference + ' ~ normal_z_95() ~ ' * cuped_standard_error',
            'control_value'
        ) }} as verdict,
        is_final,
        'delta method (linearized ratio of sums), clustered by user; CUPED on the pre-period difference'
            as variance_method,
        {{ as_of_date_literal() }} as as_of_date
    from intervals
)

select * from final
