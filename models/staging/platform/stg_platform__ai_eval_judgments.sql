with

source as (
    select * from {{ ref('base_platform__ai_eval_judgments') }}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

renamed as (
    select
        judgment_id,
        output_id,
        eval_run_id,
        eval_set,
        feature,
        model_version,
        judge_id,
        judge_type,
        verdict,
        harm_category,
        refused,
        attack_technique,
        test_case_id,
        expected_verdict,
        judged_at,
        ingested_at
    from winning_copy
)

select * from renamed
