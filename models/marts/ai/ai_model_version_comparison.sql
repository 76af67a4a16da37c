{#-
    Model-version verdicts. Per feature and metric, each model version (b) against the
    one before it (a, by first date seen) and against the feature's baseline (var
    ai_baseline_model_versions, default the feature's first version), plus a placebo:
    the baseline split in two halves (production: by hash(output_id) parity; eval sets:
    odd vs even runs), which must show no detectable change.
    - Eval sets (red_team, benign_probe, calibration) are paired by test case: each
      common test case's outcome rate under b minus under a; difference = mean over
      cases, 95% normal interval of that mean (macro paired_difference_half_width).
    - Production outputs (ai_unsafe_output_rate) are independent samples: difference
      of the two proportions with Newcombe's hybrid score interval.
    Rates use the primary judge's latest verdicts known at the build's knowledge instant.
-#}

{%- set baselines = var('ai_baseline_model_versions', {}) %}

with

eval_outputs as (
    select * from {{ ref('int_ai_eval_outputs') }}
),

production_outputs as (
    select * from {{ ref('int_ai_production_outputs') }}
),

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

observations as (
    select
        metric_name,
        feature,
        model_version,
        test_case_id,
        output_id,
        eval_run_date as observed_date,
        dense_rank() over (
            partition by metric_name, feature, model_version order by eval_run_date, eval_run_id
        ) as run_rank,
        cast(has_outcome as integer) as outcome
    from eval_outputs
    where is_primary_judge

    union all

    select
        'ai_unsafe_output_rate' as metric_name,
        feature,
        model_version,
        cast(null as string) as test_case_id,
        output_id,
        interaction_date as observed_date,
        cast(null as bigint) as run_rank,
        cast(is_unsafe as integer) as outcome
    from production_outputs
    where is_judged
),

versions as (
    select
        metric_name,
        feature,
        model_version,
        min(observed_date) as first_seen_date,
        row_number() over (
            partition by metric_name, feature order by min(observed_date), model_version
        ) as version_rank
    from observations
    group by metric_name, feature, model_version
),

configured_baselines as (
    -- var ai_baseline_model_versions: {feature: model_version}; the empty row keeps the list valid
    select
        configured.feature,
        configured.model_version
    from (
        values ('', ''){% for feature, version in baselines.items() %}, ('{{ feature }}', '{{ version }}'){% endfor %}
    ) as configured (feature, model_version)
),

first_versions as (
    select
        metric_name,
        feature,
        model_version
    from versions
    where version_rank = 1
),

baseline_versions as (
    select
        first_versions.metric_name,
        first_versions.feature,
        coalesce(configured_baselines.model_version, first_versions.model_version) as model_version
    from first_versions
    left join configured_baselines
        on first_versions.feature = configured_baselines.feature
),

comparisons as (
    select
        later.metric_name,
        later.feature,
        'previous_version' as comparison_type,
        earlier.model_version as model_version_a,
        later.model_version as model_version_b
    from versions as later
    inner join versions as earlier
        on
            later.metric_name = earlier.metric_name
            and later.feature = earlier.feature
            and later.version_rank = earlier.version_rank + 1

    union all

    select
        versions.metric_name,
        versions.feature,
        'named_baseline' as comparison_type,
        baseline_versions.model_version as model_version_a,
        versions.model_version as model_version_b
    from versions
    inner join baseline_versions
        on
            versions.metric_name = baseline_versions.metric_name
            and versions.feature = baseline_versions.feature
            and versions.model_version <> baseline_versions.model_version

    union all

    select
        metric_name,
        feature,
        'placebo_split' as comparison_type,
        model_version as model_version_a,
        model_version as model_version_b
    from baseline_versions
),

sides as (
    -- each comparison's observations on side a and side b
    select
        comparisons.*,
        observations.test_case_id,
        observations.outcome,
        case
            when
                comparisons.comparison_type <> 'placebo_split'
                and observations.model_version = comparisons.model_version_b
                then 'b'
            when comparisons.comparison_type <> 'placebo_split' then 'a'
            when observations.run_rank is not null and observations.run_rank % 2 = 0 then 'b'
            when observations.run_rank is not null then 'a'
            when hash(observations.output_id) % 2 = 0 then 'b'
            else 'a'
        end as side
    from comparisons
    inner join observations
        on
            comparisons.metric_name = observations.metric_name
            and comparisons.feature = observations.feature
            and observations.model_version in (comparisons.model_version_a, comparisons.model_version_b)
),

side_rates as (
    select
        metric_name,
        feature,
        comparison_type,
        model_version_a,
        model_version_b,
        count_if(side = 'a') as outputs_a,
        count_if(side = 'b') as outputs_b,
        cast(sum(case when side = 'a' then outcome end) as double) / nullif(count_if(side = 'a'), 0) as rate_a,
        cast(sum(case when side = 'b' then outcome end) as double) / nullif(count_if(side = 'b'), 0) as rate_b
    from sides
    group by all
),

case_rates as (
    select
        metric_name,
        feature,
        comparison_type,
        model_version_a,
        model_version_b,
        test_case_id,
        avg(case when side = 'a' then outcome end) as case_rate_a,
        avg(case when side = 'b' then outcome end) as case_rate_b
    from sides
    where test_case_id is not null
    group by all
),

paired_differences as (
    select
        metric_name,
        feature,
        comparison_type,
        model_version_a,
        model_version_b,
        count(*) as test_cases,
        avg(case_rate_a) as case_mean_rate_a,
        avg(case_rate_b) as case_mean_rate_b,
        avg(case_rate_b - case_rate_a) as mean_difference,
        avg((case_rate_b - case_rate_a) * (case_rate_b - case_rate_a)) as mean_squared_difference
    from case_rates
    where case_rate_a is not null and case_rate_b is not null
    group by all
),

joined as (
    select
        side_rates.*,
        paired_differences.test_cases,
        paired_differences.case_mean_rate_a,
        paired_differences.case_mean_rate_b,
        paired_differences.mean_difference,
        paired_differences.mean_squared_difference,
        side_rates.metric_name = 'ai_unsafe_output_rate' as is_production
    from side_rates
    left join paired_differences
        on
            side_rates.metric_name = paired_differences.metric_name
            and side_rates.feature = paired_differences.feature
            and side_rates.comparison_type = paired_differences.comparison_type
            and side_rates.model_version_a = paired_differences.model_version_a
            and side_rates.model_version_b = paired_differences.model_version_b
),

estimates as (
    select
        *,
        case when is_production then 'unpaired_newcombe' else 'paired_by_test_case' end as pairing,
        case when is_production then rate_b - rate_a else mean_difference end as difference,
        case
            when is_production then {{ newcombe_difference_lower('rate_b', 'outputs_b', 'rate_a', 'outputs_a') }}
            else
                mean_difference
                - {{ paired_difference_half_width('mean_difference', 'mean_squared_difference', 'test_cases') }}
        end as ci_lower,
        case
            when is_production then {{ newcombe_difference_upper('rate_b', 'outputs_b', 'rate_a', 'outputs_a') }}
            else
                mean_difference
                + {{ paired_difference_half_width('mean_difference', 'mean_squared_difference', 'test_cases') }}
        end as ci_upper
    from joined
),

final as (
    select
        estimates.feature,
        estimates.metric_name,
        estimates.comparison_type,
        estimates.model_version_a,
        estimates.model_version_b,
        estimates.pairing,
        metric_registry.direction,
        estimates.outputs_a,
        estimates.outputs_b,
        estimates.test_cases,
        estimates.rate_a,
        {{ wilson_interval_lower('estimates.rate_a', 'estimates.outputs_a') }} as rate_a_ci_lower,
        {{ wilson_interval_upper('estimates.rate_a', 'estimates.outputs_a') }} as rate_a_ci_upper,
        estimates.rate_b,
        {{ wilson_interval_lower('estimates.rate_b', 'estimates.outputs_b') }} as rate_b_ci_lower,
        {{ wilson_interval_upper('estimates.rate_b', 'estimates.outputs_b') }} as rate_b_ci_upper,
        estimates.case_mean_rate_a,
        estimates.case_mean_rate_b,
        estimates.difference,
        estimates.ci_lower,
        estimates.ci_upper,
        case
            when estimates.pairing = 'paired_by_test_case' and estimates.case_mean_rate_a > 0
                then estimates.difference / estimates.case_mean_rate_a
            when estimates.pairing = 'unpaired_newcombe' and estimates.rate_a > 0
                then estimates.difference / estimates.rate_a
        end as relative_change,
        {{ comparison_verdict('estimates.ci_lower', 'estimates.ci_upper', 'metric_registry.direction') }} as verdict
    from estimates
    inner join metric_registry
        on estimates.metric_name = metric_registry.metric_name
)

select * from final
