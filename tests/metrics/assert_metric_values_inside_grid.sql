-- A unit row the grids have no cell for would silently vanish from the published
-- tables (unknown metric, a segment value not in the seeds, a day or period outside the
-- calendar, a grouping that is not published, a minor-only metric with an adult band).
with

metric_values as (

    select * from {{ ref('int_metric_values') }}

),

grid as (

    select * from {{ ref('int_metric_grid') }}

),

period_grid as (

    select * from {{ ref('int_metric_period_grid') }}

),

grid_cells as (

    select
        metric_name,
        'day' as period_grain,
        metric_date as period_start,
        {{ segment_columns() | join(', ') }}
    from grid

    union all

    select
        metric_name,
        period_grain,
        period_start,
        {{ segment_columns() | join(', ') }}
    from period_grid

),

rows_outside_grid as (

    select metric_values.*
    from metric_values
    left join grid_cells
        on
            metric_values.metric_name = grid_cells.metric_name
            and metric_values.period_grain = grid_cells.period_grain
            and metric_values.period_start = grid_cells.period_start
            {%- for column in segment_columns() %}
                and metric_values.{{ column }} = grid_cells.{{ column }}
            {%- endfor %}
    where grid_cells.metric_name is null

)

select * from rows_outside_grid
