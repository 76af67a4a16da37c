-- appeal_rate: actions with at least one appeal submitted within 720 h of decided_at /
-- actions, by decided day.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'appeal_rate',
    'int_moderation_decisions_at_cutoff',
    date_column='decided_date',
    where='is_action',
    numerator='count_if(is_appealed_within_720h)',
    denominator='count(*)',
) }}
