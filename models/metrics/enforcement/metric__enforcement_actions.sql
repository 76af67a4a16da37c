-- enforcement_actions: moderation decisions with an action other than no_action, by
-- decided day; region of the decision's owner.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'enforcement_actions',
    'int_moderation_decisions_at_cutoff',
    date_column='decided_date',
    where='is_action',
    numerator='count(*)',
) }}
