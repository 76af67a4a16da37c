{#-
    raw_rows(table_name): the raw rows of one contract table as all-text columns, in
    contract order, whichever way they arrive (docs/architecture.md, "Raw source switch"):

    * var('raw_source') == 'seeds': the committed demo seed `raw_<table>` (loaded all-text);
    * var('raw_source') == 'landing': every CSV (read all-text) and Parquet file (each
      column cast to text) under `<landing_dir>/<table>/`, sub-folders included, unioned by
      column name (macros/staging/landing_files.sql). A folder with no files yields no
      rows; a file without a contract column is an error naming both; a missing folder is
      an error unless the table is in var absent_raw_tables.

    This is the only place that knows the difference between the two.
-#}

{% macro raw_rows(table_name) -%}
    {#-
        Lineage: the model depends on the raw table's dbt source, so the manifest and dbt docs
        show sources -> staging -> marts. The rows are read below (seed or landing files),
        not from the source relation, which exists only in the graph. (dbt renders unit tests
        without the graph and cannot resolve a source there: they skip the call.)
    -#}
    {%- if not execute or graph.sources is defined -%}
        {%- do source('platform', table_name) -%}
    {%- endif -%}
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
                    cast({{ column }} as string) as {{ column }}{{ "," if not loop.last }}
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
    {#-
        Every readable row of every landing file of the table (macros/staging/landing_files.sql
        says which files those are): one read_csv per CSV file (its own header, malformed
        lines skipped and quarantined by dq_landing_malformed_lines) and one read_parquet
        over the Parquet files (each column cast to text), unioned.
    -#}
    {%- set files = landing_table_files(table_name) -%}
    {%- do check_landing_columns(table_name, columns, files) -%}
    {%- set parts = [] -%}
    {%- for csv_file in files.csv -%}
        {%- do parts.append("select " ~ columns | join(', ') ~ " from " ~ landing_csv_read(csv_file)) -%}
    {%- endfor -%}
    {%- if files.parquet -%}
        {%- set casts = [] -%}
        {%- for column in columns -%}
            {%- do casts.append('cast(' ~ column ~ ' as varchar) as ' ~ column) -%}
        {%- endfor -%}
        {%- set parquet_list = [] -%}
        {%- for file in files.parquet -%}
            {%- do parquet_list.append(sql_text(file)) -%}
        {%- endfor -%}
        {%- do parts.append(
            "select " ~ casts | join(', ') ~ " from read_parquet([" ~ parquet_list | join(', ')
            ~ "], union_by_name = true, hive_partitioning = false)"
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
    {%- set raw_sql = raw_rows(table_name) -%}
    (
        select * from {{ raw_sql }} as raw
        where ingested_at >= '{{ margin_day }}' and ingested_at < ':'
        {%- if event_columns %}
        union all
        select * from {{ raw_sql }} as raw
        where
            ingested_at >= '0' and ingested_at < '{{ margin_day }}'
            and (
                {%- for column in event_columns %}
                {{ column }} >= '{{ margin_day }}'{{ " or" if not loop.last }}
                {%- endfor %}
            )
        {%- endif %}
        union all
        select * from {{ raw_sql }} as raw
        where ingested_at is null
        union all
        select * from {{ raw_sql }} as raw
        where ingested_at < '0'
        union all
        select * from {{ raw_sql }} as raw
        where ingested_at >= ':'
    )
{%- endmacro %}

{% macro raw_rows_since_margin_day(since) -%}
    {#- The text lower bound raw_rows_since compares with: five days before `since`, as YYYY-MM-DD. -#}
    {{- return((modules.datetime.date.fromisoformat(since[:10]) - modules.datetime.timedelta(days=5)).isoformat()) -}}
{%- endmacro %}
