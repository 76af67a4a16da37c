-- Contact-safety metric family: first_contact_messages, unwanted_contact_rate and the
-- two stranger-contact-to-minors rates, in the shared int_metric_values shape. Each
-- metric keeps only the rows known before its own finalization instant (maturity from
-- the registry). Rows only where there is data; the grid zero-fills.
with

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

first_contact_messages as (
    select * from {{ ref('int_first_contact_messages') }}
),

minor_active_user_days as (
    select * from {{ ref('int_minor_active_user_days') }}
),

metric_maturities as (
    select
        metric_name,
        cast(maturity_days as integer) as maturity_days
    from metric_registry
    where metric_name in (
        'first_contact_messages',
        'unwanted_contact_rate',
        'stranger_adult_to_minor_contacts_per_1k',
        'stranger_adult_to_minor_contacts_per_1k_unknown_sender'
    )
),

stranger_metric_sender_groups as (
    select
        metric_name,
        case metric_name
            when 'stranger_adult_to_minor_contacts_per_1k' then 'adult'
            when 'stranger_adult_to_minor_contacts_per_1k_unknown_sender' then 'unknown'
        end as sender_age_group
    from metric_maturities
    where metric_name like 'stranger_adult_to_minor_contacts_per_1k%'
),

known_first_contacts as (
    select
        metric_maturities.metric_name,
        first_contact_messages.sent_date as metric_date,
        first_contact_messages.recipient_age_band as age_band,
        first_contact_messages.recipient_region as region,
        first_contact_messages.recipient_plan as plan,
        first_contact_messages.recipient_is_minor,
        first_contact_messages.sender_is_connection,
        first_contact_messages.sender_age_group,
        coalesce(
            first_contact_messages.unwanted_known_at
            < {{ finalization_instant('first_contact_messages.sent_date', 'metric_maturities.maturity_days') }},
            false
        ) as is_unwanted
    from first_contact_messages
    inner join metric_maturities
        on
            first_contact_messages.ingested_at
            < {{ finalization_instant('first_contact_messages.sent_date', 'metric_maturities.maturity_days') }}
),

first_contact_message_counts as (
    select
        metric_name,
        metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        count(*) as numerator,
        null as denominator,
        count(*) as sample_size
    from known_first_contacts
    where metric_name = 'first_contact_messages'
    group by metric_name, metric_date, {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}  -- noqa: PRS
),

unwanted_contact_rates as (
    select
        metric_name,
        metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        {{ segment_or_all('plan') }} as plan,
        count_if(is_unwanted) as numerator,
        count(*) as denominator,
        count(*) as sample_size
    from known_first_contacts
    where metric_name = 'unwanted_contact_rate'
    group by metric_name, metric_date, {{ metric_grouping_sets(['age_band', 'region', 'plan']) }}  -- noqa: PRS
),

known_stranger_contacts_to_minors as (
    select
        known_first_contacts.metric_name,
        known_first_contacts.metric_date,
        known_first_contacts.age_band,
        known_first_contacts.region
    from known_first_contacts
    inner join stranger_metric_sender_groups
        on
            known_first_contacts.metric_name = stranger_metric_sender_groups.metric_name
            and known_first_contacts.sender_age_group = stranger_metric_sender_groups.sender_age_group
    where
        known_first_contacts.recipient_is_minor
        and not known_first_contacts.sender_is_connection
),

stranger_contacts_to_minors as (
    select
        metric_name,
        metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        count(*) as contacts
    from known_stranger_contacts_to_minors
    group by metric_name, metric_date, {{ metric_grouping_sets(['age_band', 'region']) }}  -- noqa: PRS
),

known_minor_active_user_days as (
    select
        metric_maturities.metric_name,
        minor_active_user_days.activity_date as metric_date,
        minor_active_user_days.age_band,
        minor_active_user_days.region
    from minor_active_user_days
    inner join metric_maturities
        on
            minor_active_user_days.first_known_at
            < {{ finalization_instant('minor_active_user_days.activity_date', 'metric_maturities.maturity_days') }}
    inner join stranger_metric_sender_groups
        on metric_maturities.metric_name = stranger_metric_sender_groups.metric_name
),

-- one row per user-day, so counting rows counts each active minor once per day
minor_active_users as (
    select
        metric_name,
        metric_date,
        {{ segment_or_all('age_band') }} as age_band,
        {{ segment_or_all('region') }} as region,
        count(*) as active_users
    from known_minor_active_user_days
    group by metric_name, metric_date, {{ metric_grouping_sets(['age_band', 'region']) }}  -- noqa: PRS
),

stranger_contact_rates as (
    select
        coalesce(stranger_contacts_to_minors.metric_name, minor_active_users.metric_name) as metric_name,
        coalesce(stranger_contacts_to_minors.metric_date, minor_active_users.metric_date) as metric_date,
        coalesce(stranger_contacts_to_minors.age_band, minor_active_users.age_band) as age_band,
        coalesce(stranger_contacts_to_minors.region, minor_active_users.region) as region,
        'all' as plan,
        coalesce(stranger_contacts_to_minors.contacts, 0) as numerator,
        coalesce(minor_active_users.active_users, 0) as denominator,
        -- units behind a per-1k value: the minor active users of its denominator
        coalesce(minor_active_users.active_users, 0) as sample_size
    from stranger_contacts_to_minors
    full outer join minor_active_users
        on
            stranger_contacts_to_minors.metric_name = minor_active_users.metric_name
            and stranger_contacts_to_minors.metric_date = minor_active_users.metric_date
            and stranger_contacts_to_minors.age_band = minor_active_users.age_band
            and stranger_contacts_to_minors.region = minor_active_users.region
),

family_values as (
    select * from first_contact_message_counts
    union all
    select * from unwanted_contact_rates
    union all
    select * from stranger_contact_rates
),

shared_shape as (
    select
        cast(metric_name as varchar) as metric_name,
        cast(metric_date as date) as metric_date,
        cast(age_band as varchar) as age_band,
        cast(region as varchar) as region,
        cast(plan as varchar) as plan,
        cast('all' as varchar) as surface,
        cast('all' as varchar) as policy_category,
        cast('all' as varchar) as feature,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(sample_size as bigint) as sample_size,
        cast(null as double) as sum_weight_squared,
        cast(null as double) as value
    from family_values
)

select * from shared_shape
