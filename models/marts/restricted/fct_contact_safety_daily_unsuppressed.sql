{#-
    RESTRICTED. First-contact messages and the unwanted ones per day x recipient cell x
    sender kind, small cells included. Analyst-facing outputs read
    fct_contact_safety_daily (suppressed) instead.
    One knowledge cut per row, the unwanted-contact metric's (its copy of
    int_first_contacts_at_cutoff, which holds the unwanted rule): so a row's two counts
    are that metric's numerator and denominator, and summed over the sender columns they
    equal its age_band x region cells.
-#}
{%- set metric_name = 'unwanted_contact_rate' %}

with

first_contacts as (

    {{ metric_facts_at_cutoff('int_first_contacts_at_cutoff', metric_name) }}

),

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

unwanted_contact_metric as (

    select cast(metric_version as integer) as metric_version
    from metric_registry
    where metric_name = '{{ metric_name }}'

),

daily_cells as (

    select
        first_contacts.sent_date as contact_date,
        first_contacts.age_band as recipient_age_band,
        first_contacts.region as recipient_region,
        first_contacts.sender_is_connection,
        first_contacts.sender_age_group,
        count(*) as first_contact_messages,
        count_if(first_contacts.is_unwanted) as unwanted_contact_messages,
        any_value(unwanted_contact_metric.metric_version) as metric_version,
        any_value(first_contacts.maturity_days) as maturity_days
    from first_contacts
    cross join unwanted_contact_metric
    group by all

),

with_rates as (

    select
        contact_date,
        recipient_age_band,
        recipient_region,
        sender_is_connection,
        sender_age_group,
        first_contact_messages,
        unwanted_contact_messages,
        cast(unwanted_contact_messages as double) / first_contact_messages as unwanted_contact_rate,
        {{ wilson_interval_lower(
            'cast(unwanted_contact_messages as double) / first_contact_messages', 'first_contact_messages'
        ) }} as ci_lower,
        {{ wilson_interval_upper(
            'cast(unwanted_contact_messages as double) / first_contact_messages', 'first_contact_messages'
        ) }} as ci_upper,
        -- units behind the row: the recipients' first-contact messages
        first_contact_messages as sample_size,
        metric_version,
        {{ is_final('contact_date', 'maturity_days') }} as is_final,
        {{ finalization_instant('contact_date', 'maturity_days') }} as finalization_instant,
        {{ as_of_date_literal() }} as as_of_date
    from daily_cells

)

select * from with_rates
