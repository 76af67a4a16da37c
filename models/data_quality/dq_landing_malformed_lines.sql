{#-
    Every landing CSV line the staging reads skip because DuckDB's reader cannot split it
    into the header's fields: a wrong number of fields, bytes that are not UTF-8, a line
    over 2 MB, a stray quote. The pre-hook reads every CSV with store_rejects (see
    landing_reject_scan); quarantine_rows lists each line once and dq_raw_reconciliation
    counts it as a raw row. Rebuilt in full on every build (the lines carry no usable
    ingested_at, so no knowledge instant applies to them, like an unparseable ingested_at).
-#}
{%- set tables = platform_tables() %}
{%- set csv_files = landing_csv_file_count() %}

{{ config(
    materialized='table',
    pre_hook="{{ landing_reject_scan() }}",
) }}

with

{% if csv_files > 0 -%}
reject_errors as (
    select * from temp.tsw_csv_reject_errors
),

reject_scans as (
    select * from temp.tsw_csv_reject_scans
),

{% endif -%}
landing_folders as (
    {%- for table_name in tables %}
        select
            '{{ table_name }}' as table_name,
            {{ landing_folder_prefix(table_name) }} as folder_prefix
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

rejected as (
    {%- if csv_files > 0 %}
        select
            reject_scans.file_path as source_file,
            reject_errors.line as source_line,
            reject_errors.error_type,
            reject_errors.column_name,
            reject_errors.csv_line as raw_line,
            reject_errors.error_message
        from reject_errors
        inner join reject_scans
            on
                reject_errors.scan_id = reject_scans.scan_id
                and reject_errors.file_id = reject_scans.file_id
    {%- else %}
        select
            cast(null as varchar) as source_file,
            cast(null as bigint) as source_line,
            cast(null as varchar) as error_type,
            cast(null as varchar) as column_name,
            cast(null as varchar) as raw_line,
            cast(null as varchar) as error_message
        where false
    {%- endif %}
),

described as (
    select
        landing_folders.table_name,
        rejected.source_file,
        rejected.source_line,
        case
            when rejected.error_type in ('MISSING COLUMNS', 'TOO MANY COLUMNS') then 'wrong_field_count'
            when rejected.error_type = 'INVALID ENCODING' then 'invalid_encoding'
            when rejected.error_type = 'LINE SIZE OVER MAXIMUM' then 'line_too_long'
            else 'malformed_line'
        end as reason_code,
        rejected.error_type,
        rejected.column_name,
        rejected.error_message,
        rejected.raw_line,
        {{ as_of_date_literal() }} as as_of_date
    from rejected
    inner join landing_folders
        on starts_with(rejected.source_file, landing_folders.folder_prefix)
),

one_per_line as (
    -- a line can fail several ways (a bad byte and a missing field): it is one raw row
    select *
    from described
    qualify row_number() over (partition by source_file, source_line order by error_type, column_name) = 1
)

select * from one_per_line
