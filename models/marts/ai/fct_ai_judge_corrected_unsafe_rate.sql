{#-
    Stretch (issue #12 item 6): a judge-corrected production unsafe rate by
    prediction-powered inference (Angelopoulos et al. 2023, mean estimation). Many
    outputs carry the primary judge's verdict f, a few also a human majority verdict y
    (ties dropped), taken as the gold label:
        rate = mean_N(f) + mean_n(y - f)
        var  = var_N(f) / N + var_n(y - f) / n        (divisor N - 1, n - 1)
    with a 95% normal interval, per feature x model_version and per feature
    (model_version = 'all'). Beside it: the judge-only rate and the human-only rate.
    Verdicts known at the build's knowledge instant.
-#}

with

production_outputs as (
    select * from {{ ref('int_ai_production_outputs') }}
),

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

human_majorities as (
    select
        output_id,
        count_if(is_unsafe) as unsafe_votes,
        count_if(not is_unsafe) as safe_votes
    from judgments
    where eval_set = 'production_sample' and judge_type = 'human'
    group by output_id
),

labeled_outputs as (
    select
        production_outputs.feature,
        production_outputs.model_version,
        cast(production_outputs.is_unsafe as integer) as judge_unsafe,
        case
            when human_majorities.unsafe_votes > human_majorities.safe_votes then 1
            when human_majorities.unsafe_votes < human_majorities.safe_votes then 0
        end as human_unsafe
    from production_outputs
    left join human_majorities
        on production_outputs.output_id = human_majorities.output_id
    where production_outputs.is_judged
),

moments as (
    select
        feature,
        case when grouping(model_version) = 1 then 'all' else model_version end as model_version,
        count(*) as judged_outputs,
        avg(judge_unsafe) as judge_rate,
        var_samp(judge_unsafe) as judge_variance,
        count(human_unsafe) as human_labeled_outputs,
        avg(human_unsafe) as human_rate,
        avg(human_unsafe - judge_unsafe) as rectifier,
        var_samp(human_unsafe - judge_unsafe) as rectifier_variance
    from labeled_outputs
    group by feature, grouping sets ((model_version), ())  -- noqa: PRS
),

estimates as (
    select
        *,
        judge_rate + rectifier as corrected_rate,
        sqrt(judge_variance / judged_outputs + rectifier_variance / human_labeled_outputs) as standard_error
    from moments
),

final as (
    select
        feature,
        model_version,
        judged_outputs,
        human_labeled_outputs,
        judge_rate,
        human_rate,
        {{ wilson_interval_lower('human_rate', 'human_labeled_outputs') }} as human_rate_ci_lower,
        {{ wilson_interval_upper('human_rate', 'human_labeled_outputs') }} as human_rate_ci_upper,
        rectifier,
        corrected_rate,
        corrected_rate - {{ wilson_z() }} * standard_error as ci_lower,
        corrected_rate + {{ wilson_z() }} * standard_error as ci_upper
    from estimates
)

select * from final
