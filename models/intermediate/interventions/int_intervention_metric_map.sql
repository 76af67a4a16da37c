-- Which metrics each intervention touches (docs/interventions.md, "Mapping"): a rule per
-- metric with unit facts (int_intervention_unit_days) names the surfaces whose changes
-- it measures; the override seed adds or removes metrics per intervention. Volumes
-- (direction none) never get a verdict, so no rule maps them.
with

interventions as (
    select * from {{ ref('stg_platform__interventions') }}
),

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

overrides as (
    select * from {{ ref('intervention_metric_overrides') }}
),

metric_surface_rules as (
    select
        rules.metric_name,
        {{ explode_list('rules.surfaces') }} as surface
    from (
        values
        ('stranger_adult_to_minor_contacts_per_1k', {{ text_list(['messaging']) }}),
        ('unwanted_contact_rate', {{ text_list(['messaging']) }}),
        (
            'violating_view_rate',
            {{ text_list(['home', 'search', 'recommendations', 'social_feed', 'comments', 'podcast_page', 'other']) }}
        ),
        ('ai_unsafe_output_rate', {{ text_list(['ai_dj', 'ai_playlist']) }})
    ) as rules (metric_name, surfaces)
),

rule_metrics as (
    select
        interventions.intervention_id,
        metric_surface_rules.metric_name,
        'rule' as mapping_source,
        'surface ' || interventions.surface || ' is measured by this metric' as mapping_reason
    from interventions
    inner join metric_surface_rules
        on interventions.surface = metric_surface_rules.surface
),

included_metrics as (
    select * from rule_metrics
    where
        not exists (
            select 1 from overrides
            where
                overrides.action = 'exclude'
                and overrides.intervention_id = rule_metrics.intervention_id
                and overrides.metric_name = rule_metrics.metric_name
        )
    union all
    select
        overrides.intervention_id,
        overrides.metric_name,
        'override' as mapping_source,
        overrides.reason as mapping_reason
    from overrides
    where
        overrides.action = 'include'
        and not exists (
            select 1 from rule_metrics
            where
                rule_metrics.intervention_id = overrides.intervention_id
                and rule_metrics.metric_name = overrides.metric_name
        )
),

mapped as (
    select
        interventions.intervention_id,
        interventions.name as intervention_name,
        interventions.description as intervention_description,
        included_metrics.metric_name,
        cast(metric_registry.metric_version as integer) as metric_version,
        metric_registry.unit,
        metric_registry.direction,
        cast(metric_registry.maturity_days as integer) as maturity_days,
        case metric_registry.unit
            when 'per_1k' then 1000.0
            when 'per_10k' then 10000.0
            else 1.0
        end as value_scale,
        interventions.surface,
        interventions.policy_category,
        case
            when interventions.target_age_bands = 'all' then {{ empty_text_list() }}
            else {{ split_text('interventions.target_age_bands', '|') }}
        end as target_age_bands,
        case
            when interventions.target_countries = 'all' then {{ empty_text_list() }}
            else {{ split_text('upper(interventions.target_countries)', '|') }}
        end as target_countries,
        interventions.launched_at,
        cast(interventions.launched_at as date) as launch_date,
        interventions.ended_at,
        interventions.experiment_id,
        included_metrics.mapping_source,
        included_metrics.mapping_reason
    from interventions
    inner join included_metrics
        on interventions.intervention_id = included_metrics.intervention_id
    inner join metric_registry
        on included_metrics.metric_name = metric_registry.metric_name
    where metric_registry.direction <> 'none'
),

described as (
    select
        *,
        case
            when {{ list_length('target_age_bands') }} = 0 and {{ list_length('target_countries') }} = 0
                then 'all users'
            else concat_ws(
                '; ',
                case
                    when {{ list_length('target_age_bands') }} > 0
                        then 'age_band in ' || {{ list_join('target_age_bands', ', ') }}
                end,
                case
                    when {{ list_length('target_countries') }} > 0
                        then 'country in ' || {{ list_join('target_countries', ', ') }}
                end
            )
        end as targeted_segment,
        case
            when {{ list_length('target_age_bands') }} = 0 and {{ list_length('target_countries') }} = 0 then null
            else concat_ws(
                '; ',
                case when {{ list_length('target_age_bands') }} > 0 then 'known age bands not targeted' end,
                case when {{ list_length('target_countries') }} > 0 then 'known countries not targeted' end
            )
        end as comparison_segment
    from mapped
)

select * from described
