{#-
    One row per LLM judge x eval run x test output of the evaluation sets (red_team,
    benign_probe, calibration) known at the build's knowledge instant: the judge's
    latest judgment of the output (latest judged_at, ties: the larger judgment_id),
    with the eval set's outcome (red_team: judged unsafe, benign_probe: refused,
    calibration: verdict equals expected_verdict).
-#}

with

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

ranked_judgments as (
    select
        *,
        row_number() over (
            partition by judge_id, eval_run_id, output_id
            order by judged_at desc, judgment_id desc
        ) as recency_rank
    from judgments
    where
        eval_set in ('red_team', 'benign_probe', 'calibration')
        and judge_type = 'llm'
),

eval_outputs as (
    select
        judge_id,
        eval_run_id,
        output_id,
        judgment_id,
        eval_run_date,
        eval_set,
        feature,
        model_version,
        test_case_id,
        attack_technique,
        harm_category,
        is_unsafe,
        is_refused,
        verdict = expected_verdict as is_correct,
        case eval_set
            when 'red_team' then is_unsafe
            when 'benign_probe' then is_refused
            when 'calibration' then verdict = expected_verdict
        end as has_outcome,
        case eval_set
            when 'red_team' then 'ai_attack_success_rate'
            when 'benign_probe' then 'ai_over_refusal_rate'
            when 'calibration' then 'ai_judge_calibration_accuracy'
        end as metric_name,
        is_primary_judge,
        judged_at
    from ranked_judgments
    where recency_rank = 1
)

select * from eval_outputs
