-- User-level totals of randomized experiments: for each intervention with an
-- experiment_id and each metric it touches, one row per assigned user and period with
-- the user's numerator and denominator sums. Exposure starts at the user's assigned_at:
-- the post period counts the user's outputs from assigned_at to the end of the post
-- window (launch day L + intervention_post_days, clipped at the day before ended_at
-- and the as-of date); the pre period (the CUPED covariate) counts the same user's
-- outputs in [L - intervention_pre_days, L - 1]. Every assigned user has both rows
-- (zeros without outputs), so the sample-ratio check counts assignments.
--
-- Reads int_ai_production_outputs (branch ai): a production output counts for its
-- interaction day D when the interaction and its primary judge's latest verdict were
-- ingested before D's finalization instant (an output whose latest verdict arrived
-- later is left out, docs/interventions.md caveats).
{%- set pre_days = var('intervention_pre_days') | int %}
{%- set post_days = var('intervention_post_days') | int %}

with

metric_map as (
    select * from {{ ref('int_intervention_metric_map') }}
),

assignments as (
    select * from {{ ref('stg_platform__experiment_assignments') }}
),

production_outputs as (
    select * from {{ ref('int_ai_production_outputs') }}
),

-- the cut-off of ai_unsafe_output_rate (the only metric read here): day D counts the
-- judged outputs whose interaction and latest verdict were ingested before D's finalization instant
outputs_at_cutoff as (
    select *
    from ({{ metric_cutoff_copy('production_outputs', 'interaction_date', 'ai_unsafe_output_rate') }}) as copies
    where
        is_judged
        and {{ known_at_cutoff('cutoff_at', 'ingested_at') }}
        and {{ known_at_cutoff('cutoff_at', 'judgment_ingested_at') }}
),

experiments as (
    select
        *,
        launch_date - {{ pre_days }} as pre_start,
        launch_date - 1 as pre_end,
        least(
            launch_date + {{ post_days }},
            coalesce(cast(ended_at as date) - 1, date '9999-12-31'),
            {{ as_of_date_literal() }}
        ) as post_end
    from metric_map
    where experiment_id is not null and metric_name = 'ai_unsafe_output_rate'
),

assigned_users as (
    select
        experiments.intervention_id,
        experiments.metric_name,
        experiments.maturity_days,
        experiments.surface,
        experiments.pre_start,
        experiments.pre_end,
        experiments.post_end,
        assignments.user_id,
        assignments.variant,
        assignments.assigned_at
    from experiments
    inner join assignments
        on experiments.experiment_id = assignments.experiment_id
),

user_outputs as (
    select
        assigned_users.intervention_id,
        assigned_users.metric_name,
        assigned_users.user_id,
        case
            when
                production_outputs.occurred_at >= assigned_users.assigned_at
                and production_outputs.interaction_date <= assigned_users.post_end
                then 'post'
            when
                production_outputs.interaction_date between assigned_users.pre_start and assigned_users.pre_end
                and production_outputs.occurred_at < assigned_users.assigned_at
                then 'pre'
        end as period,
        production_outputs.is_unsafe,
        {{ is_final('production_outputs.interaction_date', 'assigned_users.maturity_days') }} as is_final_day
    from assigned_users
    inner join outputs_at_cutoff as production_outputs
        on
            assigned_users.user_id = production_outputs.user_id
            and assigned_users.surface = production_outputs.feature
),

periods as (
    select {{ explode_list(text_list(['pre', 'post'])) }} as period
),

user_totals as (
    select
        assigned_users.intervention_id,
        assigned_users.metric_name,
        assigned_users.variant,
        assigned_users.variant || ':' || periods.period as cell_id,
        periods.period,
        assigned_users.user_id,
        assigned_users.assigned_at,
        cast(count_if(user_outputs.is_unsafe) as double) as numerator,
        cast(count(user_outputs.user_id) as double) as denominator,
        coalesce(bool_and(user_outputs.is_final_day), true) as is_final
    from assigned_users
    cross join periods
    left join user_outputs
        on
            assigned_users.intervention_id = user_outputs.intervention_id
            and assigned_users.metric_name = user_outputs.metric_name
            and assigned_users.user_id = user_outputs.user_id
            and periods.period = user_outputs.period
    group by
        assigned_users.intervention_id,
        assigned_users.metric_name,
        assigned_users.variant,
        periods.period,
        assigned_users.user_id,
        assigned_users.assigned_at
)

select * from user_totals
