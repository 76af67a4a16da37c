-- minor_age_restricted_exposure_rate: impressions by minors of content under an
-- age_restrict action in force at occurred_at / impressions by minors; age_band 'all' is
-- every minor band together (the flag is a fact of int_exposure_user_day_surfaces).
-- noqa: disable=PRS
{{ metric_unit_from_facts(
    'minor_age_restricted_exposure_rate',
    'int_exposure_user_day_surfaces',
    date_column='activity_date',
    where='is_minor and impressions > 0',
    numerator='sum(age_restricted_impressions)',
    denominator='sum(impressions)',
    sample_size='sum(impressions)',
) }}
