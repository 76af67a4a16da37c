{#-
    base_platform_rows(table_name): the body of `base_platform__<table>`, generated from the
    raw contract. Every raw row known at the knowledge instant (plus rows whose ingested_at
    does not parse, which are quarantined), typed, with the first failing check as
    reject_reason / reject_column, the raw row as JSON, and its dedup rank among the valid
    copies of its key. See docs/staging.md for the order of the checks.

    ingested_since (an ISO timestamp string, optional): keep only the rows that a build
    whose knowledge instant was `ingested_since` could not have classified for good:
    ingested at or after that instant, with an event time at or after it (then in the
    future, so rejected), or with no usable ingested_at. The raw files are read through
    raw_rows_since (text prefilters Parquet can skip row groups with). The filter runs
    before the dedup window, so ranks are among those candidates only; incremental models
    (event staging, the quarantine, the reconciliation) use it.
-#}

{% macro base_platform_rows(table_name, ingested_since=none) -%}
    {%- if not execute -%}
        {#- Parsing only needs the refs: the raw rows and the reference seeds enum checks read. -#}
        {%- for seed_name in contract_enum_seeds() -%}
            {%- do ref(seed_name) -%}
        {%- endfor %}
        select * from {{ raw_rows(table_name) }}
    {%- else -%}
        {%- set node = platform_contract(table_name) -%}
        {%- set meta = node.meta if node.meta else node.config.meta -%}
        {%- set columns = node.columns.values() | list -%}
        {%- set key = meta.key -%}
        {%- set ingested_order = 'desc' if meta.kind == 'state' else 'asc' -%}
        {%- if meta.kind not in ['state', 'event'] -%}
            {{ exceptions.raise_compiler_error("raw table '" ~ table_name ~ "': meta.kind must be event or state") }}
        {%- endif %}
    {%- set source_sql = raw_rows(table_name) if ingested_since is none else raw_rows_since(table_name, ingested_since) -%}
    {#-
        Full builds of tables with a text key rank only the repeated keys (see below). An
        incremental read (ingested_since) holds few rows: one window over them is cheaper
        than reading the raw files three times.
    -#}
    {%- set text_key = ingested_since is none
        and (key | length) == (columns | selectattr('name', 'in', key) | selectattr('data_type', 'equalto', 'text') | list | length) %}
    with

    {%- if text_key %}

    repeated_keys as (
        {#-
            Keys with more than one raw copy, from the raw key text alone (no parsing). A text
            key's typed value is its raw text (blank keys are rejected), so every other key
            has exactly one copy: it is rank 1 if valid, and only the repeated keys' rows go
            through the window. This keeps the one sort small on big tables (a window over
            every row of 100M impressions does not fit an 8 GB memory limit).
        #}
        select {{ key | join(', ') }}
        from {{ source_sql }} as source
        group by {{ key | join(', ') }}
        having count(*) > 1
    ),

    single_copy_rows as (
        {{ checked_raw_rows(
            '(select * from ' ~ source_sql ~ ' as source where not exists (select 1 from repeated_keys where '
            ~ key_equality('repeated_keys', 'source', key) ~ '))',
            table_name, columns, key, ingested_since) }}
    ),

    repeated_copy_rows as (
        {{ checked_raw_rows(
            '(select * from ' ~ source_sql ~ ' as source where exists (select 1 from repeated_keys where '
            ~ key_equality('repeated_keys', 'source', key) ~ '))',
            table_name, columns, key, ingested_since) }}
    ),

    ranked as (
        select
            *,
            case when is_known and reject_reason is null then 1 end as dedup_rank
        from single_copy_rows
        union all
        select
            *,
            {{ dedup_rank_window(columns, key, ingested_order) }} as dedup_rank
        from repeated_copy_rows
    ),
    {%- else %}

    reasoned as (
        {{ checked_raw_rows(source_sql, table_name, columns, key, ingested_since) }}
    ),

    ranked as (
        select
            *,
            {{ dedup_rank_window(columns, key, ingested_order) }} as dedup_rank
        from reasoned
    ),
    {%- endif %}

    described as (
        select
            {%- for column in columns %}
            {{ column.name }},
            {%- endfor %}
            {%- if key | length == 1 %}
            coalesce(raw__{{ key[0] }}, '') as row_key,
            {%- else %}
            concat_ws(
                '|',
                {%- for key_column in key %}
                coalesce(raw__{{ key_column }}, ''){{ "," if not loop.last }}
                {%- endfor %}
            ) as row_key,
            {%- endif %}
            raw__ingested_at as raw_ingested_at,
            {{ json_text_object(columns | map(attribute='name') | list, 'raw__') }} as raw_values,
            reject_reason,
            reject_column,
            dedup_rank
        from ranked
        where is_known
    )

    select * from described
    {%- endif -%}
{%- endmacro %}

{% macro typed_raw_value(column, table_name) -%}
    {#- The contract type of one raw text column; null when empty or unparseable. -#}
    {%- set present = 'present__' ~ column.name -%}
    {%- set data_type = column.data_type -%}
    {%- if data_type in ['text', 'enum'] -%}
        {{ present }}
    {%- elif data_type == 'timestamp' -%}
        {{ utc_timestamp(present) }}
    {%- elif data_type == 'date' -%}
        try_cast({{ present }} as date)
    {%- elif data_type == 'boolean' -%}
        try_cast({{ present }} as boolean)
    {%- elif data_type == 'decimal' -%}
        try_cast({{ present }} as double)
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "raw table '" ~ table_name ~ "', column '" ~ column.name ~ "': unknown data_type '" ~ data_type ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{% macro raw_value_checks(column, table_name, key) -%}
    {#-
        The checks of one column, in the order they are reported: missing_value,
        unparseable_value, unknown_enum_value, out_of_range, event_time_before_2006,
        event_time_in_future, then the column's not_before reason.
    -#}
    {%- set meta = column.meta or {} -%}
    {%- set name = column.name -%}
    {%- set present = 'present__' ~ name -%}
    {%- set checks = [] -%}
    {%- if not meta.get('nullable', false) and name not in key -%}
        {%- do checks.append({
            'reason': 'missing_value',
            'condition': present ~ ' is null'}) -%}
    {%- endif -%}
    {%- if column.data_type in ['timestamp', 'date', 'boolean', 'decimal'] -%}
        {%- do checks.append({
            'reason': 'unparseable_value',
            'condition': present ~ ' is not null and ' ~ name ~ ' is null'}) -%}
    {%- endif -%}
    {%- if meta.get('enum') -%}
        {%- set values = [] -%}
        {%- for value in meta.enum -%}
            {%- do values.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append({
            'reason': 'unknown_enum_value',
            'condition': name ~ ' not in (' ~ values | join(', ') ~ ')'}) -%}
    {%- elif meta.get('enum_ref') -%}
        {%- set seed_name, seed_column = meta.enum_ref.split('.') -%}
        {%- if seed_name not in contract_enum_seeds() -%}
            {{ exceptions.raise_compiler_error(
                "raw table '" ~ table_name ~ "', column '" ~ name ~ "': enum_ref seed '" ~ seed_name
                ~ "' is not listed in macro contract_enum_seeds (macros/staging/platform_contract.sql)") }}
        {%- endif -%}
        {%- do checks.append({
            'reason': 'unknown_enum_value',
            'condition': name ~ ' not in (select ' ~ seed_column ~ ' from ' ~ ref(seed_name) ~ ')'}) -%}
    {%- endif -%}
    {%- if meta.get('range') -%}
        {%- do checks.append({'reason': 'out_of_range', 'condition': range_violation(name, meta.range, table_name)}) -%}
    {%- endif -%}
    {%- if meta.get('event_time', false) -%}
        {%- do checks.append({
            'reason': 'event_time_before_2006',
            'condition': name ~ " < timestamp '2006-01-01 00:00:00'"}) -%}
        {%- do checks.append({
            'reason': 'event_time_in_future',
            'condition': name ~ ' >= ' ~ knowledge_instant()}) -%}
    {%- endif -%}
    {%- if meta.get('not_before') -%}
        {%- do checks.append({
            'reason': meta.not_before.reason,
            'condition': name ~ ' < ' ~ meta.not_before.column}) -%}
    {%- endif -%}
    {{- return(checks) -}}
{%- endmacro %}

{% macro range_violation(name, interval, table_name) -%}
    {#- The condition that a value lies outside an interval written like "(0,1]" or "[0,100)". -#}
    {%- set text = interval | trim -%}
    {%- set bounds = text[1:-1].split(',') -%}
    {%- if text[0] not in '([' or text[-1] not in ')]' or bounds | length != 2 -%}
        {{ exceptions.raise_compiler_error(
            "raw table '" ~ table_name ~ "', column '" ~ name ~ "': meta.range '" ~ interval ~ "' is not an interval") }}
    {%- endif -%}
    {%- set lower_op = '<=' if text[0] == '(' else '<' -%}
    {%- set upper_op = '>=' if text[-1] == ')' else '>' -%}
    {{- return('(' ~ name ~ ' ' ~ lower_op ~ ' ' ~ bounds[0] | trim ~ ' or ' ~ name ~ ' ' ~ upper_op ~ ' '
        ~ bounds[1] | trim ~ " or isnan(" ~ name ~ '))') -}}
{%- endmacro %}

{% macro present_text(raw) -%}
    {#- The raw text, null when empty or blank. Written so trim() only runs on values starting with a blank. -#}
    case
        when {{ raw }} = '' then null
        when {{ raw }} like ' %' then case when trim({{ raw }}) <> '' then {{ raw }} end
        else {{ raw }}
    end
{%- endmacro %}

{% macro checked_raw_rows(relation, table_name, columns, key, ingested_since) -%}
    {#-
        The raw rows of `relation` (all-text contract columns) typed and checked: raw__<column>
        (raw text), present__<column>, <column> (typed), is_known, reject_reason and
        reject_column (the first failing check), as one select. With ingested_since, only
        the rows a build at that knowledge instant could not have classified for good.
    -#}
    with

    source as (
        select * from {{ relation }} as relation
    ),

    raw_text as (
        select
            {%- for column in columns %}
            {{ column.name }} as raw__{{ column.name }},
            {{ present_text(column.name) }} as present__{{ column.name }}{{ "," if not loop.last }}
            {%- endfor %}
        from source
    ),

    typed as (
        select
            *,
            {%- for column in columns %}
            {{ typed_raw_value(column, table_name) }} as {{ column.name }}{{ "," if not loop.last }}
            {%- endfor %}
        from raw_text
    ),

    checked as (
        select
            *,
            {#- Rows whose ingested_at does not parse are known: they are quarantined, not "not yet known". #}
            ingested_at is null or ingested_at < {{ knowledge_instant() }} as is_known,
            case
                {%- for key_column in key %}
                when present__{{ key_column }} is null
                    then 'missing_key/{{ key_column }}'
                {%- endfor %}
                {%- for column in columns %}
                {%- for check in raw_value_checks(column, table_name, key) %}
                when {{ check.condition }}
                    then '{{ check.reason }}/{{ column.name }}'
                {%- endfor %}
                {%- endfor %}
            end as reject
        from typed
        {%- if ingested_since is not none %}
        where
            ingested_at is null
            or ingested_at >= timestamp '{{ ingested_since }}'
            {%- for column in columns if (column.meta or {}).get('event_time', false) %}
            or {{ column.name }} >= timestamp '{{ ingested_since }}'
            {%- endfor %}
        {%- endif %}
    ),

    reasoned as (
        select
            *,
            split_part(reject, '/', 1) as reject_reason,
            split_part(reject, '/', 2) as reject_column
        from checked
    )

    select * from reasoned
{%- endmacro %}

{% macro key_equality(left, right, key) -%}
    {%- set parts = [] -%}
    {%- for key_column in key -%}
        {%- do parts.append(left ~ '.' ~ key_column ~ ' = ' ~ right ~ '.' ~ key_column) -%}
    {%- endfor -%}
    {{- parts | join(' and ') -}}
{%- endmacro %}

{% macro dedup_rank_window(columns, key, ingested_order) -%}
    {#-
        The dedup rank among the valid copies of a key. Rows not yet known and rejected rows
        sit in partitions of their own, so they never outrank a valid copy; and because
        is_known and reject_reason are plain partition columns, DuckDB pushes filters on them
        (the view's own `where is_known`, the quarantine's `reject_reason is not null`) below
        the window. The tie-break is the raw text in contract order; text key columns are
        equal within a partition and are skipped.
    -#}
    case
        when is_known and reject_reason is null
            then row_number() over (
                partition by
                    is_known,
                    reject_reason,
                    {%- for key_column in key %}
                    {{ key_column }}{{ "," if not loop.last }}
                    {%- endfor %}
                order by
                    ingested_at {{ ingested_order }}
                    {%- for column in columns if not (column.name in key and column.data_type == 'text') %},
                    raw__{{ column.name }} asc nulls first
                    {%- endfor %}
            )
    end
{%- endmacro %}
