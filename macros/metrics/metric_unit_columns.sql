{% macro segment_columns() -%}
    {#- The published segment columns, in published order: the one list SQL and Python read. -#}
    {{- return(['age_band', 'region', 'plan', 'surface', 'policy_category', 'feature']) -}}
{%- endmacro %}

{% macro period_grains() -%}
    {#- The grains metrics are published at: `day` (metrics_daily) and the period grains (metrics_periodic). -#}
    {{- return(['day', 'week', 'month', 'quarter', 'half_year']) -}}
{%- endmacro %}

{% macro metric_unit_columns(
    metric_name,
    grouped=[],
    carried=[],
    numerator=none,
    denominator=none,
    sample_size='0',
    sum_weight_squared=none,
    value=none,
    ci_lower=none,
    ci_upper=none
) -%}
    {#-
        The select list of a metric unit's output (docs/metric_units.md): metric_name,
        period_grain, period_start, the six segment columns (`grouped` ones from a
        grouping-sets group by, `carried` ones as they are, the others 'all') and the
        parts. metric_name is a SQL expression when it is not a plain name.
    -#}
    {%- set name_sql = metric_name if metric_name.startswith("'") or '.' in metric_name or ' ' in metric_name
        else "'" ~ metric_name ~ "'" %}
    cast({{ name_sql }} as string) as metric_name,
    cast(period_grain as string) as period_grain,
    cast(period_start as date) as period_start,
    {%- for column in segment_columns() %}
        {%- if column in grouped %}
    cast({{ segment_or_all(column) }} as string) as {{ column }},
        {%- elif column in carried %}
    cast({{ column }} as string) as {{ column }},
        {%- else %}
    cast('all' as string) as {{ column }},
        {%- endif %}
    {%- endfor %}
    cast({{ numerator if numerator is not none else 'null' }} as double) as numerator,
    cast({{ denominator if denominator is not none else 'null' }} as double) as denominator,
    cast({{ sample_size }} as bigint) as sample_size,
    cast({{ sum_weight_squared if sum_weight_squared is not none else 'null' }} as double) as sum_weight_squared,
    cast({{ value if value is not none else 'null' }} as double) as value,
    cast({{ ci_lower if ci_lower is not none else 'null' }} as double) as ci_lower,
    cast({{ ci_upper if ci_upper is not none else 'null' }} as double) as ci_upper
{%- endmacro %}

{% macro metric_periods_of(facts, date_column) -%}
    {#- A unit's facts with every period (every grain) their day falls in (int_metric_periods). -#}
    select
        metric_periods.period_grain,
        metric_periods.period_start,
        {{ facts }}.*
    from {{ facts }}
    inner join {{ ref('int_metric_periods') }} as metric_periods
        on {{ facts }}.{{ date_column }} = metric_periods.metric_date
{%- endmacro %}

{% macro metric_segments(metric_name) -%}
    {#-
        A metric's segment columns, from its registry row (segment_columns), in published
        order. Empty while dbt parses (the registry is read when the unit compiles).
    -#}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {#- the built seed itself: inside a dbt unit test ref() names the test's fixture, which run_query cannot read -#}
    {%- set registry = adapter.get_relation(database=target.database, schema=target.schema, identifier='metric_registry') -%}
    {%- if registry is none and target.name == 'lint' -%}
        {#- sqlfluff's in-memory target has no seeds: lint the widest grouping -#}
        {{- return(segment_columns()) -}}
    {%- endif -%}
    {%- if registry is none -%}
        {{ exceptions.raise_compiler_error("metric_segments: seed metric_registry is not built yet (dbt seed first)") }}
    {%- endif -%}
    {%- set result = run_query(
        "select segment_columns from " ~ registry ~ " where metric_name = '" ~ metric_name ~ "'") -%}
    {%- if result.columns[0].values() | length != 1 -%}
        {{ exceptions.raise_compiler_error("metric_registry has no row for " ~ metric_name) }}
    {%- endif -%}
    {%- set listed = result.columns[0].values()[0].split('|') -%}
    {{- return(segment_columns() | select('in', listed) | list) -}}
{%- endmacro %}

{% macro metric_unit_from_facts(
    metric_name,
    fact_model,
    date_column,
    where='true',
    numerator=none,
    denominator=none,
    sample_size='count(*)',
    sum_weight_squared=none,
    value=none
) -%}
    {#-
        The whole query of a unit that aggregates one fact model's rows: the facts at the
        metric's cut-off, in every period of every grain, grouped by the registry's
        groupings of the metric (macro metric_grouping_sets). The aggregates (numerator,
        denominator, sample_size, value) are the metric's definition, given by its unit.
    -#}
    {%- set segments = metric_segments(metric_name) %}
    with

    facts as (

        {{ metric_facts_at_cutoff(fact_model, metric_name) }}

    ),

    facts_in_periods as (

        {{ metric_periods_of('facts', date_column) }}

    ),

    unit_rows as (

        select
            {{ metric_unit_columns(
                metric_name,
                grouped=segments,
                numerator=numerator,
                denominator=denominator,
                sample_size=sample_size,
                sum_weight_squared=sum_weight_squared,
                value=value,
            ) }}
        from facts_in_periods
        where {{ where }}
        group by period_grain, period_start, {{ metric_grouping_sets(segments) }}

    )

    select * from unit_rows
{%- endmacro %}
