{#-
    Per raw table: raw rows = staged rows + duplicates removed + quarantined rows + rows not
    yet known at the knowledge instant.

    Raw rows are counted over every landing file (Parquet answers from its metadata), rows
    not yet known through raw_rows_since, quarantined rows from quarantine_rows and valid
    rows (known, passing every check) from the base views without their dedup window. The
    balance raw = valid + quarantined + not yet known thus compares three relations, so it
    checks that no row is dropped or counted twice. Staging keeps one valid copy per key:
    duplicates = valid - staged (never negative; the staged tables' unique-key tests and
    the planted-duplicate tests check the split).

    Incremental (one row per table, replaced on every build). A full build counts the valid
    rows from the base views. A nightly build (previous build as of A_prev, knowledge
    instant P = A_prev + 1 day) adds to the previous count the valid rows among the raw rows
    it classifies again (ingested at or after P, or an event time at or after P: none of
    them was valid at P), read through raw_rows_since, so old landing files are skipped. A
    raw row the nightly cannot place in time (delivered later with an ingested_at before P)
    makes the balance fail: rebuild with --full-refresh.
-#}
{%- set tables = platform_tables() %}
{%- set since = previous_knowledge_instant('as_of_date') %}
{%- set knowledge = knowledge_instant_text(as_of_date()) %}

{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='table_name',
    on_schema_change='append_new_columns',
) }}

{%- if not execute %}
    {#- declare the refs the incremental branch's inline base rows need -#}
    {%- for table_name in tables %}
        {%- do base_platform_rows(table_name) %}
    {%- endfor %}
{%- endif %}

with

quarantine as (
    select * from {{ ref('quarantine_rows') }}
),

malformed as (
    select * from {{ ref('dq_landing_malformed_lines') }}
),

{% for table_name in tables -%}
    raw__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            (select count(*) from {{ raw_rows(table_name) }})
            + (
                select count(*) from malformed
                where malformed.table_name = '{{ table_name }}'
            ) as raw_rows,
            (
                select count(*) from malformed
                where malformed.table_name = '{{ table_name }}'
            ) as malformed_lines,
            (
                select count(*) from {{ raw_rows_since(table_name, knowledge) }}
                where {{ utc_timestamp('ingested_at') }} >= {{ knowledge_instant() }}
            ) as not_yet_known_rows
    ),

    valid__{{ table_name }} as (
        {%- if since is none %}
            select
                '{{ table_name }}' as table_name,
                count(*) as valid_rows
            from {{ ref('base_platform__' ~ table_name) }}
            where reject_reason is null
        {%- else %}
            select
                '{{ table_name }}' as table_name,
                (
                    select previous.valid_rows from {{ this }} as previous
                    where previous.table_name = '{{ table_name }}'
                ) + count(*) as valid_rows
            from ({{ base_platform_rows(table_name, ingested_since=since) }}) as candidates
            where reject_reason is null
        {%- endif %}
    ),

    staged__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            count(*) as staged_rows
        from {{ ref('stg_platform__' ~ table_name) }}
    ),

{% endfor -%}
raw_counts as (
    {%- for table_name in tables %}
        select * from raw__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

valid_counts as (
    {%- for table_name in tables %}
        select * from valid__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

staged_counts as (
    {%- for table_name in tables %}
        select * from staged__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

quarantine_counts as (
    select
        table_name,
        count(*) as quarantined_rows
    from quarantine
    group by table_name
),

counted as (
    select
        raw_counts.table_name,
        raw_counts.raw_rows,
        raw_counts.not_yet_known_rows,
        raw_counts.malformed_lines,
        coalesce(quarantine_counts.quarantined_rows, 0) as quarantined_rows,
        valid_counts.valid_rows,
        -- staging keeps one valid copy per key: the other valid copies are the duplicates
        valid_counts.valid_rows - staged_counts.staged_rows as duplicate_rows,
        staged_counts.staged_rows
    from raw_counts
    inner join valid_counts on raw_counts.table_name = valid_counts.table_name
    inner join staged_counts on raw_counts.table_name = staged_counts.table_name
    left join quarantine_counts on raw_counts.table_name = quarantine_counts.table_name
),

reconciled as (
    select
        table_name,
        raw_rows,
        not_yet_known_rows,
        quarantined_rows,
        duplicate_rows,
        staged_rows,
        valid_rows,
        raw_rows = staged_rows + duplicate_rows + quarantined_rows + not_yet_known_rows
        and valid_rows = staged_rows + duplicate_rows
        and duplicate_rows >= 0 as is_reconciled,
        {{ as_of_date_literal() }} as as_of_date,
        malformed_lines
    from counted
),

explained as (
    select
        *,
        case
            when not is_reconciled then
                'raw table ' || table_name || ' does not balance: ' || raw_rows || ' raw rows vs '
                || staged_rows || ' staged + ' || duplicate_rows || ' duplicate + ' || quarantined_rows
                || ' quarantined + ' || not_yet_known_rows || ' not yet known. Usually a back-dated '
                || 'delivery: rows arrived after the previous build with an ingested_at before its '
                || 'knowledge instant, which an incremental build cannot place. Rebuild with '
                || 'tsw nightly --full-refresh (or tsw build --full-refresh).'
        end as reconciliation_note
    from reconciled
)

select * from explained
