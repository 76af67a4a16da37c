{#-
    stranger_adult_to_minor_contacts_per_1k and
    stranger_adult_to_minor_contacts_per_1k_unknown_sender: first-contact messages from
    non-connections whose sender is 18 or older on the sent day (or of unknown age), to
    minors x 1000 / minor active users of the recipient's age_band x region cell. The
    denominator of a period is the sum of its days' minor active users (user-days);
    sample_size = those user-days. value is computed centrally.
-#}
{%- set sender_age_groups = stranger_contact_sender_groups() %}

with

{% for metric_name, sender_age_group in sender_age_groups.items() %}
    {{ metric_name }}__contacts as (

        select * from ({{ metric_facts_at_cutoff('int_first_contacts_at_cutoff', metric_name) }}) as facts
        where
            recipient_is_minor
            and {{ is_stranger_contact(sender_age_group) }}

    ),

    {{ metric_name }}__contacts_in_periods as (

        {{ metric_periods_of(metric_name ~ '__contacts', 'sent_date') }}

    ),

    {{ metric_name }}__contact_cells as (

        select
            period_grain,
            period_start,
            {{ segment_or_all('age_band') }} as age_band,
            {{ segment_or_all('region') }} as region,
            count(*) as contacts
        from {{ metric_name }}__contacts_in_periods
        group by period_grain, period_start, {{ metric_grouping_sets(['age_band', 'region']) }}  -- noqa: PRS

    ),

    {{ metric_name }}__active_facts as (

        select * from ({{ metric_facts_at_cutoff('int_exposure_user_day_surfaces', metric_name) }}) as facts
        where is_minor and impressions > 0

    ),

    {{ metric_name }}__minor_user_days as (

        -- one row per user-day, so counting rows counts each active minor once per day
        select
            user_id,
            activity_date,
            any_value(age_band) as age_band,
            any_value(region) as region
        from {{ metric_name }}__active_facts
        group by user_id, activity_date

    ),

    {{ metric_name }}__minor_user_days_in_periods as (

        {{ metric_periods_of(metric_name ~ '__minor_user_days', 'activity_date') }}

    ),

    {{ metric_name }}__active_cells as (

        select
            period_grain,
            period_start,
            {{ segment_or_all('age_band') }} as age_band,
            {{ segment_or_all('region') }} as region,
            count(*) as minor_user_days
        from {{ metric_name }}__minor_user_days_in_periods
        group by period_grain, period_start, {{ metric_grouping_sets(['age_band', 'region']) }}  -- noqa: PRS

    ),

    {{ metric_name }}__cells as (

        select
            coalesce(contact_cells.period_grain, active_cells.period_grain) as period_grain,
            coalesce(contact_cells.period_start, active_cells.period_start) as period_start,
            coalesce(contact_cells.age_band, active_cells.age_band) as age_band,
            coalesce(contact_cells.region, active_cells.region) as region,
            coalesce(contact_cells.contacts, 0) as contacts,
            coalesce(active_cells.minor_user_days, 0) as minor_user_days
        from {{ metric_name }}__contact_cells as contact_cells
        full outer join {{ metric_name }}__active_cells as active_cells
            on
                contact_cells.period_grain = active_cells.period_grain
                and contact_cells.period_start = active_cells.period_start
                and contact_cells.age_band = active_cells.age_band
                and contact_cells.region = active_cells.region

    ),

{% endfor %}
unit_rows as (

    {%- for metric_name in sender_age_groups %}

        select
            {{ metric_unit_columns(
                metric_name,
                carried=['age_band', 'region'],
                numerator='contacts',
                denominator='minor_user_days',
                sample_size='minor_user_days',
            ) }}
        from {{ metric_name }}__cells
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

)

select * from unit_rows
