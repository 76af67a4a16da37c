-- appeal_overturn_rate: overturned / (upheld + overturned) appeals of actions, by
-- resolved day; category and region from the decision.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'appeal_overturn_rate',
    'int_appeals_resolved_at_cutoff',
    date_column='resolved_date',
    numerator='count_if(is_overturned)',
    denominator='count(*)',
) }}
