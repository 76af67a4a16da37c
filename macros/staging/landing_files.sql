{#-
    The files of a landing directory, and how each one is read (docs/staging.md, "Reading
    raw rows"). Every file under `<landing_dir>/<table>/`, sub-folders included (hive-style
    `ingest_date=YYYY-MM-DD/` partitions or any other), is either read or listed as ignored
    with a reason (model dq_landing_files); nothing is skipped silently.

    * `.csv`, `.csv.gz` (any case): CSV, header line first;
    * `.parquet` (any case): Parquet;
    * a zero-byte file: read, holds no rows (status `empty`);
    * anything else (`README.txt`, `_SUCCESS`, `.json`): ignored, with the reason.

    A table folder that does not exist is an error naming it, unless the table is listed in
    var `absent_raw_tables` (then it has no rows and dq_landing_files says `absent`).
-#}

{% macro landing_dir_path() -%}
    {%- set landing_dir = var('landing_dir', '') | string -%}
    {%- if landing_dir | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "raw_source is 'landing' but var landing_dir is not set: pass the folder that holds"
            ~ " one sub-folder per raw table (users/, user_profile_versions/, content/, ...),"
            ~ " with `tsw nightly --landing-dir DIR` or `--vars '{landing_dir: DIR}'`"
        ) }}
    {%- endif -%}
    {{- return(landing_dir.rstrip('/')) -}}
{%- endmacro %}

{% macro landing_folder_prefix(table_name) -%}
    {#- The table folder with a trailing slash, as a SQL literal ('' for seeds builds). -#}
    {%- if var('raw_source', 'seeds') != 'landing' -%}
        {{- return("''") -}}
    {%- endif -%}
    {{- return(sql_text(landing_dir_path() ~ '/' ~ table_name ~ '/')) -}}
{%- endmacro %}

{% macro sql_text(value) -%}
    {#- A SQL string literal of value. -#}
    {{- return("'" ~ (value | string) | replace("'", "''") ~ "'") -}}
{%- endmacro %}

{% macro landing_file_kind(path) -%}
    {#- csv, parquet, or the reason the file is ignored (`ignored: ...`). -#}
    {%- set name = path.replace('\\', '/').split('/')[-1] -%}
    {%- set lower = name.lower() -%}
    {%- if lower.endswith('.csv') or lower.endswith('.csv.gz') -%}
        {{- return('csv') -}}
    {%- elif lower.endswith('.parquet') -%}
        {{- return('parquet') -}}
    {%- elif name.startswith('.') or name.startswith('_') -%}
        {{- return('ignored: hidden or marker file (name starts with . or _)') -}}
    {%- else -%}
        {{- return('ignored: not a landing file type (.csv, .csv.gz or .parquet, any case)') -}}
    {%- endif -%}
{%- endmacro %}

{% macro landing_table_files(table_name) -%}
    {#-
        The files of one table folder: a dict with `folder`, `absent` (declared absent, no
        folder), `csv` (list of {path, header}), `parquet` (paths), `empty` (zero-byte
        paths) and `ignored` (list of {path, reason, size}). Paths are sorted.
    -#}
    {%- set folder = landing_dir_path() ~ '/' ~ table_name -%}
    {%- set result = {'folder': folder, 'absent': false, 'csv': [], 'parquet': [], 'empty': [], 'ignored': [], 'sizes': {}} -%}
    {%- set folders = run_query(
        "select rtrim(replace(file, '\\', '/'), '/') from glob(" ~ sql_text(landing_dir_path() ~ '/*/') ~ ")"
    ).columns[0].values() -%}
    {%- if folder not in folders -%}
        {%- if table_name in var('absent_raw_tables', []) -%}
            {%- do result.update({'absent': true}) -%}
            {{- return(result) -}}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "raw table '" ~ table_name ~ "': landing folder " ~ folder ~ " does not exist. Deliver the table "
            ~ "there (an empty folder means no rows yet), or declare it absent: "
            ~ "--vars '{absent_raw_tables: [" ~ table_name ~ "]}' (see docs/staging.md).") }}
    {%- endif -%}
    {%- set files = run_query(
        "select file from glob(" ~ sql_text(folder ~ '/**') ~ ") order by file"
    ).columns[0].values() -%}
    {%- if files | length > 0 -%}
        {%- set size_rows = run_query(
            "select filename, size from read_blob(" ~ sql_text(folder ~ '/**') ~ ")"
        ).rows -%}
        {%- for size_row in size_rows -%}
            {%- do result.sizes.update({size_row[0]: size_row[1]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set csv_paths = [] -%}
    {%- for file in files -%}
        {%- set kind = landing_file_kind(file) -%}
        {%- if kind.startswith('ignored') -%}
            {%- do result.ignored.append({'path': file, 'reason': kind[9:]}) -%}
        {%- elif result.sizes.get(file, 1) == 0 -%}
            {%- do result.empty.append(file) -%}
        {%- elif kind == 'csv' -%}
            {%- do csv_paths.append(file) -%}
        {%- else -%}
            {%- do result.parquet.append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for csv_file in csv_header_lines(csv_paths) -%}
        {%- if csv_file.header is none -%}
            {%- do result.empty.append(csv_file.path) -%}
        {%- else -%}
            {%- do result.csv.append(csv_file) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(result) -}}
{%- endmacro %}

{% macro csv_header_lines(paths) -%}
    {#-
        [{path, header}] for CSV files: header is the list of column names of the first line
        (quotes, blanks and a byte-order mark stripped), or none for a file without a line.
        The first line is read on its own, as one text field, so a later broken line (ragged,
        over-long, badly encoded) cannot change what the header is taken to be.
    -#}
    {%- set result = [] -%}
    {%- if paths -%}
        {%- set reads = [] -%}
        {%- for path in paths -%}
            {%- do reads.append(
                "select " ~ loop.index0 ~ " as position, (select line from read_csv(" ~ sql_text(path)
                ~ ", auto_detect = false, header = false, columns = {'line': 'varchar'}, delim = '\\x01',"
                ~ " quote = '', escape = '', ignore_errors = true, hive_partitioning = false,"
                ~ " max_line_size = 20000000) limit 1) as line"
            ) -%}
        {%- endfor -%}
        {%- set lines = run_query(reads | join(' union all ') ~ " order by position").columns[1].values() -%}
        {%- for path in paths -%}
            {%- set line = lines[loop.index0] -%}
            {%- if line is none or line | trim == '' -%}
                {%- do result.append({'path': path, 'header': none}) -%}
            {%- else -%}
                {%- set names = [] -%}
                {%- for name in line.replace('\ufeff', '').split(',') -%}
                    {%- do names.append(name.strip().strip('"').strip()) -%}
                {%- endfor -%}
                {%- do result.append({'path': path, 'header': names}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(result) -}}
{%- endmacro %}

{% macro landing_csv_read(csv_file, store_rejects=false) -%}
    {#-
        read_csv of one landing CSV with its header's columns as text, the dialect fixed
        (comma, double quotes, no sniffing). Lines the reader cannot split into exactly those
        fields (wrong field count, bad UTF-8, over 2 MB) are skipped here and recorded by the
        same read with store_rejects in dq_landing_malformed_lines, which quarantines them.
    -#}
    {%- set columns = [] -%}
    {%- for name in csv_file.header -%}
        {%- do columns.append(sql_text(name) ~ ": 'varchar'") -%}
    {%- endfor -%}
    read_csv(
        {{ sql_text(csv_file.path) }},
        auto_detect = false, header = true, columns = { {{- columns | join(', ') -}} },
        delim = ',', quote = '"', escape = '"', hive_partitioning = false,
        {%- if store_rejects %}
        store_rejects = true, rejects_table = 'tsw_csv_reject_errors', rejects_scan = 'tsw_csv_reject_scans'
        {%- else %}
        ignore_errors = true
        {%- endif %}
    )
    {#-
        The reader checks a field's encoding only when the field is read: this filter reads
        every field of every line, so a count(*) skips the same lines as a select of every
        column, and the same lines as the store_rejects scan (which uses it too).
    #}
    where hash(
        {%- for name in csv_file.header -%}
            "{{ name | replace('"', '""') }}"{{ ", " if not loop.last }}
        {%- endfor -%}
    ) is not null
{%- endmacro %}

{% macro landing_reject_scan() -%}
    {#-
        Pre-hook of dq_landing_malformed_lines: read every landing CSV once more with
        store_rejects, so DuckDB records each line the staging reads skip (file, line,
        error) in the temporary tables tsw_csv_reject_errors / tsw_csv_reject_scans.
    -#}
    {%- set statements = [
        "drop table if exists temp.tsw_csv_reject_errors",
        "drop table if exists temp.tsw_csv_reject_scans",
    ] -%}
    {%- if execute and var('raw_source', 'seeds') == 'landing' -%}
        {%- for table_name in platform_tables() -%}
            {%- for csv_file in landing_table_files(table_name).csv -%}
                {%- do statements.append("select count(*) from " ~ landing_csv_read(csv_file, store_rejects=true)) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(statements | join(';\n') ~ ';') -}}
{%- endmacro %}

{% macro landing_csv_file_count() -%}
    {#- How many landing CSV files the scan reads (0 for seeds builds). -#}
    {%- set count = namespace(value=0) -%}
    {%- if execute and var('raw_source', 'seeds') == 'landing' -%}
        {%- for table_name in platform_tables() -%}
            {%- set count.value = count.value + landing_table_files(table_name).csv | length -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(count.value) -}}
{%- endmacro %}

{% macro check_landing_columns(table_name, columns, files) -%}
    {#- Fail with a message naming the table, file and column rather than a binder error deep in a view. -#}
    {%- set missing = [] -%}
    {%- for csv_file in files.csv -%}
        {%- for column in columns if column not in csv_file.header -%}
            {%- do missing.append([csv_file.path, column]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if files.parquet -%}
        {%- set parquet_list = [] -%}
        {%- for file in files.parquet -%}
            {%- do parquet_list.append(sql_text(file)) -%}
        {%- endfor -%}
        {%- set found = run_query(
            "select file_name, name from parquet_schema([" ~ parquet_list | join(', ') ~ "])"
        ).rows -%}
        {%- set present = [] -%}
        {%- for found_row in found -%}
            {%- do present.append(found_row[0] ~ '|' ~ found_row[1]) -%}
        {%- endfor -%}
        {%- for file in files.parquet -%}
            {%- for column in columns if (file ~ '|' ~ column) not in present -%}
                {%- do missing.append([file, column]) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if missing -%}
        {%- set first = missing[0] -%}
        {{ exceptions.raise_compiler_error(
            "raw table '" ~ table_name ~ "': landing file " ~ first[0] ~ " has no column '" ~ first[1]
            ~ "' required by the contract (" ~ missing | length ~ " missing file/column pair(s))") }}
    {%- endif -%}
{%- endmacro %}
