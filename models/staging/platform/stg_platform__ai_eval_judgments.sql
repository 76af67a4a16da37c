{#-
    Incremental (append): event rows are immutable, so a nightly build appends only the
    first valid copies of keys not staged yet, read from the raw rows the previous build
    could not have staged (macro staged_event_copies). A full build stages every key.
-#}

{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
) }}

with

new_copies as (
    {{ staged_event_copies('ai_eval_judgments') }}
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
    from new_copies
)

select * from renamed
