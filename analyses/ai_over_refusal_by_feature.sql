-- Does the model refuse harmless requests? Monthly over-refusal per feature, as
-- published in metrics_periodic (recomputed from the month's benign-probe outputs).
with

metrics_periodic as (
    select * from {{ ref('metrics_periodic') }}
)

select
    period_start as month_start,
    feature,
    numerator as refused_outputs,
    denominator as benign_outputs,
    value as over_refusal_rate,
    ci_lower,
    ci_upper,
    is_final
from metrics_periodic
where
    metric_name = 'ai_over_refusal_rate'
    and period_grain = 'month'
    and feature <> 'all'
    and age_band = 'all'
    and region = 'all'
    and plan = 'all'
order by month_start, feature
