{#-
    staged_event_copies(table_name): the body of an incremental event staging model's
    source, generated from the raw contract. Event rows are immutable (the first ingested
    valid copy of each key wins), so a staged row never changes:

    * full build: the winning copies of the base view (dedup_rank 1, no reject reason);
    * incremental build: the raw rows the previous build could not have staged (ingested
      at or after the latest staged ingested_at, or dated at or after it; read through
      raw_rows_since, so old landing files are skipped), ranked among themselves, minus the
      keys already staged. An already staged key keeps the copy staged first.

    The model appends the result (materialized='incremental', incremental_strategy='append').
-#}

{% macro staged_event_copies(table_name) -%}
    {%- set ingested_since = staged_ingested_since() -%}
    {%- if not execute -%}
        {#- declare the refs the incremental branch's inline base rows need -#}
        {%- do base_platform_rows(table_name) -%}
    {%- endif -%}
    {%- set key = platform_contract(table_name).meta.key if execute else ['placeholder'] -%}
    {%- if execute and (platform_contract(table_name).meta.kind != 'event' or key | length != 1) -%}
        {{ exceptions.raise_compiler_error(
            "staged_event_copies('" ~ table_name ~ "'): only event tables with a one-column key stage incrementally") }}
    {%- endif %}
    select candidates.*
    from (
        {%- if ingested_since is none %}
        select * from {{ ref('base_platform__' ~ table_name) }}
        {%- else %}
        {{ base_platform_rows(table_name, ingested_since=ingested_since) }}
        {%- endif %}
    ) as candidates
    where
        candidates.reject_reason is null
        and candidates.dedup_rank = 1
        {%- if ingested_since is not none %}
        and not exists (
            select 1 from {{ this }} as staged
            where staged.{{ key[0] }} = candidates.{{ key[0] }}
        )
        {%- endif %}
{%- endmacro %}
