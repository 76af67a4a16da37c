-- report_action_rate: reports whose (target_type, target_id) got a decision other than
-- no_action decided within [reported_at, reported_at + 168 h] / reports, by reported
-- day; category = the report's mapped reason code.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'report_action_rate',
    'int_user_reports_at_cutoff',
    date_column='reported_date',
    numerator='count_if(is_actioned_within_168h)',
    denominator='count(*)',
) }}
