{{ config(materialized='table') }}

{#-
    ai_judge_human_kappa: Cohen's kappa between the primary judge's latest verdict and
    the human majority verdict (ties dropped) on production_sample outputs both judged.
    A pair is dated the Monday of the ISO week of the output's first human judgment;
    it uses only judgments ingested before that Monday's finalization instant. Every
    grain pools its pairs' 2x2 table and recomputes kappa and its interval.
-#}

with

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

periods as (
    select * from {{ ref('int_metric_periods') }}
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

-- the cut-off: a pair uses the judgments ingested before its date's finalization instant
pair_cutoffs as (
    {{ metric_cutoff_copy('pair_dates', 'metric_date', 'ai_judge_human_kappa') }}
),

human_majorities as (
    select
        pair_cutoffs.output_id,
        pair_cutoffs.metric_date,
        count_if(production_judgments.is_unsafe) as unsafe_votes,
        count_if(not production_judgments.is_unsafe) as safe_votes
    from pair_cutoffs
    inner join production_judgments
        on pair_cutoffs.output_id = production_judgments.output_id
    where
        production_judgments.judge_type = 'human'
        and {{ known_at_cutoff('pair_cutoffs.cutoff_at', 'production_judgments.ingested_at') }}
    group by pair_cutoffs.output_id, pair_cutoffs.metric_date
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
    inner join pair_cutoffs
        on production_judgments.output_id = pair_cutoffs.output_id
    where
        production_judgments.is_primary_judge
        and {{ known_at_cutoff('pair_cutoffs.cutoff_at', 'production_judgments.ingested_at') }}
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
        {{ kappa_table_counts() }}
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

kappas as (
    {{ kappa_of_tables('period_tables') }}
),

unit_rows as (
    -- value: kappa; the catalog's interval, truncated to kappa's range [-1, 1]
    select
        {{ metric_unit_columns(
            'ai_judge_human_kappa', carried=['feature'],
            sample_size='pairs', value='kappa', ci_lower='kappa_ci_lower', ci_upper='kappa_ci_upper',
        ) }}
    from kappas
)

select * from unit_rows
