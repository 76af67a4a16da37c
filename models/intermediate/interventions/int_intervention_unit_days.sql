-- Restricted unit facts for intervention readouts: one row per metric x user x day
-- (x surface where the metric has one) with the additive parts of the metric's value,
-- each under the metric's own finalization cut-off, and the user's country and age band
-- that day. A period's value is sum(numerator) / sum(denominator) over its rows, and
-- the user id lets the variance be clustered by user.
--
-- Reads (repoint here when the fact models move): int_first_contacts_at_cutoff,
-- int_exposure_user_day_surfaces, int_user_day_segments.
-- stranger_adult_to_minor_contacts_per_1k[_unknown_sender]: numerator = first contacts
-- from non-connections by the sender group, attributed to the recipient (the metric's
-- rule, macro is_stranger_contact); denominator = the recipient's active user-day
-- (>= 1 impression known at the cut-off). Rows exist for every age band, so adults can
-- serve as the comparison group of a minor-targeted intervention.
with

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

{%- set stranger_metrics = stranger_contact_sender_groups().items() | list %}

stranger_metrics as (
    {% for metric_name, sender_age_group in stranger_metrics -%}
        select
            '{{ metric_name }}' as metric_name,
            '{{ sender_age_group }}' as sender_age_group
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- each stranger metric reads its own copy of the first contacts (the unit's facts), by
-- the unit's rule without its "to minors" filter
stranger_contacts as (
    {% for metric_name, sender_age_group in stranger_metrics -%}
        select
            '{{ metric_name }}' as metric_name,
            recipient_id as user_id,
            sent_date as metric_date,
            count(*) as contacts
        from ({{ metric_facts_at_cutoff('int_first_contacts_at_cutoff', metric_name) }}) as facts
        where {{ is_stranger_contact(sender_age_group) }}
        group by recipient_id, sent_date
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
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

-- the unit's facts: is_unwanted is known at the metric's cut-off (int_first_contacts_at_cutoff)
unwanted_contacts as (
    {{ metric_facts_at_cutoff('int_first_contacts_at_cutoff', 'unwanted_contact_rate') }}
),

unwanted_unit_days as (
    select
        'unwanted_contact_rate' as metric_name,
        recipient_id as user_id,
        sent_date as metric_date,
        'all' as surface,
        cast(count_if(is_unwanted) as double) as numerator,
        cast(count(*) as double) as denominator
    from unwanted_contacts
    group by recipient_id, sent_date
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
