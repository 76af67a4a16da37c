{% macro utc_timestamp(text_expr) -%}
    {#-
        An ISO-8601 timestamp text WITH an offset (`2026-03-01T13:45:12Z`,
        `2026-03-01T14:45:12+01:00`) as a naive UTC timestamp; null when the text does not
        parse. Text without an offset is null on purpose: its instant is ambiguous, and
        DuckDB would silently read it in the session time zone.
        The first branch is the common `...Z` form, parsed without the (slower) time zone
        machinery (macros/portability/portable_sql.sql reads the offset on each engine).
    -#}
    case
        when {{ text_expr }} like '____-__-__T__:__:__Z'
            then try_cast(left({{ text_expr }}, 19) as timestamp)
        when {{ regexp_full_match(
            text_expr,
            '\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)'
        ) }}
            then {{ offset_text_to_utc_timestamp(text_expr) }}
    end
{%- endmacro %}
