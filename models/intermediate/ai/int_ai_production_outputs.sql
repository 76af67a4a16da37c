{#-
    One row per production AI interaction known at the build's knowledge instant, with
    the primary judge's latest production_sample verdict on its output (latest
    judged_at, ties: the larger judgment_id) among judgments known at that instant.
    A reader applying a metric's finalization instant must keep only interactions and
    judgments ingested before it: judgment_ingested_at is the winning judgment's, and
    first_judgment_ingested_at tells whether any verdict was known earlier
    (metric__ai_unsafe_output_rate applies the cut-off to every judgment itself).
-#}

with

interactions as (
    select * from {{ ref('stg_platform__ai_interactions') }}
),

judgments as (
    select * from {{ ref('int_ai_judgments') }}
),

known_interactions as (
    select *
    from interactions
    where ingested_at < {{ knowledge_instant() }}
),

primary_production_judgments as (
    select
        output_id,
        judgment_id,
        is_unsafe,
        judged_at,
        ingested_at,
        count(*) over (partition by output_id) as primary_judgments,
        min(ingested_at) over (partition by output_id) as first_judgment_ingested_at,
        row_number() over (
            partition by output_id
            order by judged_at desc, judgment_id desc
        ) as recency_rank
    from judgments
    where
        eval_set = 'production_sample'
        and is_primary_judge
),

latest_primary_judgments as (
    select *
    from primary_production_judgments
    where recency_rank = 1
),

production_outputs as (
    select
        known_interactions.interaction_id,
        known_interactions.output_id,
        known_interactions.user_id,
        known_interactions.feature,
        known_interactions.model_version,
        known_interactions.occurred_at,
        cast(known_interactions.occurred_at as date) as interaction_date,
        known_interactions.ingested_at,
        latest_primary_judgments.judgment_id is not null as is_judged,
        latest_primary_judgments.is_unsafe,
        latest_primary_judgments.judgment_id,
        latest_primary_judgments.judged_at,
        latest_primary_judgments.ingested_at as judgment_ingested_at,
        latest_primary_judgments.first_judgment_ingested_at,
        coalesce(latest_primary_judgments.primary_judgments, 0) as primary_judgments
    from known_interactions
    left join latest_primary_judgments
        on known_interactions.output_id = latest_primary_judgments.output_id
)

select * from production_outputs
