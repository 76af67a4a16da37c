{#-
    RESTRICTED. First-contact messages and the unwanted ones per day x recipient cell x
    sender kind, small cells included. Analyst-facing outputs read
    fct_contact_safety_daily (suppressed) instead.
    One knowledge cut per row, unwanted_contact_rate's: so a row's two counts are that
    metric's numerator and denominator, and summed over the sender columns they equal
    its age_band x region cells.
-#}

with

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

first_contact_messages as (

    select * from {{ ref('int_first_contact_messages') }}

),

unwanted_contact_metric as (

    select
        cast(metric_version as integer) as metric_version,
        cast(maturity_days as integer) as maturity_days
    from metric_registry
    where metric_name = 'unwanted_contact_rate'

),

known_first_contacts as (

    select
        first_contact_messages.sent_date as contact_date,
        first_contact_messages.recipient_age_band,
        first_contact_messages.recipient_region,
        first_contact_messages.sender_is_connection,
        first_contact_messages.sender_age_group,
        coalesce(
            first_contact_messages.unwanted_known_at
            < {{ finalization_instant('first_contact_messages.sent_date', 'unwanted_contact_metric.maturity_days') }},
            false
        ) as is_unwanted,
        unwanted_contact_metric.metric_version,
        unwanted_contact_metric.maturity_days
    from first_contact_messages
    cross join unwanted_contact_metric
    where
        first_contact_messages.ingested_at
        < {{ finalization_instant('first_contact_messages.sent_date', 'unwanted_contact_metric.maturity_days') }}

),

daily_cells as (

    select
        contact_date,
        recipient_age_band,
        recipient_region,
        sender_is_connection,
        sender_age_group,
        count(*) as first_contact_messages,
        count_if(is_unwanted) as unwanted_contact_messages,
        any_value(metric_version) as metric_version,
        any_value(maturity_days) as maturity_days
    from known_first_contacts
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
