{{ config(materialized='table') }}

{#-
    ai_unsafe_output_rate: production outputs whose primary-judge verdict is unsafe /
    judged production outputs, by interaction day and the user's point-in-time segment
    and feature. A day D counts interactions and judgments ingested before its
    finalization instant; per output the primary judge's latest judgment among those.
-#}

with

interactions as (
    select * from {{ ref('stg_platform__ai_interactions') }}
),

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

user_day_segments as (
    select * from {{ ref('int_user_day_segments') }}
),

periods as (
    select * from {{ ref('int_metric_periods') }}
),

dated_interactions as (
    select
        output_id,
        user_id,
        feature,
        ingested_at,
        cast(occurred_at as date) as metric_date
    from interactions
    where ingested_at < {{ knowledge_instant() }}
),

-- the cut-off: day D counts the interactions and judgments ingested before D's finalization instant
known_interactions as (
    select
        output_id,
        user_id,
        feature,
        metric_date,
        cutoff_at
    from ({{ metric_cutoff_copy('dated_interactions', 'metric_date', 'ai_unsafe_output_rate') }}) as copies
    where {{ known_at_cutoff('cutoff_at', 'ingested_at') }}
),

primary_judgments_at_cutoff as (
    select
        judgments.output_id,
        judgments.is_unsafe,
        row_number() over (
            partition by judgments.output_id
            order by judgments.judged_at desc, judgments.judgment_id desc
        ) as recency_rank
    from judgments
    inner join known_interactions
        on judgments.output_id = known_interactions.output_id
    where
        judgments.eval_set = 'production_sample'
        and judgments.is_primary_judge
        and {{ known_at_cutoff('known_interactions.cutoff_at', 'judgments.ingested_at') }}
),

judged_outputs as (
    select
        known_interactions.metric_date,
        known_interactions.feature,
        coalesce(user_day_segments.age_band, 'unknown') as age_band,
        coalesce(user_day_segments.region, 'unknown') as region,
        coalesce(user_day_segments.plan, 'unknown') as plan,
        primary_judgments_at_cutoff.is_unsafe
    from known_interactions
    inner join primary_judgments_at_cutoff
        on
            known_interactions.output_id = primary_judgments_at_cutoff.output_id
            and primary_judgments_at_cutoff.recency_rank = 1
    left join user_day_segments
        on
            known_interactions.user_id = user_day_segments.user_id
            and known_interactions.metric_date = user_day_segments.segment_date
),

day_parts as (
    select
        metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        {{ segment_or_all('feature') }} as feature,
        count_if(is_unsafe) as numerator,
        count(*) as denominator
    from judged_outputs
    group by metric_date, {{ metric_grouping_sets(['age_band', 'region', 'plan', 'feature']) }}  -- noqa: PRS
),

period_parts as (
    select
        periods.period_grain,
        periods.period_start,
        day_parts.age_band,
        day_parts.region,
        day_parts.plan,
        day_parts.feature,
        sum(day_parts.numerator) as numerator,
        sum(day_parts.denominator) as denominator
    from day_parts
    inner join periods
        on day_parts.metric_date = periods.metric_date
    group by all
),

unit_rows as (
    select
        {{ metric_unit_columns(
            'ai_unsafe_output_rate', carried=['age_band', 'region', 'plan', 'feature'],
            numerator='numerator', denominator='denominator', sample_size='denominator',
        ) }}
    from period_parts
)

select * from unit_rows
