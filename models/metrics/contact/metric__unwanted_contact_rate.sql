-- unwanted_contact_rate: first-contact messages after which, within 72 h of sent_at, the
-- recipient blocked or reported the sender (is_unwanted, int_first_contacts_at_cutoff) /
-- first-contact messages; segments of the recipient.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'unwanted_contact_rate',
    'int_first_contacts_at_cutoff',
    date_column='sent_date',
    numerator='count_if(is_unwanted)',
    denominator='count(*)',
) }}
