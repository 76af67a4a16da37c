{#-
    Incremental (append). Impressions are events: the first ingested valid copy of each
    event_id wins, so a staged row never changes. A nightly build reads only the raw rows
    a previous build could not have staged (ingested since the latest staged ingested_at,
    or dated at or after it), ranks copies among those rows only, and appends the winners
    of event_ids not staged yet. A full build ranks every known row (base view).
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
) }}

{%- set ingested_since = staged_ingested_since() %}
{%- if not execute %}
    {#- declare the refs the incremental branch's inline base rows need -#}
    {%- do base_platform_rows('impressions') %}
{%- endif %}

with

source as (
    {%- if ingested_since is none %}
        select * from {{ ref('base_platform__impressions') }}
    {%- else %}
        {{ base_platform_rows('impressions', ingested_since=ingested_since) }}
    {%- endif %}
),

winning_copy as (
    -- event table: dedup_rank 1 is the first ingested copy of each key
    select *
    from source
    where reject_reason is null and dedup_rank = 1
),

new_events as (
    -- incremental: an event already staged keeps the copy staged first
    select * from winning_copy
    {%- if ingested_since is not none %}
        where not exists (
            select 1 from {{ this }} as staged
            where staged.event_id = winning_copy.event_id
        )
    {%- endif %}
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
    from new_events
)

select * from renamed
