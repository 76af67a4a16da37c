-- The intervention readout as a policy partner reads it: per intervention and metric, the
-- real launch's difference-in-differences beside the placebo's, the pre-trend test and
-- the verdicts. dbt compile --select analysis:intervention_readout (or paste into DuckDB
-- against the serving database).
with

effects as (
    select * from {{ ref('intervention_effects') }}
),

launch as (
    select * from effects
    where analysis = 'launch'
),

placebo as (
    select * from effects
    where analysis = 'placebo'
),

readout as (
    select
        launch.intervention_id,
        launch.intervention_name,
        launch.metric_name,
        launch.targeted_segment,
        launch.comparison_segment,
        launch.launch_date,
        launch.pre_days_used,
        launch.post_days_used,
        launch.targeted_pre,
        launch.targeted_post,
        launch.comparison_pre,
        launch.comparison_post,
        launch.did_estimate,
        launch.did_ci_lower,
        launch.did_ci_upper,
        launch.relative_change,
        launch.pre_trend_z,
        launch.pre_trend_passed,
        launch.verdict,
        placebo.anchor_date as placebo_date,
        placebo.did_estimate as placebo_did_estimate,
        placebo.did_ci_lower as placebo_did_ci_lower,
        placebo.did_ci_upper as placebo_did_ci_upper,
        placebo.verdict as placebo_verdict,
        launch.is_final
    from launch
    left join placebo
        on
            launch.intervention_id = placebo.intervention_id
            and launch.metric_name = placebo.metric_name
)

select * from readout
order by intervention_id, metric_name
