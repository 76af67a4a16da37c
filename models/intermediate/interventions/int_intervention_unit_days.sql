-- Restricted unit facts for intervention readouts: one row per metric x user x day
-- (x surface where the metric has one) with the additive parts of the metric's value,
-- each under the metric's own finalization cut-off, and the user's country and age band
-- that day. A period's value is sum(numerator) / sum(denominator) over its rows, and
-- the user id lets the variance be clustered by user.
--
-- Reads (repoint here when the fact models move): int_first_contact_messages,
-- int_exposure_user_day_surfaces, int_user_day_segments.
-- stranger_adult_to_minor_contacts_per_1k[_unknown_sender]: numerator = first contacts
-- from non-connections by the sender group, attributed to the recipient (the metric's
-- rule, fct column sender_age_group); denominator = the recipient's active user-day
-- (>= 1 impression known at the cut-off). Rows exist for every age band, so adults can
-- serve as the comparison group of a minor-targeted intervention.
with

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

first_contact_messages as (
    select * from {{ ref('int_first_contact_messages') }}
),

-- the exposure facts hold one copy per maturity: each use reads its metric's copy
active_exposure_facts as (
    {{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', 'active_users') }}
),

prevalence_exposure_facts as (
    {{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', 'violating_view_rate') }}
),

user_day_segments as (
    select * from {{ ref('int_user_day_segments') }}
),

maturities as (
    select
        metric_name,
        cast(maturity_days as integer) as maturity_days
    from metric_registry
),

stranger_metrics as (
    select
        maturities.metric_name,
        maturities.maturity_days,
        case maturities.metric_name
            when 'stranger_adult_to_minor_contacts_per_1k' then 'adult'
            else 'unknown'
        end as sender_age_group
    from maturities
    where maturities.metric_name in (
        'stranger_adult_to_minor_contacts_per_1k', 'stranger_adult_to_minor_contacts_per_1k_unknown_sender'
    )
),

stranger_contacts as (
    select
        stranger_metrics.metric_name,
        first_contact_messages.recipient_id as user_id,
        first_contact_messages.sent_date as metric_date,
        count(*) as contacts
    from first_contact_messages
    inner join stranger_metrics
        on
            first_contact_messages.sender_age_group = stranger_metrics.sender_age_group
            and first_contact_messages.ingested_at
            < {{ finalization_instant('first_contact_messages.sent_date', 'stranger_metrics.maturity_days') }}
    where not first_contact_messages.sender_is_connection
    group by stranger_metrics.metric_name, first_contact_messages.recipient_id, first_contact_messages.sent_date
),

-- impressions known at the active-users cut-off; the stranger metrics share its
-- maturity (3 days; checked by a test on the targeted sums)
active_user_days as (
    select
        user_id,
        activity_date as metric_date
    from active_exposure_facts
    where impressions > 0
    group by user_id, activity_date
),

stranger_unit_days as (
    select
        coalesce(stranger_metrics.metric_name, stranger_contacts.metric_name) as metric_name,
        coalesce(stranger_contacts.user_id, active_user_days.user_id) as user_id,
        coalesce(stranger_contacts.metric_date, active_user_days.metric_date) as metric_date,
        'all' as surface,
        cast(coalesce(stranger_contacts.contacts, 0) as double) as numerator,
        cast(case when active_user_days.user_id is null then 0 else 1 end as double) as denominator
    from active_user_days
    cross join stranger_metrics
    full outer join stranger_contacts
        on
            active_user_days.user_id = stranger_contacts.user_id
            and active_user_days.metric_date = stranger_contacts.metric_date
            and stranger_metrics.metric_name = stranger_contacts.metric_name
),

unwanted_maturity as (
    select maturity_days from maturities
    where metric_name = 'unwanted_contact_rate'
),

unwanted_unit_days as (
    select
        'unwanted_contact_rate' as metric_name,
        first_contact_messages.recipient_id as user_id,
        first_contact_messages.sent_date as metric_date,
        'all' as surface,
        cast(count_if(coalesce(
            first_contact_messages.unwanted_known_at
            < {{ finalization_instant('first_contact_messages.sent_date', 'unwanted_maturity.maturity_days') }},
            false
        )) as double) as numerator,
        cast(count(*) as double) as denominator
    from first_contact_messages
    cross join unwanted_maturity
    where
        first_contact_messages.ingested_at
        < {{ finalization_instant('first_contact_messages.sent_date', 'unwanted_maturity.maturity_days') }}
    group by first_contact_messages.recipient_id, first_contact_messages.sent_date
),

prevalence_unit_days as (
    select
        'violating_view_rate' as metric_name,
        user_id,
        activity_date as metric_date,
        surface,
        violating_weight as numerator,
        label_weight as denominator
    from prevalence_exposure_facts
    where labeled_impressions > 0
),

unit_days as (
    select * from stranger_unit_days
    union all
    select * from unwanted_unit_days
    union all
    select * from prevalence_unit_days
),

with_segments as (
    select
        unit_days.metric_name,
        unit_days.user_id,
        unit_days.metric_date,
        unit_days.surface,
        coalesce(user_day_segments.age_band, 'unknown') as age_band,
        case
            when user_day_segments.country_code is null or lower(user_day_segments.country_code) = 'unknown'
                then 'unknown'
            else upper(user_day_segments.country_code)
        end as country_code,
        unit_days.numerator,
        unit_days.denominator
    from unit_days
    left join user_day_segments
        on
            unit_days.user_id = user_day_segments.user_id
            and unit_days.metric_date = user_day_segments.segment_date
)

select * from with_segments
