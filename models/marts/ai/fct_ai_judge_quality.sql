{#-
    How far each LLM judge can be trusted, two ways:
    - quality_kind 'weekly_kappa': per judge x ISO week (Monday of the output's first
      human judgment), Cohen's kappa against the human majority verdict (ties
      dropped) on production_sample outputs, with observed agreement, expected
      agreement, pairs and the catalog's interval (truncated to [-1, 1]);
    - quality_kind 'calibration_run': per judge x calibration run, accuracy against
      expected_verdict with its Wilson interval, and drift = this run's accuracy minus
      the judge's first run's, on the test cases present in both, with the paired
      95% interval.
    Gate flags (warn-level dbt tests read them): kappa's upper bound below
    var('ai_judge_kappa_floor'), drift's interval wholly below var('ai_judge_drift_bound').
    Verdicts known at the build's knowledge instant (the catalog metrics apply each
    day's finalization cut-off; these diagnostics use everything known).
-#}

with

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

eval_outputs as (
    select * from {{ ref('int_ai_eval_outputs') }}
),

production_judgments as (
    select *
    from judgments
    where eval_set = 'production_sample'
),

human_majorities as (
    select
        output_id,
        cast(date_trunc('week', min(judged_at)) as date) as week_start,
        count_if(is_unsafe) as unsafe_votes,
        count_if(not is_unsafe) as safe_votes
    from production_judgments
    where judge_type = 'human'
    group by output_id
),

llm_verdicts as (
    select
        judge_id,
        output_id,
        is_unsafe,
        bool_or(is_primary_judge) over (partition by judge_id, output_id) as is_primary_judge,
        row_number() over (
            partition by judge_id, output_id order by judged_at desc, judgment_id desc
        ) as recency_rank
    from production_judgments
    where judge_type = 'llm'
),

pairs as (
    select
        llm_verdicts.judge_id,
        llm_verdicts.is_primary_judge,
        human_majorities.week_start,
        llm_verdicts.is_unsafe as is_judge_unsafe,
        human_majorities.unsafe_votes > human_majorities.safe_votes as is_human_unsafe
    from llm_verdicts
    inner join human_majorities
        on llm_verdicts.output_id = human_majorities.output_id
    where
        llm_verdicts.recency_rank = 1
        and human_majorities.unsafe_votes <> human_majorities.safe_votes
),

weekly_tables as (
    select
        judge_id,
        bool_or(is_primary_judge) as is_primary_judge,
        week_start,
        {{ kappa_table_counts() }},
        count(*) as pairs
    from pairs
    group by judge_id, week_start
),

-- kappa, its agreements and interval: the same macro as the catalog metric ai_judge_human_kappa
weekly_kappas as (
    {{ kappa_of_tables('weekly_tables') }}
),

calibration_outputs as (
    select
        judge_id,
        eval_run_id,
        eval_run_date,
        test_case_id,
        is_primary_judge,
        cast(is_correct as integer) as correct
    from eval_outputs
    where eval_set = 'calibration'
),

first_runs as (
    select
        judge_id,
        min(eval_run_date) as first_run_date
    from calibration_outputs
    group by judge_id
),

first_run_outcomes as (
    select
        calibration_outputs.judge_id,
        calibration_outputs.test_case_id,
        avg(calibration_outputs.correct) as first_correct
    from calibration_outputs
    inner join first_runs
        on
            calibration_outputs.judge_id = first_runs.judge_id
            and calibration_outputs.eval_run_date = first_runs.first_run_date
    group by calibration_outputs.judge_id, calibration_outputs.test_case_id
),

run_case_outcomes as (
    select
        judge_id,
        eval_run_id,
        eval_run_date,
        test_case_id,
        bool_or(is_primary_judge) as is_primary_judge,
        avg(correct) as run_correct
    from calibration_outputs
    group by judge_id, eval_run_id, eval_run_date, test_case_id
),

run_accuracy as (
    select
        run_case_outcomes.judge_id,
        run_case_outcomes.eval_run_id,
        run_case_outcomes.eval_run_date,
        bool_or(run_case_outcomes.is_primary_judge) as is_primary_judge,
        count(*) as outputs,
        sum(run_case_outcomes.run_correct) as correct_outputs,
        count(first_run_outcomes.test_case_id) as common_test_cases,
        avg(run_case_outcomes.run_correct - first_run_outcomes.first_correct) as drift,
        avg(
            (run_case_outcomes.run_correct - first_run_outcomes.first_correct)
            * (run_case_outcomes.run_correct - first_run_outcomes.first_correct)
        ) as mean_squared_drift
    from run_case_outcomes
    left join first_run_outcomes
        on
            run_case_outcomes.judge_id = first_run_outcomes.judge_id
            and run_case_outcomes.test_case_id = first_run_outcomes.test_case_id
    group by run_case_outcomes.judge_id, run_case_outcomes.eval_run_id, run_case_outcomes.eval_run_date
),

kappa_rows as (
    select
        judge_id,
        is_primary_judge,
        'weekly_kappa' as quality_kind,
        week_start as period_start,
        'production_sample' as eval_run_id,
        pairs as sample_size,
        observed_agreement,
        expected_agreement,
        kappa,
        kappa_ci_lower,
        kappa_ci_upper,
        cast(null as double) as accuracy,
        cast(null as double) as accuracy_ci_lower,
        cast(null as double) as accuracy_ci_upper,
        cast(null as bigint) as common_test_cases,
        cast(null as double) as drift,
        cast(null as double) as drift_ci_lower,
        cast(null as double) as drift_ci_upper
    from weekly_kappas
),

calibration_rows as (
    select
        judge_id,
        is_primary_judge,
        'calibration_run' as quality_kind,
        eval_run_date as period_start,
        eval_run_id,
        outputs as sample_size,
        cast(null as double) as observed_agreement,
        cast(null as double) as expected_agreement,
        cast(null as double) as kappa,
        cast(null as double) as kappa_ci_lower,
        cast(null as double) as kappa_ci_upper,
        correct_outputs / outputs as accuracy,
        {{ wilson_interval_lower('correct_outputs / outputs', 'outputs') }} as accuracy_ci_lower,
        {{ wilson_interval_upper('correct_outputs / outputs', 'outputs') }} as accuracy_ci_upper,
        common_test_cases,
        drift,
        drift
        - {{ paired_difference_half_width('drift', 'mean_squared_drift', 'common_test_cases') }} as drift_ci_lower,
        drift
        + {{ paired_difference_half_width('drift', 'mean_squared_drift', 'common_test_cases') }} as drift_ci_upper
    from run_accuracy
),

quality_rows as (
    select * from kappa_rows
    union all
    select * from calibration_rows
),

gated as (
    select
        *,
        coalesce(kappa_ci_upper < {{ var('ai_judge_kappa_floor', 0.6) }}, false) as is_kappa_below_floor,
        coalesce(drift_ci_upper < {{ var('ai_judge_drift_bound', 0.0) }}, false) as is_drift_below_bound
    from quality_rows
)

select * from gated
