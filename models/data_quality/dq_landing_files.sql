{#-
    Every file of the landing directory's table folders and what the build did with it:
    `read`, `empty` (zero bytes, or a CSV without a header line: no rows), or `ignored`
    (not a landing file type, or a hidden/marker file) with the reason; a table declared
    absent (var absent_raw_tables) without a folder has one `absent` line. The run report
    and the warn-level test on `status` show ignored files. Seeds builds list nothing.
-#}
{%- set tables = platform_tables() %}
{%- set is_landing = var('raw_source', 'seeds') == 'landing' %}

{{ config(materialized='table') }}

with

malformed as (
    select * from {{ ref('dq_landing_malformed_lines') }}
),

{% set listed = [] -%}
{%- if execute and is_landing -%}
    {%- for table_name in tables -%}
        {%- set files = landing_table_files(table_name) -%}
        {%- if files.absent -%}
            {%- do listed.append([table_name, files.folder, 'absent', 'no folder; declared in var absent_raw_tables', none]) -%}
        {%- endif -%}
        {%- for csv_file in files.csv -%}
            {%- do listed.append([table_name, csv_file.path, 'read', 'csv', files.sizes.get(csv_file.path)]) -%}
        {%- endfor -%}
        {%- for path in files.parquet -%}
            {%- do listed.append([table_name, path, 'read', 'parquet', files.sizes.get(path)]) -%}
        {%- endfor -%}
        {%- for path in files.empty -%}
            {%- do listed.append([table_name, path, 'empty', 'zero bytes or no header line: no rows', files.sizes.get(path)]) -%}
        {%- endfor -%}
        {%- for ignored in files.ignored -%}
            {%- do listed.append([table_name, ignored.path, 'ignored', ignored.reason, files.sizes.get(ignored.path)]) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}
listed_files as (
    {%- if listed %}
        select
            table_name,
            file_path,
            status,
            detail,
            cast(size_bytes as bigint) as size_bytes
        from (
            values
            {%- for item in listed %}
                (
                    {{ sql_text(item[0]) }}, {{ sql_text(item[1]) }}, {{ sql_text(item[2]) }},
                    {{ sql_text(item[3]) }}, {{ 'null' if item[4] is none else item[4] }}
                ){{ "," if not loop.last }}
            {%- endfor %}
        ) as files (table_name, file_path, status, detail, size_bytes)
    {%- else %}
        select
            cast(null as varchar) as table_name,
            cast(null as varchar) as file_path,
            cast(null as varchar) as status,
            cast(null as varchar) as detail,
            cast(null as bigint) as size_bytes
        where false
    {%- endif %}
),

malformed_per_file as (
    select
        source_file,
        count(*) as malformed_lines
    from malformed
    group by source_file
),

described as (
    select
        listed_files.table_name,
        listed_files.file_path,
        listed_files.status,
        case when listed_files.status = 'read' then listed_files.detail end as file_format,
        case when listed_files.status <> 'read' then listed_files.detail end as reason,
        listed_files.size_bytes,
        coalesce(malformed_per_file.malformed_lines, 0) as malformed_lines,
        {{ as_of_date_literal() }} as as_of_date
    from listed_files
    left join malformed_per_file on listed_files.file_path = malformed_per_file.source_file
)

select * from described
