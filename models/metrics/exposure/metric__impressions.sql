-- impressions: impressions after deduplication, by viewer and UTC day of occurred_at.
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'impressions',
    'int_exposure_user_day_surfaces',
    date_column='activity_date',
    where='impressions > 0',
    numerator='sum(impressions)',
    sample_size='sum(impressions)',
) }}
