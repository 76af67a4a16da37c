{{ config(materialized='table') }}

{#-
    ai_judge_human_kappa: Cohen's kappa between the primary judge's latest verdict and
    the human majority verdict (ties dropped) on production_sample outputs both judged.
    A pair is dated the Monday of the ISO week of the output's first human judgment;
    it uses only judgments ingested before that Monday's finalization instant. Every
    grain pools its pairs' 2x2 table and recomputes kappa and its interval.
-#}

with

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

periods as (
    select * from {{ ref('int_metric_periods') }}
),

maturity as (
    select cast(maturity_days as integer) as maturity_days
    from metric_registry
    where metric_name = 'ai_judge_human_kappa'
),

production_judgments as (
    select *
    from judgments
    where eval_set = 'production_sample'
),

pair_dates as (
    select
        output_id,
        cast(date_trunc('week', min(judged_at)) as date) as metric_date
    from production_judgments
    where judge_type = 'human'
    group by output_id
),

human_majorities as (
    select
        pair_dates.output_id,
        pair_dates.metric_date,
        count_if(production_judgments.is_unsafe) as unsafe_votes,
        count_if(not production_judgments.is_unsafe) as safe_votes
    from pair_dates
    cross join maturity
    inner join production_judgments
        on pair_dates.output_id = production_judgments.output_id
    where
        production_judgments.judge_type = 'human'
        and production_judgments.ingested_at
        < {{ finalization_instant('pair_dates.metric_date', 'maturity.maturity_days') }}
    group by pair_dates.output_id, pair_dates.metric_date
),

primary_verdicts_at_cutoff as (
    select
        production_judgments.output_id,
        production_judgments.feature,
        production_judgments.is_unsafe,
        row_number() over (
            partition by production_judgments.output_id
            order by production_judgments.judged_at desc, production_judgments.judgment_id desc
        ) as recency_rank
    from production_judgments
    cross join maturity
    inner join pair_dates
        on production_judgments.output_id = pair_dates.output_id
    where
        production_judgments.is_primary_judge
        and production_judgments.ingested_at
        < {{ finalization_instant('pair_dates.metric_date', 'maturity.maturity_days') }}
),

pairs as (
    select
        human_majorities.metric_date,
        primary_verdicts_at_cutoff.feature,
        primary_verdicts_at_cutoff.is_unsafe as is_judge_unsafe,
        human_majorities.unsafe_votes > human_majorities.safe_votes as is_human_unsafe
    from human_majorities
    inner join primary_verdicts_at_cutoff
        on
            human_majorities.output_id = primary_verdicts_at_cutoff.output_id
            and primary_verdicts_at_cutoff.recency_rank = 1
    where human_majorities.unsafe_votes <> human_majorities.safe_votes
),

day_tables as (
    select
        metric_date,
        {{ segment_or_all('feature') }} as feature,
        count_if(is_judge_unsafe and is_human_unsafe) as both_unsafe,
        count_if(is_judge_unsafe and not is_human_unsafe) as judge_only_unsafe,
        count_if(not is_judge_unsafe and is_human_unsafe) as human_only_unsafe,
        count_if(not is_judge_unsafe and not is_human_unsafe) as both_safe
    from pairs
    group by metric_date, {{ metric_grouping_sets(['feature']) }}  -- noqa: PRS
),

period_tables as (
    select
        periods.period_grain,
        periods.period_start,
        day_tables.feature,
        sum(day_tables.both_unsafe) as both_unsafe,
        sum(day_tables.judge_only_unsafe) as judge_only_unsafe,
        sum(day_tables.human_only_unsafe) as human_only_unsafe,
        sum(day_tables.both_safe) as both_safe,
        sum(
            day_tables.both_unsafe + day_tables.judge_only_unsafe + day_tables.human_only_unsafe + day_tables.both_safe
        ) as pairs
    from day_tables
    inner join periods
        on day_tables.metric_date = periods.metric_date
    group by periods.period_grain, periods.period_start, day_tables.feature
),

agreement as (
    select
        *,
        cast(both_unsafe + both_safe as double) / pairs as p_observed,
        {{ kappa_expected_agreement('both_unsafe', 'judge_only_unsafe', 'human_only_unsafe', 'both_safe') }}
            as p_expected
    from period_tables
),

kappas as (
    select
        *,
        {{ cohens_kappa('p_observed', 'p_expected') }} as kappa,
        {{ kappa_standard_error('p_observed', 'p_expected', 'pairs') }} as kappa_standard_error
    from agreement
),

unit_rows as (
    select
        cast('ai_judge_human_kappa' as varchar) as metric_name,
        cast(period_grain as varchar) as period_grain,
        cast(period_start as date) as period_start,
        cast('all' as varchar) as age_band,
        cast('all' as varchar) as region,
        cast('all' as varchar) as plan,
        cast('all' as varchar) as surface,
        cast('all' as varchar) as policy_category,
        cast(feature as varchar) as feature,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(pairs as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        cast(kappa as double) as value,
        -- the catalog's interval, truncated to kappa's range [-1, 1]
        cast({{ kappa_interval_lower('kappa', 'kappa_standard_error') }} as double) as ci_lower,
        cast({{ kappa_interval_upper('kappa', 'kappa_standard_error') }} as double) as ci_upper
    from kappas
)

select * from unit_rows
