-- actioned_content_view_rate: impressions whose content got remove, restrict_visibility
-- or age_restrict decided within [occurred_at, occurred_at + 168 h] / impressions (the
-- flag is a fact of int_exposure_user_day_surfaces).
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'actioned_content_view_rate',
    'int_exposure_user_day_surfaces',
    date_column='activity_date',
    where='impressions > 0',
    numerator='sum(actioned_content_impressions)',
    denominator='sum(impressions)',
    sample_size='sum(impressions)',
) }}
