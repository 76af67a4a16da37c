{#-
    Every raw row staging could not use, once, with the first check it failed.

    Incremental. A rejection depends on the as-of date only through the knowledge instant:
    a row not yet known is not here, and an event time at or after the instant is
    "in the future". So a nightly build (previous build as of A_prev, knowledge instant
    P = A_prev + 1 day) first deletes the stored rows whose classification may change
    (an event time at or after P, or no usable ingested_at), then appends the rejected
    rows among the raw rows it must classify again (ingested at or after P, an event time
    at or after P, or no usable ingested_at; read through raw_rows_since, so old landing
    files are skipped). Every other rejected row was classified by an earlier build and
    stays as it was. A post-hook stamps every row with this build's as-of date.
-#}
{%- set tables = platform_tables() %}
{%- set since = previous_knowledge_instant('as_of_date') %}

{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_quarantine_rows_to_reclassify() }}",
    post_hook="update {{ this }} set as_of_date = {{ as_of_date_literal() }} where as_of_date <> {{ as_of_date_literal() }}",
) }}

{%- if not execute %}
    {#- declare the refs the incremental branch's inline base rows need -#}
    {%- for table_name in tables %}
        {%- do base_platform_rows(table_name) %}
    {%- endfor %}
{%- endif %}

with

{% for table_name in tables -%}
    {%- set event_times = [] -%}
    {%- for column in contract_event_time_columns(table_name) -%}
        {%- do event_times.append('coalesce(' ~ column ~ ", " ~ timestamp_minus_infinity() ~ ")") -%}
    {%- endfor %}
    rejected__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            row_key,
            reject_reason as reason_code,
            reject_column as reason_column,
            raw_values,
            raw_ingested_at,
            ingested_at as ingested_at_utc,
            {%- if event_times %}
                greatest({{ event_times | join(', ') }}) as latest_event_at_utc
            {%- else %}
                cast(null as timestamp) as latest_event_at_utc
            {%- endif %},
            cast(null as string) as source_file,
            cast(null as bigint) as source_line,
            cast(null as string) as reason_detail
        from (
            {%- if since is none %}
                select * from {{ ref('base_platform__' ~ table_name) }}
            {%- else %}
                {{ base_platform_rows(table_name, ingested_since=since) }}
            {%- endif %}
        ) as candidates
        where reject_reason is not null
    ),

{% endfor -%}
malformed_lines as (
    -- landing CSV lines the reader could not split into fields (rebuilt in full every build;
    -- they have no ingested_at, so the pre-hook always deletes and this re-appends them)
    select
        table_name,
        cast(null as string) as row_key,
        reason_code,
        coalesce(column_name, '_line') as reason_column,
        cast(json_object('source_file', source_file, 'source_line', source_line, 'line', raw_line) as string)
            as raw_values,
        cast(null as string) as raw_ingested_at,
        cast(null as timestamp) as ingested_at_utc,
        cast(null as timestamp) as latest_event_at_utc,
        source_file,
        source_line,
        error_message as reason_detail
    from {{ ref('dq_landing_malformed_lines') }}
),

unioned as (
    {%- for table_name in tables %}
        select * from rejected__{{ table_name }}
        union all
    {%- endfor %}
    select * from malformed_lines
),

numbered as (
    -- identical rejected copies are distinct rows of the quarantine; copy_number tells them apart
    select
        unioned.*,
        -- (identical copies share their ingested_at and event times, so an incremental build
        -- re-classifies all of them or none: numbering restarts from 1 either way)
        row_number() over (partition by unioned.table_name, unioned.raw_values order by unioned.raw_values)
            as copy_number
    from unioned
),

identified as (
    select
        md5(table_name || '|' || raw_values || '|' || copy_number) as quarantine_row_id,
        table_name,
        row_key,
        reason_code,
        reason_column,
        raw_values,
        raw_ingested_at,
        ingested_at_utc,
        latest_event_at_utc,
        copy_number,
        {{ as_of_date_literal() }} as as_of_date,
        source_file,
        source_line,
        reason_detail
    from numbered
)

select * from identified
