-- proactive_rate: actions detected by automated_classifier or human_proactive
-- (ref_detection_sources.is_proactive) / actions, by decided day.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'proactive_rate',
    'int_moderation_decisions_at_cutoff',
    date_column='decided_date',
    where='is_action',
    numerator='count_if(is_proactive)',
    denominator='count(*)',
) }}
