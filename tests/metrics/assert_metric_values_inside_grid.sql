-- A unit row the grids have no cell for would silently vanish from the published
-- tables (unknown metric, a segment value not in the seeds, a day or period outside the
-- calendar, a grouping that is not published, a minor-only metric with an adult band).
-- The grids are int_metric_cells x the calendar (int_metric_grid by day,
-- int_metric_period_grid by period), so a row is inside them exactly when its cell is in
-- int_metric_cells and its (grain, period start) is in int_metric_periods: two small
-- anti-joins instead of one against the whole cross product.
with

metric_values as (

    select * from {{ ref('int_metric_values') }}

),

cells as (

    select * from {{ ref('int_metric_cells') }}

),

day_periods as (

    select * from {{ ref('int_metric_periods') }}

),

calendar as (

    select distinct
        period_grain,
        period_start
    from day_periods

),

rows_outside_grid as (

    select metric_values.*
    from metric_values
    where
        not exists (
            select 1
            from cells
            where
                cells.metric_name = metric_values.metric_name
                {%- for column in segment_columns() %}
                    and cells.{{ column }} = metric_values.{{ column }}
                {%- endfor %}
        )
        or not exists (
            select 1
            from calendar
            where
                calendar.period_grain = metric_values.period_grain
                and calendar.period_start = metric_values.period_start
        )

)

select * from rows_outside_grid
