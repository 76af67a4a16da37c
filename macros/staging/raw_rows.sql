{#-
    raw_rows(table_name): the raw rows of one contract table as all-text columns, in
    contract order, whichever way they arrive (docs/architecture.md, "Raw source switch"):

    * var('raw_source') == 'seeds': the committed demo seed `raw_<table>` (loaded all-text);
    * var('raw_source') == 'landing': every `<landing_dir>/<table>/*.csv` (read all-text)
      and `*.parquet` (each column cast to text), unioned by column name. A folder with no
      files yields no rows; a file without a contract column is an error naming both.

    This is the only place that knows the difference between the two.
-#}

{% macro raw_rows(table_name) -%}
    {%- set columns = contract_column_names(table_name) if execute else [] -%}
    {%- set raw_source = var('raw_source', 'seeds') -%}
    {%- if raw_source == 'seeds' -%}
        {%- set relation = ref('raw_' ~ table_name) -%}
        {%- if not execute -%}
            (select * from {{ relation }})
        {%- else -%}
            (
                select
                    {%- for column in columns %}
                    cast({{ column }} as varchar) as {{ column }}{{ "," if not loop.last }}
                    {%- endfor %}
                from {{ relation }}
            )
        {%- endif -%}
    {%- elif raw_source == 'landing' -%}
        {%- if not execute -%}
            (select 1 as placeholder)
        {%- else -%}
            {{ landing_rows(table_name, columns) }}
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var raw_source must be 'seeds' or 'landing', got '" ~ raw_source ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{% macro landing_rows(table_name, columns) -%}
    {%- set landing_dir = var('landing_dir', '') | string -%}
    {%- if landing_dir | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "raw_source is 'landing' but var landing_dir is not set (reading raw table '" ~ table_name ~ "')") }}
    {%- endif -%}
    {%- set folder = landing_dir.rstrip('/') ~ '/' ~ table_name -%}
    {%- set files = run_query(
        "select file from glob('" ~ folder | replace("'", "''") ~ "/*') order by file"
    ).columns[0].values() -%}
    {%- set csv_files = [] -%}
    {%- set parquet_files = [] -%}
    {%- for file in files -%}
        {%- if file.lower().endswith('.csv') -%}
            {%- do csv_files.append(file) -%}
        {%- elif file.lower().endswith('.parquet') -%}
            {%- do parquet_files.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do check_landing_columns(table_name, columns, csv_files, parquet_files) -%}
    {%- set csv_glob = (folder ~ '/*.csv') | replace("'", "''") -%}
    {%- set parquet_glob = (folder ~ '/*.parquet') | replace("'", "''") -%}
    {%- set parts = [] -%}
    {%- if csv_files -%}
        {%- do parts.append(
            "select " ~ columns | join(', ') ~ " from read_csv('" ~ csv_glob
            ~ "', all_varchar = true, header = true, union_by_name = true)"
        ) -%}
    {%- endif -%}
    {%- if parquet_files -%}
        {%- set casts = [] -%}
        {%- for column in columns -%}
            {%- do casts.append('cast(' ~ column ~ ' as varchar) as ' ~ column) -%}
        {%- endfor -%}
        {%- do parts.append(
            "select " ~ casts | join(', ') ~ " from read_parquet('" ~ parquet_glob ~ "', union_by_name = true)"
        ) -%}
    {%- endif -%}
    {%- if not parts -%}
        {%- set nulls = [] -%}
        {%- for column in columns -%}
            {%- do nulls.append('cast(null as varchar) as ' ~ column) -%}
        {%- endfor -%}
        {%- do parts.append("select " ~ nulls | join(', ') ~ " where false") -%}
    {%- endif -%}
    ({{ parts | join(' union all ') }})
{%- endmacro %}

{% macro check_landing_columns(table_name, columns, csv_files, parquet_files) -%}
    {#- Fail with a message naming the table, file and column rather than a binder error deep in a view. -#}
    {%- set probes = [] -%}
    {%- for file in csv_files -%}
        {%- do probes.append(
            "select '" ~ file | replace("'", "''") ~ "' as file, unnest(list_transform(columns, c -> c.name)) as name"
            ~ " from sniff_csv('" ~ file | replace("'", "''") ~ "', sample_size = 1, header = true)"
        ) -%}
    {%- endfor -%}
    {%- if parquet_files -%}
        {%- set parquet_list = [] -%}
        {%- for file in parquet_files -%}
            {%- do parquet_list.append("'" ~ file | replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- do probes.append(
            "select file_name as file, name from parquet_schema([" ~ parquet_list | join(', ') ~ "])"
        ) -%}
    {%- endif -%}
    {%- if probes -%}
        {%- set expected = [] -%}
        {%- for column in columns -%}
            {%- do expected.append("('" ~ column ~ "')") -%}
        {%- endfor -%}
        {%- set files_sql = [] -%}
        {%- for file in csv_files + parquet_files -%}
            {%- do files_sql.append("('" ~ file | replace("'", "''") ~ "')") -%}
        {%- endfor -%}
        {%- set missing = run_query(
            "with found as (" ~ probes | join(' union all ') ~ "), "
            ~ "files (file) as (values " ~ files_sql | join(', ') ~ "), "
            ~ "expected (name) as (values " ~ expected | join(', ') ~ ") "
            ~ "select files.file, expected.name from files cross join expected "
            ~ "where not exists (select 1 from found where found.file = files.file and found.name = expected.name) "
            ~ "order by 1, 2"
        ) -%}
        {%- if missing.rows | length > 0 -%}
            {%- set first = missing.rows[0] -%}
            {{ exceptions.raise_compiler_error(
                "raw table '" ~ table_name ~ "': landing file " ~ first[0] ~ " has no column '" ~ first[1]
                ~ "' required by the contract (" ~ missing.rows | length ~ " missing file/column pair(s))") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro raw_rows_since(table_name, since) -%}
    {#-
        raw_rows_since(table_name, since): the raw rows that a build whose knowledge instant
        was `since` (an ISO timestamp string) may not have classified for good, as a subquery:
        rows whose text ingested_at or event time sorts at or after a margin day, plus every
        row whose ingested_at is missing or cannot be a timestamp (it carries no ingestion
        time, so no build can know whether it saw it before).

        The conditions are plain comparisons on the raw text columns, one scan per disjoint
        arm, so DuckDB pushes them into the Parquet reader and skips row groups by their
        min/max statistics: a nightly run does not read old landing files. The margin (five
        days before `since`) covers any UTC offset a parseable timestamp can carry; callers
        apply the exact typed condition afterwards. An ingested_at that starts with a digit
        but does not parse, with a date before the margin day, is not re-read: the build that
        first saw it quarantined it for good (delete_quarantine_rows_to_reclassify keeps it).
    -#}
    {%- set margin_day = raw_rows_since_margin_day(since) -%}
    {%- set event_columns = contract_event_time_columns(table_name) -%}
    (
        select * from {{ raw_rows(table_name) }} as raw
        where ingested_at >= '{{ margin_day }}' and ingested_at < ':'
        {%- if event_columns %}
        union all
        select * from {{ raw_rows(table_name) }} as raw
        where
            ingested_at >= '0' and ingested_at < '{{ margin_day }}'
            and (
                {%- for column in event_columns %}
                {{ column }} >= '{{ margin_day }}'{{ " or" if not loop.last }}
                {%- endfor %}
            )
        {%- endif %}
        union all
        select * from {{ raw_rows(table_name) }} as raw
        where ingested_at is null
        union all
        select * from {{ raw_rows(table_name) }} as raw
        where ingested_at < '0'
        union all
        select * from {{ raw_rows(table_name) }} as raw
        where ingested_at >= ':'
    )
{%- endmacro %}

{% macro raw_rows_since_margin_day(since) -%}
    {#- The text lower bound raw_rows_since compares with: five days before `since`, as YYYY-MM-DD. -#}
    {{- return((modules.datetime.date.fromisoformat(since[:10]) - modules.datetime.timedelta(days=5)).isoformat()) -}}
{%- endmacro %}
