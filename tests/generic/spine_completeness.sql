{#-
    spine_completeness: every cell of the expected spine (date x segment values) is in
    the model exactly once, and (unless allow_extra) the model has no cell outside it.
    This is the zero-fill promise: a missing cell, a duplicated cell or a stray cell
    each fail.

    Arguments:
        date_column: the day column (e.g. metric_date).
        segment_columns: the other columns identifying a cell (e.g. metric_name and the
            segment columns). May be empty (a plain date spine).
        spine: a relation listing the expected cells, with date_column and every
            segment column under the same names (extra columns are ignored),
            e.g. ref('int_metric_grid'). Or, instead of `spine`:
        segment_values: {column: [values]} for every segment column; the spine is then
            every day from start_date to end_date crossed with every combination.
        start_date, end_date: the spine's days when built from segment_values
            (ISO strings or SQL date expressions); default: the model's first and last day.
        allow_extra: false (default) also fails on model cells missing from the spine.
    Fails with one row per bad cell and a `problem` column: missing, duplicated or extra.

    Example (metrics_daily against its grid):
        data_tests:
          - spine_completeness:
              arguments:
                date_column: metric_date
                segment_columns: [metric_name, age_band, region, plan, surface, policy_category, feature]
                spine: ref('int_metric_grid')
-#}
{% test spine_completeness(
    model,
    date_column,
    segment_columns=[],
    spine=none,
    segment_values=none,
    start_date=none,
    end_date=none,
    allow_extra=false
) %}
    {%- if segment_columns is string -%}
        {%- set segment_columns = [segment_columns] -%}
    {%- endif -%}
    {%- if spine is none and segment_values is none and segment_columns | length > 0 -%}
        {{ exceptions.raise_compiler_error("spine_completeness needs `spine` or `segment_values`") }}
    {%- endif -%}
    {%- set cell_columns = [date_column] + segment_columns -%}

    {%- set day_bounds = {} -%}
    {%- for bound, value, aggregate in [('start', start_date, 'min'), ('end', end_date, 'max')] -%}
        {%- if value is none -%}
            {%- do day_bounds.update({bound: '(select ' ~ aggregate ~ '(' ~ date_column ~ ') from ' ~ model ~ ')'}) -%}
        {%- elif modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
            {%- do day_bounds.update({bound: "date '" ~ value ~ "'"}) -%}
        {%- else -%}
            {%- do day_bounds.update({bound: 'cast(' ~ value ~ ' as date)'}) -%}
        {%- endif -%}
    {%- endfor %}

with model_cells as (
    select
        {%- for column in cell_columns %}
        {{ column }},
        {%- endfor %}
        count(*) as model_rows
    from {{ model }}
    group by all
),

{% if spine is not none -%}
spine_cells as (
    select distinct
        {%- for column in cell_columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ spine }}
),
{%- else -%}
spine_days as (
    select cast(unnest(generate_series(
        {{ day_bounds['start'] }},
        {{ day_bounds['end'] }},
        interval 1 day
    )) as date) as {{ date_column }}
),

{% for column in segment_columns -%}
spine_values_{{ loop.index }} as (
    select unnest([
        {%- for value in segment_values[column] -%}
        '{{ value }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    ]) as {{ column }}
),

{% endfor -%}
spine_cells as (
    select *
    from spine_days
    {%- for column in segment_columns %}
    cross join spine_values_{{ loop.index }}
    {%- endfor %}
),
{%- endif %}

compared as (
    select
        {%- for column in cell_columns %}
        coalesce(spine_cells.{{ column }}, model_cells.{{ column }}) as {{ column }},
        {%- endfor %}
        spine_cells.{{ date_column }} is not null as in_spine,
        coalesce(model_cells.model_rows, 0) as model_rows
    from spine_cells
    full outer join model_cells
        on
            {%- for column in cell_columns %}
            {{ "and " if not loop.first }}spine_cells.{{ column }} is not distinct from model_cells.{{ column }}
            {%- endfor %}
),

bad_cells as (
    select
        *,
        case
            when not in_spine then 'extra'
            when model_rows = 0 then 'missing'
            else 'duplicated'
        end as problem
    from compared
    where
        (in_spine and model_rows != 1)
        {%- if not allow_extra %}
        or not in_spine
        {%- endif %}
)

select * from bad_cells
{% endtest %}
