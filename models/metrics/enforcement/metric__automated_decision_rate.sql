-- automated_decision_rate: actions decided without a human (is_automated_decision) /
-- actions, by decided day.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'automated_decision_rate',
    'int_moderation_decisions_at_cutoff',
    date_column='decided_date',
    where='is_action',
    numerator='count_if(is_automated_decision)',
    denominator='count(*)',
) }}
