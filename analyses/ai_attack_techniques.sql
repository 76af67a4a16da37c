-- Do the stress tests find more successful attacks, and with which techniques? Attack
-- success per model version and technique over all red-team runs, pooled and by
-- HarmBench's per-test-case convention.
with

eval_runs as (
    select * from {{ ref('fct_ai_eval_runs') }}
)

select
    feature,
    model_version,
    attack_technique,
    outputs,
    outcome_outputs as successful_attacks,
    rate as attack_success_rate,
    ci_lower,
    ci_upper,
    test_case_mean_rate as harmbench_case_mean_rate
from eval_runs
where
    eval_set = 'red_team'
    and eval_run_id = 'all'
    and harm_category = 'all'
order by feature asc, model_version asc, attack_success_rate desc
