-- The day-grain time spine MetricFlow joins to (time_spine config in _semantic__models.yml).
-- A fixed calendar wide enough for any as-of date; dbt.date_spine is cross-engine.
{{ config(materialized='table') }}

with

days as (
    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2041-01-01' as date)") }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
