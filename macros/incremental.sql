{#-
    Incremental models. A nightly build works on a copy of the previous night's database,
    so an incremental model sees what it computed as of the previous as-of date A_prev
    (stored in its `computed_as_of` column). A metric day D is final once
    D + maturity <= A_prev: its value depends only on rows ingested before
    finalization_instant(D), all of which were known to that build, so it is never
    recomputed. Knowledge only moves forward: a build as of a date earlier than a model's
    contents stops with an error asking for --full-refresh.
-#}

{% macro previous_as_of(column_name='computed_as_of') -%}
    {#- The as-of date (ISO string) of the build that last wrote this incremental model, or none. -#}
    {#- `this` is none while a unit test of the model compiles: it then runs as a full build. -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set column_names = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if column_name not in column_names -%}
        {{ exceptions.raise_compiler_error(
            this ~ " has no " ~ column_name ~ " column (it was built before it became incremental): "
            ~ "rebuild it with --full-refresh (tsw nightly --full-refresh, or dbt build --full-refresh).") }}
    {%- endif -%}
    {%- set result = run_query('select cast(max(' ~ column_name ~ ') as string) from ' ~ this) -%}
    {%- set previous = result.columns[0].values()[0] -%}
    {%- if previous is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if previous > as_of_date() -%}
        {{ exceptions.raise_compiler_error(
            this ~ " was built as of " ~ previous ~ ", later than this build's as-of date " ~ as_of_date()
            ~ ". An incremental build cannot move knowledge backwards (its final days would hold "
            ~ "rows this as-of date must not know): rebuild with --full-refresh "
            ~ "(tsw nightly --full-refresh, or dbt build --full-refresh).") }}
    {%- endif -%}
    {{- return(previous) -}}
{%- endmacro %}

{% macro previous_knowledge_instant(column_name) -%}
    {#-
        The knowledge instant of the build that last wrote this incremental model, as an ISO
        timestamp string (its as-of date, read from `column_name`, plus one day), or none.
    -#}
    {%- set previous = previous_as_of(column_name) -%}
    {{- return(none if previous is none else knowledge_instant_text(previous)) -}}
{%- endmacro %}

{% macro first_day_to_recompute() -%}
    {#-
        The first day that is not final yet for some metric reading the model's source
        table (config meta `cutoff_source_table`, matched against the registry's
        source_tables): A_prev - max(maturity_days) + 1, as an ISO string.
        none = recompute every day (first build or full refresh).
    -#}
    {%- set previous = previous_as_of() -%}
    {%- if previous is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set source_table = model.config.meta.get('cutoff_source_table') -%}
    {%- if not source_table -%}
        {{ exceptions.raise_compiler_error(this ~ ": config meta cutoff_source_table must name the raw table it is cut off for") }}
    {%- endif -%}
    {%- set result = run_query("select max(maturity_days) from (" ~ metric_maturities(source_table) ~ ")") -%}
    {%- set longest_maturity = result.columns[0].values()[0] -%}
    {%- if longest_maturity is none -%}
        {{ exceptions.raise_compiler_error(this ~ ": no metric_registry row reads " ~ source_table) }}
    {%- endif -%}
    {%- set first_day = modules.datetime.date.fromisoformat(previous)
        - modules.datetime.timedelta(days=longest_maturity | int - 1) -%}
    {{- return(first_day.isoformat()) -}}
{%- endmacro %}

{% macro delete_days_to_recompute(date_column) -%}
    {#- Pre-hook of a day-grained incremental model: drop the days about to be recomputed. -#}
    {%- set first_day = first_day_to_recompute() -%}
    {%- if first_day is not none -%}
        delete from {{ this }} where {{ date_column }} >= date '{{ first_day }}'
    {%- endif -%}
{%- endmacro %}

{% macro staged_ingested_since() -%}
    {#-
        Incremental staging of an event table (first ingested copy wins): the latest
        ingested_at already staged, as an ISO timestamp string, or none on a full build. Rows
        ingested before it were known to the previous build, which staged their keys or
        rejected them. Fails when the staged rows reach past this build's knowledge instant.
    -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set result = run_query(
        "select cast(max(ingested_at) as string), max(ingested_at) >= " ~ knowledge_instant()
        ~ " from " ~ this) -%}
    {%- set latest = result.columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if result.columns[1].values()[0] -%}
        {{ exceptions.raise_compiler_error(
            this ~ " holds rows ingested at " ~ latest ~ ", at or after this build's knowledge instant "
            ~ knowledge_instant() ~ " (as of " ~ as_of_date() ~ "). An incremental build cannot move "
            ~ "knowledge backwards: rebuild with --full-refresh "
            ~ "(tsw nightly --full-refresh, or dbt build --full-refresh).") }}
    {%- endif -%}
    {{- return(latest) -}}
{%- endmacro %}

{% macro delete_quarantine_rows_to_reclassify() -%}
    {#-
        Pre-hook of quarantine_rows: drop exactly the rows the incremental build reads and
        classifies again (see the model): an event time at or after the previous build's
        knowledge instant P, or an ingested_at that does not parse and that raw_rows_since
        re-reads (missing, not starting with a digit, or at or after its margin day).
    -#}
    {%- set since = previous_knowledge_instant('as_of_date') -%}
    {%- if since is not none -%}
        delete from {{ this }}
        where
            latest_event_at_utc >= timestamp '{{ since }}'
            or (
                ingested_at_utc is null
                and (
                    raw_ingested_at is null
                    or raw_ingested_at < '0'
                    or raw_ingested_at >= '{{ raw_rows_since_margin_day(since) }}'
                )
            )
    {%- endif -%}
{%- endmacro %}
