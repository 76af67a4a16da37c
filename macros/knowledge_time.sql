{#-
    Knowledge time. A build runs for an as-of date A and sees only rows ingested before
    its knowledge instant, A + 1 day 00:00 UTC. The value of a metric day D becomes
    final at its finalization instant, D + maturity_days + 1 day 00:00 UTC, and from
    then on uses only rows ingested before that instant.
-#}

{% macro as_of_date() -%}
    {#- The build's as-of date as an ISO string: var('as_of_date'), else today's UTC date. -#}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured is none or configured == '' -%}
        {{- return(modules.datetime.datetime.utcnow().date().isoformat()) -}}
    {%- else -%}
        {{- return(modules.datetime.date.fromisoformat(configured | string).isoformat()) -}}
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date_literal() -%}
    date '{{ as_of_date() }}'
{%- endmacro %}

{% macro knowledge_instant() -%}
    {#- First instant the build does not know about (exclusive upper bound on ingested_at). -#}
    {%- set as_of = modules.datetime.date.fromisoformat(as_of_date()) -%}
    timestamp '{{ (as_of + modules.datetime.timedelta(days=1)).isoformat() }} 00:00:00'
{%- endmacro %}

{% macro finalization_instant(metric_date, maturity_days) -%}
    {#- Rows ingested at or after this instant never change the value of metric_date. -#}
    cast({{ metric_date }} + cast({{ maturity_days }} as integer) + 1 as timestamp)
{%- endmacro %}

{% macro is_final(metric_date, maturity_days) -%}
    ({{ metric_date }} + cast({{ maturity_days }} as integer) <= {{ as_of_date_literal() }})
{%- endmacro %}

{% macro knowledge_instant_text(as_of_iso) -%}
    {#- The knowledge instant of a build as of `as_of_iso` (ISO date), as an ISO timestamp string. -#}
    {{- return((modules.datetime.date.fromisoformat(as_of_iso) + modules.datetime.timedelta(days=1)).isoformat() ~ ' 00:00:00') -}}
{%- endmacro %}
