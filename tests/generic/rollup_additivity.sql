{#-
    rollup_additivity: for an additive measure, the `all` row of a partition equals the
    sum of the rows broken down by one segment column (every other segment column `all`),
    for each listed column. Rollups are recomputed from events, so this is an independent
    check that the recomputation and the breakdown agree (metrics.md, "Rollups are
    recomputed, never averaged").

    Arguments:
        measure: the additive column or expression (e.g. numerator, value).
        columns: the segment columns whose breakdown must add up to the `all` row.
        segment_columns: every segment column of the model (default: `columns`); the
            `all` row has all of them `all`, a breakdown row only the tested one not `all`.
        partition_by: columns a rollup is computed within (e.g. [metric_name, metric_date]).
        all_value: the value meaning "not broken down" (default 'all').
        tolerance: relative slack for floating-point sums (default 1e-9).
        require_breakdown: false (default) skips a partition with no breakdown rows for a
            column (a metric not broken down by it); true fails it.
    Only additive measures qualify: counts of events, and distinct users only across
    columns that give each user-day one value (not `surface`). Restrict the metrics with
    dbt's `config: where:`; test unsuppressed rows (suppressed cells are null).
    Fails with one row per (partition, column) whose sum differs, including breakdown
    rows with no `all` row (and, with require_breakdown, an `all` row with no breakdown).

    Example:
        data_tests:
          - rollup_additivity:
              arguments:
                measure: numerator
                columns: [age_band, region, plan]
                segment_columns: [age_band, region, plan, surface, policy_category, feature]
                partition_by: [metric_name, metric_date]
              config:
                where: "unit = 'count'"
-#}
{% test rollup_additivity(
    model,
    measure,
    columns,
    partition_by,
    segment_columns=none,
    all_value='all',
    tolerance=1e-9,
    require_breakdown=false
) %}
    {%- if columns is string -%}
        {%- set columns = [columns] -%}
    {%- endif -%}
    {%- if partition_by is string -%}
        {%- set partition_by = [partition_by] -%}
    {%- endif -%}
    {%- set all_segment_columns = columns if segment_columns is none else segment_columns -%}
    {%- for column in columns if column not in all_segment_columns -%}
        {{ exceptions.raise_compiler_error("rollup_additivity: " ~ column ~ " is not in segment_columns") }}
    {%- endfor %}

with totals as (
    select
        {%- for column in partition_by %}
        {{ column }},
        {%- endfor %}
        sum({{ measure }}) as total_measure,
        count(*) as total_rows
    from {{ model }}
    where
        {%- for column in all_segment_columns %}
        {{ "and " if not loop.first }}{{ column }} = '{{ all_value }}'
        {%- endfor %}
    group by all
),

{% for column in columns -%}
    {%- set i = loop.index %}
breakdown_{{ i }} as (
    select
        {%- for partition_column in partition_by %}
        {{ partition_column }},
        {%- endfor %}
        sum({{ measure }}) as summed_breakdown,
        count(*) as breakdown_rows
    from {{ model }}
    where
        {{ column }} != '{{ all_value }}'
        {%- for other in all_segment_columns if other != column %}
        and {{ other }} = '{{ all_value }}'
        {%- endfor %}
    group by all
),

compared_{{ i }} as (
    select
        {%- for partition_column in partition_by %}
        coalesce(totals.{{ partition_column }}, breakdown_{{ i }}.{{ partition_column }}) as {{ partition_column }},
        {%- endfor %}
        '{{ column }}' as segment_column,
        totals.total_rows,
        totals.total_measure,
        breakdown_{{ i }}.breakdown_rows,
        breakdown_{{ i }}.summed_breakdown
    from totals
    full outer join breakdown_{{ i }}
        on
            {%- for partition_column in partition_by %}
            {{ "and " if not loop.first }}totals.{{ partition_column }}
            is not distinct from breakdown_{{ i }}.{{ partition_column }}
            {%- endfor %}
),

{% endfor -%}
compared as (
    {%- for column in columns %}
    select * from compared_{{ loop.index }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

not_additive as (
    select *
    from compared
    where
        {%- if not require_breakdown %}
        breakdown_rows is not null
        and (
        {%- endif %}
            total_rows is null
            or breakdown_rows is null
            or (total_measure is null) != (summed_breakdown is null)
            or abs(total_measure - summed_breakdown)
            > {{ tolerance }} * greatest(1.0, abs(total_measure))
        {%- if not require_breakdown %}
        )
        {%- endif %}
)

select * from not_additive
{% endtest %}
