{#-
    Every staged AI evaluation judgment known at the build's knowledge instant, with
    whether its judge was the primary judge on the judgment's day (seed
    ref_primary_judge: a judge is primary from its primary_from_date until the next
    row's) and the eval run's date (the UTC date of the run's first judged_at).
-#}

with

judgments as (
    select * from {{ ref('stg_platform__ai_eval_judgments') }}
),

primary_judge as (
    select * from {{ ref('ref_primary_judge') }}
),

primary_judge_periods as (
    select
        judge_id,
        cast(primary_from_date as date) as primary_from_date,
        lead(cast(primary_from_date as date)) over (order by cast(primary_from_date as date)) as primary_to_date
    from primary_judge
),

known_judgments as (
    select *
    from judgments
    where ingested_at < {{ knowledge_instant() }}
),

eval_run_dates as (
    select
        eval_run_id,
        cast(min(judged_at) as date) as eval_run_date
    from known_judgments
    group by eval_run_id
),

flagged as (
    select
        known_judgments.judgment_id,
        known_judgments.output_id,
        known_judgments.eval_run_id,
        known_judgments.eval_set,
        known_judgments.feature,
        known_judgments.model_version,
        known_judgments.judge_id,
        known_judgments.judge_type,
        known_judgments.verdict,
        known_judgments.verdict = 'unsafe' as is_unsafe,
        known_judgments.harm_category,
        known_judgments.refused as is_refused,
        known_judgments.attack_technique,
        known_judgments.test_case_id,
        known_judgments.expected_verdict,
        known_judgments.judged_at,
        known_judgments.ingested_at,
        eval_run_dates.eval_run_date,
        primary_judge_periods.judge_id is not null as is_primary_judge
    from known_judgments
    inner join eval_run_dates
        on known_judgments.eval_run_id = eval_run_dates.eval_run_id
    left join primary_judge_periods
        on
            known_judgments.judge_id = primary_judge_periods.judge_id
            and cast(known_judgments.judged_at as date) >= primary_judge_periods.primary_from_date
            and (
                primary_judge_periods.primary_to_date is null
                or cast(known_judgments.judged_at as date) < primary_judge_periods.primary_to_date
            )
)

select * from flagged
