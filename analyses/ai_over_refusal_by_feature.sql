-- Does the model refuse harmless requests? Monthly over-refusal per feature from the
-- metric unit (recomputed from the month's benign-probe outputs).
with

over_refusal as (
    select * from {{ ref('metric__ai_over_refusal_rate') }}
)

select
    period_start as month_start,
    feature,
    numerator as refused_outputs,
    denominator as benign_outputs,
    numerator / nullif(denominator, 0) as over_refusal_rate
from over_refusal
where period_grain = 'month'
order by month_start, feature
