{#- Actions are dated by their decided day, as enforcement_actions is. -#}
{%- set action_metric = 'enforcement_actions' -%}

-- Each enforcement action (decision other than no_action) as enforcement_actions on its
-- decided day D sees it (int_moderation_decisions_at_cutoff at that metric's maturity),
-- in DSA terms: statement category, decision type, basis (own initiative, notice,
-- order) and the EU member states its territorial scope lists.
with

decisions_at_cutoff as (

    -- the decisions as the action metric sees them (its copy of the facts)
    {{ metric_facts_at_cutoff('int_moderation_decisions_at_cutoff', action_metric) }}

),

policy_categories as (

    select * from {{ ref('ref_policy_categories') }}

),

moderation_actions as (

    select * from {{ ref('ref_moderation_actions') }}

),

detection_sources as (

    select * from {{ ref('ref_detection_sources') }}

),

decision_scopes as (

    select * from {{ ref('int_dsa_decision_scopes') }}

),

actions as (

    select *
    from decisions_at_cutoff
    where is_action

),

actions_in_dsa_terms as (

    select
        actions.decision_id,
        actions.maturity_days,
        actions.decided_date,
        actions.cutoff_at,
        actions.action,
        actions.policy_category,
        coalesce(policy_categories.dsa_category, 'CATEGORY_NOT_MAPPED') as dsa_category,
        coalesce(moderation_actions.dsa_decision, 'DECISION_NO_RESTRICTION') as dsa_decision,
        coalesce(cast(moderation_actions.is_restriction as boolean), false) as is_restriction,
        actions.detection_source,
        coalesce(detection_sources.dsa_basis, 'unknown') as dsa_basis,
        actions.detection_source = 'automated_classifier' as is_detected_automatically,
        actions.is_automated_decision,
        actions.territorial_scope,
        decision_scopes.is_global,
        decision_scopes.scope_member_states,
        decision_scopes.is_in_eu_view
    from actions
    inner join decision_scopes
        on actions.decision_id = decision_scopes.decision_id
    left join policy_categories
        on actions.policy_category = policy_categories.policy_category
    left join moderation_actions
        on actions.action = moderation_actions.action
    left join detection_sources
        on actions.detection_source = detection_sources.detection_source

)

select * from actions_in_dsa_terms
