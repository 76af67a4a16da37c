-- Randomized experiments: raw and CUPED-adjusted treatment - control, intervals, the
-- sample-ratio check and the verdicts.
with

experiments as (
    select * from {{ ref('intervention_experiment_effects') }}
),

readout as (
    select
        intervention_id,
        experiment_id,
        metric_name,
        feature,
        treatment_users,
        control_users,
        srm_p_value,
        srm_detected,
        treatment_value,
        control_value,
        difference,
        ci_lower,
        ci_upper,
        raw_verdict,
        cuped_difference,
        cuped_ci_lower,
        cuped_ci_upper,
        variance_reduction,
        verdict,
        is_final
    from experiments
)

select * from readout
order by intervention_id, metric_name
