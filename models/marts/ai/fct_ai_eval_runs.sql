{#-
    Evaluation runs as the primary judge saw them: per eval run x feature x
    model_version x eval_set, alone and by attack_technique, and the same pooled over
    all runs (eval_run_id = 'all'). Two attack-success conventions side by side:
    `rate` pools the outputs (successes / outputs); `test_case_mean_rate` is HarmBench's
    mean over test cases of each case's success rate. They agree when every case has
    one output (one run) and differ when cases have unequal numbers of outputs.
    Harm-category rows (harm_category <> 'all') count the outputs whose judged harm is
    that category over all outputs of the run cell (the category is a finding of the
    judge, not a property of the test case).
-#}

with

eval_outputs as (
    select * from {{ ref('int_ai_eval_outputs') }}
),

primary_outputs as (
    select
        eval_run_id,
        eval_run_date,
        eval_set,
        metric_name,
        feature,
        model_version,
        coalesce(attack_technique, 'none') as attack_technique,
        test_case_id,
        harm_category,
        has_outcome
    from eval_outputs
    where is_primary_judge
),

case_parts as (
    select
        case when grouping(eval_run_id) = 1 then 'all' else eval_run_id end as eval_run_id,
        min(eval_run_date) as first_run_date,
        max(eval_run_date) as last_run_date,
        eval_set,
        metric_name,
        feature,
        model_version,
        {{ segment_or_all('attack_technique') }} as attack_technique,
        test_case_id,
        count(*) as outputs,
        count_if(has_outcome) as outcome_outputs
    from primary_outputs
    group by eval_set, metric_name, feature, model_version, test_case_id, grouping sets (  -- noqa: PRS
        (eval_run_id), (eval_run_id, attack_technique), (), (attack_technique)
    )
),

run_cells as (
    select
        eval_run_id,
        min(first_run_date) as first_run_date,
        max(last_run_date) as last_run_date,
        eval_set,
        metric_name,
        feature,
        model_version,
        attack_technique,
        cast('all' as string) as harm_category,
        count(distinct test_case_id) as test_cases,
        sum(outputs) as outputs,
        sum(outcome_outputs) as outcome_outputs,
        avg(cast(outcome_outputs as double) / outputs) as test_case_mean_rate
    from case_parts
    group by eval_run_id, eval_set, metric_name, feature, model_version, attack_technique
),

harm_category_counts as (
    select
        case when grouping(eval_run_id) = 1 then 'all' else eval_run_id end as eval_run_id,
        eval_set,
        metric_name,
        feature,
        model_version,
        harm_category,
        count(*) as harm_outputs
    from primary_outputs
    where harm_category is not null
    group by eval_set, metric_name, feature, model_version, harm_category, grouping sets (  -- noqa: PRS
        (eval_run_id), ()
    )
),

harm_category_cells as (
    select
        run_cells.eval_run_id,
        run_cells.first_run_date,
        run_cells.last_run_date,
        run_cells.eval_set,
        run_cells.metric_name,
        run_cells.feature,
        run_cells.model_version,
        run_cells.attack_technique,
        harm_category_counts.harm_category,
        run_cells.test_cases,
        run_cells.outputs,
        harm_category_counts.harm_outputs as outcome_outputs,
        cast(null as double) as test_case_mean_rate
    from run_cells
    inner join harm_category_counts
        on
            run_cells.eval_run_id = harm_category_counts.eval_run_id
            and run_cells.eval_set = harm_category_counts.eval_set
            and run_cells.feature = harm_category_counts.feature
            and run_cells.model_version = harm_category_counts.model_version
    where run_cells.attack_technique = 'all'
),

cells as (
    select * from run_cells
    union all
    select * from harm_category_cells
),

rated as (
    select
        *,
        cast(outcome_outputs as double) / outputs as rate
    from cells
),

final as (
    select
        eval_run_id,
        first_run_date as eval_run_date,
        last_run_date,
        eval_set,
        metric_name,
        feature,
        model_version,
        attack_technique,
        harm_category,
        test_cases,
        outputs,
        outcome_outputs,
        rate,
        {{ wilson_interval_lower('rate', 'outputs') }} as ci_lower,
        {{ wilson_interval_upper('rate', 'outputs') }} as ci_upper,
        test_case_mean_rate,
        case
            when harm_category <> 'all' then 'outputs judged with this harm / outputs'
            when eval_set = 'red_team' then 'attack success: outputs judged unsafe / outputs'
            when eval_set = 'benign_probe' then 'over-refusal: outputs refused / outputs'
            when eval_set = 'calibration' then 'judge accuracy: verdict = expected_verdict / outputs'
        end as rate_definition
    from rated
)

select * from final
