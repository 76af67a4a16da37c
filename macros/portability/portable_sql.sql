{#-
    Portable SQL (issue 16): the constructs whose spelling differs between DuckDB and Spark
    SQL, each an adapter.dispatch macro with a default__ (DuckDB) and a spark__
    implementation. The DuckDB spelling is what the models used before; the Spark one
    returns the same values (docs/spec_decisions.md, 16.x). Constructs both engines accept
    as written (count_if, any_value, max_by, bool_or, bool_and, group by all, grouping
    sets, aggregate filter clauses, try_cast, date_trunc, make_date, split_part, greatest,
    `timestamp + interval 168 hour`, `date + integer`) are written directly in the models.
-#}

{% macro explode_list(list_expr) -%}
    {#- One row per element of a list, in a select list (DuckDB unnest, Spark explode). -#}
    {{- return(adapter.dispatch('explode_list', 'tsw')(list_expr)) -}}
{%- endmacro %}

{% macro default__explode_list(list_expr) -%}
    unnest({{ list_expr }})
{%- endmacro %}

{% macro spark__explode_list(list_expr) -%}
    explode({{ list_expr }})
{%- endmacro %}

{% macro split_text(text_expr, delimiter) -%}
    {#- The list of the parts of text_expr between a literal one-character delimiter. -#}
    {{- return(adapter.dispatch('split_text', 'tsw')(text_expr, delimiter)) -}}
{%- endmacro %}

{% macro default__split_text(text_expr, delimiter) -%}
    string_split({{ text_expr }}, '{{ delimiter }}')
{%- endmacro %}

{% macro spark__split_text(text_expr, delimiter) -%}
    {#- Spark's split takes a regular expression: the delimiter is quoted as a character class. -#}
    split({{ text_expr }}, '[{{ delimiter }}]', -1)
{%- endmacro %}

{% macro list_has(list_expr, value_expr) -%}
    {#- Whether the list holds the value (null list: null). -#}
    {{- return(adapter.dispatch('list_has', 'tsw')(list_expr, value_expr)) -}}
{%- endmacro %}

{% macro default__list_has(list_expr, value_expr) -%}
    list_contains({{ list_expr }}, {{ value_expr }})
{%- endmacro %}

{% macro spark__list_has(list_expr, value_expr) -%}
    array_contains({{ list_expr }}, {{ value_expr }})
{%- endmacro %}

{% macro list_any(list_expr, element, condition) -%}
    {#-
        Whether some element of the list satisfies condition (a boolean SQL expression of
        the lambda variable `element`; read struct fields as element.field); false for a
        null or empty list and when no element is known to satisfy it.
    -#}
    {{- return(adapter.dispatch('list_any', 'tsw')(list_expr, element, condition)) -}}
{%- endmacro %}

{% macro default__list_any(list_expr, element, condition) -%}
    coalesce(list_bool_or(list_transform(
        {{ list_expr }},
        lambda {{ element }}: {{ condition }}
    )), false)
{%- endmacro %}

{% macro spark__list_any(list_expr, element, condition) -%}
    coalesce(exists(
        {{ list_expr }},
        {{ element }} -> {{ condition }}
    ), false)
{%- endmacro %}

{% macro list_of_structs(fields) -%}
    {#-
        Aggregate: the list of one struct per row, with the named columns as fields
        (DuckDB list(struct_pack(...)), Spark collect_list(named_struct(...))). An aggregate
        filter clause may follow the call.
    -#}
    {{- return(adapter.dispatch('list_of_structs', 'tsw')(fields)) -}}
{%- endmacro %}

{% macro default__list_of_structs(fields) -%}
    list(struct_pack(
        {%- for field in fields %}
        {{ field }} := {{ field }}{{ "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro spark__list_of_structs(fields) -%}
    collect_list(named_struct(
        {%- for field in fields %}
        '{{ field }}', {{ field }}{{ "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro day_series(start_date, end_date) -%}
    {#- The list of dates from start_date to end_date, both included (Spark cannot cast an exploded value). -#}
    {{- return(adapter.dispatch('day_series', 'tsw')(start_date, end_date)) -}}
{%- endmacro %}

{% macro default__day_series(start_date, end_date) -%}
    cast(generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval 1 day
    ) as date [])
{%- endmacro %}

{% macro spark__day_series(start_date, end_date) -%}
    sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)
{%- endmacro %}

{% macro last_day_of_months(start_date, months) -%}
    {#- The day before start_date + `months` months (the last day of a period of that many months). -#}
    {{- return(adapter.dispatch('last_day_of_months', 'tsw')(start_date, months)) -}}
{%- endmacro %}

{% macro default__last_day_of_months(start_date, months) -%}
    {{ start_date }} + interval {{ months }} month - interval 1 day
{%- endmacro %}

{% macro spark__last_day_of_months(start_date, months) -%}
    date_add(add_months({{ start_date }}, {{ months }}), -1)
{%- endmacro %}

{% macro milliseconds_between(start_timestamp, end_timestamp) -%}
    {#- Whole milliseconds from start to end: DuckDB date_diff('millisecond', start, end). -#}
    {{- return(adapter.dispatch('milliseconds_between', 'tsw')(start_timestamp, end_timestamp)) -}}
{%- endmacro %}

{% macro default__milliseconds_between(start_timestamp, end_timestamp) -%}
    date_diff('millisecond', {{ start_timestamp }}, {{ end_timestamp }})
{%- endmacro %}

{% macro spark__milliseconds_between(start_timestamp, end_timestamp) -%}
    {#-
        date_diff counts millisecond boundaries crossed: the difference of the floored epochs.
        A double (whole numbers, exact): Spark divides an integer by a decimal literal such as
        3600000.0 in decimal arithmetic, rounded to 6-9 places, where DuckDB gives a double.
    -#}
    cast(
        floor(unix_micros({{ end_timestamp }}) / 1000) - floor(unix_micros({{ start_timestamp }}) / 1000)
        as double
    )
{%- endmacro %}

{% macro timestamp_infinity() -%}
    {#- A timestamp after every real one (DuckDB 'infinity'; Spark has none: its largest). -#}
    {{- return(adapter.dispatch('timestamp_infinity', 'tsw')()) -}}
{%- endmacro %}

{% macro default__timestamp_infinity() -%}
    cast('infinity' as timestamp)
{%- endmacro %}

{% macro spark__timestamp_infinity() -%}
    timestamp '9999-12-31 23:59:59.999999'
{%- endmacro %}

{% macro timestamp_minus_infinity() -%}
    {#- A timestamp before every real one (DuckDB '-infinity'; Spark has none: 1900-01-01, before any event a build accepts). -#}
    {{- return(adapter.dispatch('timestamp_minus_infinity', 'tsw')()) -}}
{%- endmacro %}

{% macro default__timestamp_minus_infinity() -%}
    cast('-infinity' as timestamp)
{%- endmacro %}

{% macro spark__timestamp_minus_infinity() -%}
    timestamp '1900-01-01 00:00:00'
{%- endmacro %}

{% macro quantile_cont(value_expr, quantile) -%}
    {#-
        Aggregate: the continuous quantile with linear interpolation between the two
        closest ranks (DuckDB quantile_cont, Spark percentile: the same definition).
    -#}
    {{- return(adapter.dispatch('quantile_cont', 'tsw')(value_expr, quantile)) -}}
{%- endmacro %}

{% macro default__quantile_cont(value_expr, quantile) -%}
    quantile_cont({{ value_expr }}, {{ quantile }})
{%- endmacro %}

{% macro spark__quantile_cont(value_expr, quantile) -%}
    percentile({{ value_expr }}, {{ quantile }})
{%- endmacro %}

{% macro regexp_full_match(text_expr, pattern) -%}
    {#- Whether the whole text matches the regular expression (pattern: a SQL-free regex string). -#}
    {{- return(adapter.dispatch('regexp_full_match', 'tsw')(text_expr, pattern)) -}}
{%- endmacro %}

{% macro default__regexp_full_match(text_expr, pattern) -%}
    regexp_full_match({{ text_expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_full_match(text_expr, pattern) -%}
    {#- Spark string literals read backslash escapes: each backslash is doubled. -#}
    ({{ text_expr }} rlike '^(?:{{ pattern | replace("\\", "\\\\") }})$')
{%- endmacro %}

{% macro offset_text_to_utc_timestamp(text_expr) -%}
    {#-
        An ISO-8601 timestamp text with a UTC offset (checked by the caller) as the naive
        UTC timestamp of its instant; null when it does not parse.
    -#}
    {{- return(adapter.dispatch('offset_text_to_utc_timestamp', 'tsw')(text_expr)) -}}
{%- endmacro %}

{% macro default__offset_text_to_utc_timestamp(text_expr) -%}
    {#- epoch_us of a timestamptz is its UTC instant whatever the session zone. -#}
    make_timestamp(epoch_us(try_cast({{ text_expr }} as timestamptz)))
{%- endmacro %}

{% macro spark__offset_text_to_utc_timestamp(text_expr) -%}
    {#- Spark reads the offset of the text; the session time zone is UTC (profiles.yml). -#}
    try_cast({{ text_expr }} as timestamp)
{%- endmacro %}

{% macro json_text_object(names, column_prefix='') -%}
    {#-
        A JSON object text with one key per name, whose value is the text column
        column_prefix ~ name; nulls kept as JSON null, keys in the given order, no
        whitespace: {"a":"x","b":null}.
    -#}
    {{- return(adapter.dispatch('json_text_object', 'tsw')(names, column_prefix)) -}}
{%- endmacro %}

{% macro default__json_text_object(names, column_prefix) -%}
    cast(json_object(
        {%- for name in names %}
        '{{ name }}', {{ column_prefix ~ name }}{{ "," if not loop.last }}
        {%- endfor %}
    ) as string)
{%- endmacro %}

{% macro spark__json_text_object(names, column_prefix) -%}
    to_json(
        named_struct(
            {%- for name in names %}
            '{{ name }}', {{ column_prefix ~ name }}{{ "," if not loop.last }}
            {%- endfor %}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}

{% macro list_of(expressions) -%}
    {#- A list literal of the given SQL expressions (DuckDB [a, b], Spark array(a, b)). -#}
    {{- return(adapter.dispatch('list_of', 'tsw')(expressions)) -}}
{%- endmacro %}

{% macro default__list_of(expressions) -%}
    [{{ expressions | join(', ') }}]
{%- endmacro %}

{% macro spark__list_of(expressions) -%}
    array({{ expressions | join(', ') }})
{%- endmacro %}

{% macro text_list(values) -%}
    {#- A list literal of text constants (values: Python strings, quoted here). -#}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{- return(list_of(quoted)) -}}
{%- endmacro %}

{% macro empty_text_list() -%}
    {#- An empty list of text. -#}
    {{- return(adapter.dispatch('empty_text_list', 'tsw')()) -}}
{%- endmacro %}

{% macro default__empty_text_list() -%}
    cast([] as varchar [])
{%- endmacro %}

{% macro spark__empty_text_list() -%}
    cast(array() as array<string>)
{%- endmacro %}

{% macro list_length(list_expr) -%}
    {#- The number of elements of a list (DuckDB len, Spark size). -#}
    {{- return(adapter.dispatch('list_length', 'tsw')(list_expr)) -}}
{%- endmacro %}

{% macro default__list_length(list_expr) -%}
    len({{ list_expr }})
{%- endmacro %}

{% macro spark__list_length(list_expr) -%}
    size({{ list_expr }})
{%- endmacro %}

{% macro list_join(list_expr, separator) -%}
    {#- The list's elements joined by a separator (DuckDB array_to_string, Spark array_join). -#}
    {{- return(adapter.dispatch('list_join', 'tsw')(list_expr, separator)) -}}
{%- endmacro %}

{% macro default__list_join(list_expr, separator) -%}
    array_to_string({{ list_expr }}, '{{ separator }}')
{%- endmacro %}

{% macro spark__list_join(list_expr, separator) -%}
    array_join({{ list_expr }}, '{{ separator }}')
{%- endmacro %}

{% macro sorted_distinct_list(value_expr) -%}
    {#- Aggregate: the sorted list of the distinct non-null values. -#}
    {{- return(adapter.dispatch('sorted_distinct_list', 'tsw')(value_expr)) -}}
{%- endmacro %}

{% macro default__sorted_distinct_list(value_expr) -%}
    list_sort(list(distinct {{ value_expr }}))
{%- endmacro %}

{% macro spark__sorted_distinct_list(value_expr) -%}
    array_sort(collect_set({{ value_expr }}))
{%- endmacro %}
