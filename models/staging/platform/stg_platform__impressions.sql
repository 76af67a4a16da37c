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
    {{ staged_event_copies('impressions') }}
),

renamed as (
    select
        event_id,
        user_id,
        content_id,
        surface,
        platform,
        session_id,
        occurred_at,
        ingested_at
    from new_copies
)

select * from renamed
