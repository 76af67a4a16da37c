{#-
    Analyst-facing contact safety: first-contact messages and the unwanted ones per day x
    recipient age band x region x sender_is_connection x sender age group, with small
    cells suppressed as in metrics_daily. Counts, rate, interval and sample_size are
    nulled when 1 <= sample_size < var('small_cell_threshold') (sample_size here is the
    first-contact count itself, so publishing it would undo the suppression).
    Complementary suppression: a sibling set (cells of one day equal in every column but
    one) with exactly one suppressed cell also loses its smallest unsuppressed sibling
    (ties: the lower value of the varying column); passes repeat until none adds a cell.
-#}

{%- set cell_columns = ['recipient_age_band', 'recipient_region', 'sender_is_connection', 'sender_age_group'] %}

with

unsuppressed as (

    select * from {{ ref('fct_contact_safety_daily_unsuppressed') }}

),

suppression_passes as (

    with recursive passes as (

        select
            0 as pass_number,
            contact_date,
            recipient_age_band,
            recipient_region,
            sender_is_connection,
            sender_age_group,
            sample_size,
            sample_size >= 1 and sample_size < {{ var('small_cell_threshold') }} as is_suppressed
        from unsuppressed

        union all

        select
            pass_number,
            contact_date,
            recipient_age_band,
            recipient_region,
            sender_is_connection,
            sender_age_group,
            sample_size,
            is_suppressed
        from (
            select
                pass_number,
                contact_date,
                recipient_age_band,
                recipient_region,
                sender_is_connection,
                sender_age_group,
                sample_size,
                was_suppressed or is_newly_suppressed as is_suppressed,
                bool_or(is_newly_suppressed) over () as pass_changed_something
            from (
                select
                    pass_number + 1 as pass_number,
                    contact_date,
                    recipient_age_band,
                    recipient_region,
                    sender_is_connection,
                    sender_age_group,
                    sample_size,
                    is_suppressed as was_suppressed,
                    sample_size > 0
                    and not is_suppressed
                    and (
                        false
                        {%- for column in cell_columns %}
                            or (
                                count_if(is_suppressed) over (
                                    partition by
                                        contact_date,
                                        {{ cell_columns | reject('equalto', column) | join(', ') }}
                                ) = 1
                                and row_number() over (
                                    partition by
                                        contact_date,
                                        {{ cell_columns | reject('equalto', column) | join(', ') }},
                                        is_suppressed
                                    order by sample_size asc, {{ column }} asc
                                ) = 1
                            )
                        {%- endfor %}
                    ) as is_newly_suppressed
                from passes
            ) as candidates
        ) as pass_result
        where pass_changed_something

    )

    select * from passes

),

final_suppression as (

    select
        contact_date,
        recipient_age_band,
        recipient_region,
        sender_is_connection,
        sender_age_group,
        is_suppressed
    from suppression_passes
    qualify pass_number = max(pass_number) over ()

),

suppressed as (

    select
        unsuppressed.*,
        final_suppression.is_suppressed
    from unsuppressed
    inner join final_suppression
        on
            unsuppressed.contact_date = final_suppression.contact_date
            and unsuppressed.recipient_age_band = final_suppression.recipient_age_band
            and unsuppressed.recipient_region = final_suppression.recipient_region
            and unsuppressed.sender_is_connection = final_suppression.sender_is_connection
            and unsuppressed.sender_age_group = final_suppression.sender_age_group

),

published as (

    select
        cast(contact_date as date) as contact_date,
        cast(recipient_age_band as varchar) as recipient_age_band,
        cast(recipient_region as varchar) as recipient_region,
        cast(sender_is_connection as boolean) as sender_is_connection,
        cast(sender_age_group as varchar) as sender_age_group,
        cast(case when not is_suppressed then first_contact_messages end as bigint) as first_contact_messages,
        cast(case when not is_suppressed then unwanted_contact_messages end as bigint) as unwanted_contact_messages,
        cast(case when not is_suppressed then unwanted_contact_rate end as double) as unwanted_contact_rate,
        cast(case when not is_suppressed then ci_lower end as double) as ci_lower,
        cast(case when not is_suppressed then ci_upper end as double) as ci_upper,
        cast(case when not is_suppressed then sample_size end as bigint) as sample_size,
        cast(metric_version as integer) as metric_version,
        cast(is_final as boolean) as is_final,
        cast(is_suppressed as boolean) as is_suppressed,
        cast(as_of_date as date) as as_of_date
    from suppressed

)

select * from published
