-- A family row the grid has no cell for would silently vanish from the published
-- table (unknown metric, a segment value not in the seeds, a day outside the spine,
-- a grouping that is not published, a minor-only metric with an adult band).
with

metric_values as (

    select * from {{ ref('int_metric_values') }}

),

grid as (

    select * from {{ ref('int_metric_grid') }}

),

rows_outside_grid as (

    select metric_values.*
    from metric_values
    left join grid
        on
            metric_values.metric_name = grid.metric_name
            and metric_values.metric_date = grid.metric_date
            and metric_values.age_band = grid.age_band
            and metric_values.region = grid.region
            and metric_values.plan = grid.plan
            and metric_values.surface = grid.surface
            and metric_values.policy_category = grid.policy_category
            and metric_values.feature = grid.feature
    where grid.metric_name is null

)

select * from rows_outside_grid
