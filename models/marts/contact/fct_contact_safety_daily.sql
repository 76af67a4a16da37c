{#-
    Analyst-facing contact safety: first-contact messages and the unwanted ones per day x
    recipient age band x region x sender_is_connection x sender age group, with small
    cells suppressed by the same macro as metrics_daily (suppress_small_cells). Counts,
    rate, interval and sample_size are nulled in a suppressed cell (sample_size here is
    the first-contact count itself, so publishing it would undo the suppression): small
    cells, and complementary cells within one day, whose sibling sets are the cells equal
    in every cell column but one.
-#}

{%- set cell_columns = ['recipient_age_band', 'recipient_region', 'sender_is_connection', 'sender_age_group'] %}

with

unsuppressed as (

    select * from {{ ref('fct_contact_safety_daily_unsuppressed') }}

),

-- every cell of a day is one review group; its sibling sets vary one cell column
suppressed as (

    {{ suppress_small_cells(
        'unsuppressed',
        group_key=['contact_date'],
        sibling_columns=cell_columns,
        cell_key=['contact_date'] + cell_columns,
    ) }}

),

published as (

    select
        cast(contact_date as date) as contact_date,
        cast(recipient_age_band as string) as recipient_age_band,
        cast(recipient_region as string) as recipient_region,
        cast(sender_is_connection as boolean) as sender_is_connection,
        cast(sender_age_group as string) as sender_age_group,
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
