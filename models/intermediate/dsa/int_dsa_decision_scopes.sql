-- Where each decision applies, in the EU view: `global` counts once in the EU total and in
-- no single member state; a list of countries counts in each listed EU member state and
-- once in the EU total; a list without any EU member state is outside the EU view.
with

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

countries as (

    select * from {{ ref('ref_countries') }}

),

member_states as (

    select country_code
    from countries
    where cast(is_eu_member as boolean)

),

scopes as (

    select
        decision_id,
        territorial_scope,
        lower(trim(territorial_scope)) = 'global' as is_global,
        {{ split_text("upper(replace(territorial_scope, ' ', ''))", '|') }} as scope_country_codes
    from decisions

),

scope_country_rows as (

    select
        decision_id,
        {{ explode_list('scope_country_codes') }} as country_code
    from scopes
    where not is_global

),

listed_member_states as (

    select
        scope_country_rows.decision_id,
        {{ sorted_distinct_list('member_states.country_code') }} as scope_member_states
    from scope_country_rows
    inner join member_states
        on scope_country_rows.country_code = member_states.country_code
    group by scope_country_rows.decision_id

),

decision_scopes as (

    select
        scopes.decision_id,
        scopes.territorial_scope,
        scopes.is_global,
        coalesce(listed_member_states.scope_member_states, {{ empty_text_list() }}) as scope_member_states,
        scopes.is_global or listed_member_states.decision_id is not null as is_in_eu_view
    from scopes
    left join listed_member_states
        on scopes.decision_id = listed_member_states.decision_id

)

select * from decision_scopes
