-- appeal_resolution_hours_p50: median (quantile_cont 0.5) of resolved_at - submitted_at
-- in hours of upheld or overturned appeals, recomputed from the period's appeals.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'appeal_resolution_hours_p50',
    'int_appeals_resolved_at_cutoff',
    date_column='resolved_date',
    sample_size='count(hours_to_resolution)',
    value=quantile_cont('hours_to_resolution', 0.5),
) }}
