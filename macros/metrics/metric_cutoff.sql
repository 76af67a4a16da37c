{#-
    The one cut-off mechanism (metrics.md, "Maturity and finality"). A metric day D uses
    only rows ingested before its finalization instant, D + maturity_days + 1 day. Shared
    fact models make one copy of their rows per maturity in use (metric_cutoff_copies) and
    keep, in each copy, the rows known before that copy's cutoff_at; a metric unit reads
    the copy of its own maturity (metric_facts_at_cutoff). Maturities come from
    metric_registry only.
-#}

{% macro metric_maturities(source_table) -%}
    {#- The distinct maturities of the registry metrics that read source_table (registry source_tables). -#}
    select distinct cast(maturity_days as integer) as maturity_days
    from {{ ref('metric_registry') }}
    where {{ list_has(split_text('source_tables', '|'), "'" ~ source_table ~ "'") }}
{%- endmacro %}

{% macro metric_cutoff_copies(relation, date_expression, source_table) -%}
    {#-
        One copy of relation's rows per maturity of the metrics that read source_table,
        with maturity_days and cutoff_at (the finalization instant of date_expression,
        a column of relation). The caller keeps the rows known before cutoff_at.
    -#}
    select
        metric_maturities.maturity_days,
        {{ finalization_instant(relation ~ '.' ~ date_expression, 'metric_maturities.maturity_days') }} as cutoff_at,
        {{ relation }}.*
    from {{ relation }}
    cross join ({{ metric_maturities(source_table) }}) as metric_maturities
{%- endmacro %}

{% macro metric_facts_at_cutoff(fact_model, metric_name) -%}
    {#- The rows of a fact model as metric_name sees them: its copy at the metric's maturity. -#}
    select facts.*
    from {{ ref(fact_model) }} as facts
    inner join {{ ref('metric_registry') }} as metric_registry
        on
            metric_registry.metric_name = '{{ metric_name }}'
            and facts.maturity_days = cast(metric_registry.maturity_days as integer)
{%- endmacro %}

{% macro known_at_cutoff(cutoff_at, ingested_at) -%}
    {#- A row ingested at ingested_at is known at a cut-off. -#}
    ({{ ingested_at }} < {{ cutoff_at }})
{%- endmacro %}

{% macro version_known_at_cutoff(cutoff_at, known_from, known_until) -%}
    {#- A versioned row (one copy valid from known_from until known_until) is the latest copy at a cut-off. -#}
    ({{ cutoff_at }} > {{ known_from }} and {{ cutoff_at }} <= coalesce({{ known_until }}, {{ timestamp_infinity() }}))
{%- endmacro %}

{% macro metric_cutoff_copy(relation, date_expression, metric_name) -%}
    {#-
        The one copy of relation's rows that metric_name sees: with its maturity_days and
        cutoff_at (the finalization instant of date_expression, a column of relation, at
        the metric's registry maturity). For rows dated by something only a model knows
        (an eval run's date, the week of a pair's first human verdict, a period's end) or
        joined across fact tables; the caller keeps the rows known before cutoff_at with
        known_at_cutoff / version_known_at_cutoff.
    -#}
    select
        metric_maturity.maturity_days,
        {{ finalization_instant(relation ~ '.' ~ date_expression, 'metric_maturity.maturity_days') }} as cutoff_at,
        {{ relation }}.*
    from {{ relation }}
    cross join (
        select cast(maturity_days as integer) as maturity_days
        from {{ ref('metric_registry') }}
        where metric_name = '{{ metric_name }}'
    ) as metric_maturity
{%- endmacro %}
