-- first_contact_messages: first-contact messages, attributed to the recipient and the
-- UTC day of sent_at.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'first_contact_messages',
    'int_first_contacts_at_cutoff',
    date_column='sent_date',
    numerator='count(*)',
) }}
