-- Is the new model version safer? Each feature's versions against the previous one, on
-- production unsafe rate, red-team attack success and over-refusal, with the 95%
-- interval of the difference and the verdict (docs/ai_evaluation.md).
with

comparisons as (
    select * from {{ ref('ai_model_version_comparison') }}
)

select
    feature,
    metric_name,
    model_version_a,
    model_version_b,
    pairing,
    rate_a,
    rate_b,
    difference,
    ci_lower,
    ci_upper,
    relative_change,
    verdict
from comparisons
where comparison_type = 'previous_version'
order by feature, metric_name, model_version_b
