{#-
    Every published daily cell: each metric cell (int_metric_cells) x every day of the
    spine (int_metric_days).
-#}

with

cells as (

    select * from {{ ref('int_metric_cells') }}

),

days as (

    select * from {{ ref('int_metric_days') }}

),

grid as (

    select
        days.metric_date,
        cells.*
    from cells
    cross join days

)

select * from grid
