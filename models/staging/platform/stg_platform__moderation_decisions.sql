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
    {{ staged_event_copies('moderation_decisions') }}
),

renamed as (
    select
        decision_id,
        target_type,
        target_id,
        policy_category,
        action,
        detection_source,
        triggering_report_id,
        is_automated_decision,
        decision_ground,
        flagged_at,
        decided_at,
        territorial_scope,
        ingested_at
    from new_copies
)

select * from renamed
