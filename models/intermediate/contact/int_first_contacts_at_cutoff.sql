-- Each first-contact message as a metric of its sent day D sees it, once per maturity in
-- use by the metrics reading messages (macro metric_cutoff_copies): the message counts
-- only if ingested before D's finalization instant (cutoff_at), and it is unwanted only
-- if an unwanted reaction (int_first_contact_messages) was known before it too.
-- Segments are the recipient's on D.
with

first_contact_messages as (

    select * from {{ ref('int_first_contact_messages') }}

),

first_contacts_at_cutoffs as (

    {{ metric_cutoff_copies('first_contact_messages', 'sent_date', 'messages') }}

),

first_contacts_known as (

    select
        maturity_days,
        cutoff_at,
        message_id,
        sent_date,
        recipient_id,
        sender_id,
        recipient_age_band as age_band,
        recipient_region as region,
        recipient_plan as plan,
        recipient_is_minor,
        sender_is_connection,
        sender_age_group,
        coalesce({{ known_at_cutoff('cutoff_at', 'unwanted_known_at') }}, false) as is_unwanted
    from first_contacts_at_cutoffs
    where {{ known_at_cutoff('cutoff_at', 'ingested_at') }}

)

select * from first_contacts_known
