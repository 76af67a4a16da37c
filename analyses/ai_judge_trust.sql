-- Can we trust the LLM judge this week? The primary judge's latest weekly kappa against
-- humans and calibration accuracy and drift per run, beside the other LLM judges.
with

judge_quality as (
    select * from {{ ref('fct_ai_judge_quality') }}
)

select
    judge_id,
    is_primary_judge,
    quality_kind,
    period_start,
    sample_size,
    observed_agreement,
    kappa,
    kappa_ci_lower,
    kappa_ci_upper,
    accuracy,
    accuracy_ci_lower,
    accuracy_ci_upper,
    drift,
    drift_ci_lower,
    drift_ci_upper,
    is_kappa_below_floor,
    is_drift_below_bound
from judge_quality
order by quality_kind asc, period_start desc, judge_id asc
