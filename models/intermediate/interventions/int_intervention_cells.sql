-- Cell totals of the difference-in-differences (sums of int_intervention_user_cells):
-- per intervention x metric x analysis x cell (group x period or event week), the
-- numerator and denominator sums, the users behind them and whether every day used is
-- final.
with

user_cells as (
    select * from {{ ref('int_intervention_user_cells') }}
),

cell_totals as (
    select
        intervention_id,
        metric_name,
        analysis,
        cell_id,
        any_value(group_name) as group_name,
        any_value(cell) as cell,
        any_value(event_week) as event_week,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(*) as users,
        bool_and(is_final) as is_final
    from user_cells
    group by intervention_id, metric_name, analysis, cell_id
)

select * from cell_totals
