{#-
    The one scan of impressions. Every count the exposure metrics need, per viewer, UTC
    day and surface, each under its own metric's finalization cut-off (maturity from
    metric_registry): an impression, label, decision or appeal copy counts for day D
    only if ingested before finalization_instant(D, maturity of the metric it feeds).
    Reports are added at the same grain (reporter, reported day, surface). Distinct
    users are counted from these rows downstream, never with count(distinct).

    Incremental: a nightly build recomputes only the days that are not final yet for
    some metric fed here (after A_prev - the longest of their maturities, A_prev = the
    previous build's as-of date) and keeps the older days as they are: every row of a
    final day was ingested before its finalization instant, so the previous build already
    saw all of it. A user-day-surface whose impressions all arrived after every metric's
    cut-off counts for nothing and is not written, in full and incremental builds alike.
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    meta={'feeds_metrics': [
        'impressions',
        'active_users',
        'reports_per_10k_active_users',
        'violating_view_rate',
        'actioned_content_view_rate',
        'minor_age_restricted_exposure_rate',
    ]},
    pre_hook="{{ delete_days_to_recompute('activity_date') }}",
) }}

{%- set first_day = first_day_to_recompute() %}

with

impressions as (

    select * from {{ ref('stg_platform__impressions') }}
    {%- if first_day is not none %}
        where occurred_at >= timestamp '{{ first_day }} 00:00:00'
    {%- endif %}

),

user_reports as (

    select * from {{ ref('stg_platform__user_reports') }}
    {%- if first_day is not none %}
        where reported_at >= timestamp '{{ first_day }} 00:00:00'
    {%- endif %}

),

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

labels as (

    select * from {{ ref('int_prevalence_labels_as_of') }}

),

age_restrictions as (

    select * from {{ ref('int_age_restrictions_as_of') }}

),

segments as (

    select * from {{ ref('int_user_day_segments') }}
    {%- if first_day is not none %}
        where segment_date >= date '{{ first_day }}'
    {%- endif %}

),

metric_registry as (

    select * from {{ ref('metric_registry') }}

),

maturities as (

    -- each metric's own maturity, so metrics fed by the same impressions may cut off
    -- at different instants
    select
        max(maturity_days) filter (where metric_name = 'impressions') as impressions_maturity_days,
        max(maturity_days) filter (where metric_name = 'active_users') as active_users_maturity_days,
        max(maturity_days) filter (
            where metric_name = 'reports_per_10k_active_users'
        ) as reports_rate_maturity_days,
        max(maturity_days) filter (where metric_name = 'violating_view_rate') as prevalence_maturity_days,
        max(maturity_days) filter (
            where metric_name = 'actioned_content_view_rate'
        ) as actioned_rate_maturity_days,
        max(maturity_days) filter (
            where metric_name = 'minor_age_restricted_exposure_rate'
        ) as minor_exposure_maturity_days
    from metric_registry

),

content_actions as (

    -- actions that make an impression "of actioned content" (metrics.md)
    select
        target_id as content_id,
        list(struct_pack(decided_at := decided_at, ingested_at := ingested_at)) as actions
    from decisions
    where
        target_type = 'content'
        and action in ('remove', 'restrict_visibility', 'age_restrict')
    group by target_id

),

content_age_restrictions as (

    select
        content_id,
        list(struct_pack(
            known_from := known_from,
            known_until := known_until,
            decided_at := decided_at,
            restricted_until := restricted_until,
            is_global := is_global,
            scope_country_codes := scope_country_codes
        )) as restrictions
    from age_restrictions
    group by content_id

),

impressions_with_cutoffs as (

    select
        impressions.event_id,
        impressions.user_id,
        impressions.content_id,
        impressions.surface,
        impressions.occurred_at,
        impressions.ingested_at,
        cast(impressions.occurred_at as date) as activity_date,
        {{ finalization_instant('cast(impressions.occurred_at as date)', 'maturities.impressions_maturity_days') }}
            as impressions_cutoff_at,
        {{ finalization_instant('cast(impressions.occurred_at as date)', 'maturities.active_users_maturity_days') }}
            as active_users_cutoff_at,
        {{ finalization_instant('cast(impressions.occurred_at as date)', 'maturities.reports_rate_maturity_days') }}
            as reports_rate_cutoff_at,
        {{ finalization_instant('cast(impressions.occurred_at as date)', 'maturities.prevalence_maturity_days') }}
            as prevalence_cutoff_at,
        {{ finalization_instant('cast(impressions.occurred_at as date)', 'maturities.actioned_rate_maturity_days') }}
            as actioned_rate_cutoff_at,
        {{ finalization_instant('cast(impressions.occurred_at as date)', 'maturities.minor_exposure_maturity_days') }}
            as minor_exposure_cutoff_at
    from impressions
    cross join maturities

),

impressions_joined as (

    select
        impressions_with_cutoffs.*,
        coalesce(segments.age_band, 'unknown') as age_band,
        coalesce(segments.region, 'unknown') as region,
        coalesce(segments.plan, 'unknown') as plan,
        upper(segments.country_code) as country_code,
        coalesce(segments.is_minor, false) as is_minor,
        -- the label counts only when the impression is known at the same cut-off
        labels.label_id is not null
        and impressions_with_cutoffs.ingested_at < impressions_with_cutoffs.prevalence_cutoff_at as is_labeled,
        labels.sample_weight,
        labels.is_violating,
        labels.violation_category,
        content_actions.actions,
        content_age_restrictions.restrictions
    from impressions_with_cutoffs
    left join segments
        on
            impressions_with_cutoffs.user_id = segments.user_id
            and impressions_with_cutoffs.activity_date = segments.segment_date
    left join labels
        on
            impressions_with_cutoffs.event_id = labels.event_id
            and impressions_with_cutoffs.prevalence_cutoff_at > labels.known_from
            and impressions_with_cutoffs.prevalence_cutoff_at <= coalesce(labels.known_until, 'infinity')
    left join content_actions
        on impressions_with_cutoffs.content_id = content_actions.content_id
    left join content_age_restrictions
        on impressions_with_cutoffs.content_id = content_age_restrictions.content_id

),

impression_flags as (

    select
        user_id,
        activity_date,
        surface,
        age_band,
        region,
        plan,
        is_minor,
        ingested_at < impressions_cutoff_at as is_known_for_impressions,
        ingested_at < active_users_cutoff_at as is_known_for_active_users,
        ingested_at < reports_rate_cutoff_at as is_known_for_reports_rate,
        ingested_at < prevalence_cutoff_at as is_known_for_prevalence,
        ingested_at < actioned_rate_cutoff_at as is_known_for_actioned_rate,
        ingested_at < minor_exposure_cutoff_at as is_known_for_minor_exposure,
        is_labeled,
        sample_weight,
        is_violating,
        violation_category,
        coalesce(list_bool_or(list_transform(
            actions,
            lambda action: action['decided_at'] >= occurred_at
            and action['decided_at'] <= occurred_at + interval 168 hour
            and action['ingested_at'] < actioned_rate_cutoff_at
        )), false) as is_actioned_content,
        coalesce(list_bool_or(list_transform(
            restrictions,
            lambda restriction: restriction['known_from'] < minor_exposure_cutoff_at
            and (
                restriction['known_until'] is null
                or restriction['known_until'] >= minor_exposure_cutoff_at
            )
            and restriction['decided_at'] <= occurred_at
            and (
                restriction['restricted_until'] is null
                or restriction['restricted_until'] > occurred_at
            )
            and (
                restriction['is_global']
                or list_contains(restriction['scope_country_codes'], country_code)
            )
        )), false) as is_under_age_restriction
    from impressions_joined

),

impression_totals as (

    select
        user_id,
        activity_date,
        surface,
        any_value(age_band) as age_band,
        any_value(region) as region,
        any_value(plan) as plan,
        any_value(is_minor) as is_minor,
        count(*) filter (where is_known_for_impressions) as impressions,
        count(*) filter (where is_known_for_active_users) as active_users_impressions,
        count(*) filter (where is_known_for_reports_rate) as reports_rate_impressions,
        count(*) filter (where is_known_for_actioned_rate) as actioned_rate_impressions,
        count(*) filter (where is_known_for_actioned_rate and is_actioned_content) as actioned_content_impressions,
        count(*) filter (where is_known_for_minor_exposure) as minor_exposure_impressions,
        count(*) filter (where is_known_for_minor_exposure and is_under_age_restriction) as age_restricted_impressions,
        count(*) filter (where is_labeled) as labeled_impressions,
        coalesce(sum(sample_weight) filter (where is_labeled), 0) as label_weight,
        coalesce(sum(sample_weight * sample_weight) filter (where is_labeled), 0) as label_weight_squared,
        coalesce(sum(sample_weight) filter (where is_labeled and is_violating), 0) as violating_weight,
        list(struct_pack(
            violation_category := violation_category,
            sample_weight := sample_weight
        )) filter (where is_labeled and is_violating) as violating_labels
    from impression_flags
    group by user_id, activity_date, surface

),

report_totals as (

    select
        user_reports.reporter_id as user_id,
        cast(user_reports.reported_at as date) as activity_date,
        user_reports.surface,
        any_value(coalesce(segments.age_band, 'unknown')) as age_band,
        any_value(coalesce(segments.region, 'unknown')) as region,
        any_value(coalesce(segments.plan, 'unknown')) as plan,
        any_value(coalesce(segments.is_minor, false)) as is_minor,
        count(*) as reports
    from user_reports
    cross join maturities
    left join segments
        on
            user_reports.reporter_id = segments.user_id
            and cast(user_reports.reported_at as date) = segments.segment_date
    where
        user_reports.ingested_at
        < {{ finalization_instant('cast(user_reports.reported_at as date)', 'maturities.reports_rate_maturity_days') }}
    group by user_reports.reporter_id, cast(user_reports.reported_at as date), user_reports.surface

),

user_day_surfaces as (

    select
        coalesce(impression_totals.user_id, report_totals.user_id) as user_id,
        coalesce(impression_totals.activity_date, report_totals.activity_date) as activity_date,
        coalesce(impression_totals.surface, report_totals.surface) as surface,
        coalesce(impression_totals.age_band, report_totals.age_band) as age_band,
        coalesce(impression_totals.region, report_totals.region) as region,
        coalesce(impression_totals.plan, report_totals.plan) as plan,
        coalesce(impression_totals.is_minor, report_totals.is_minor) as is_minor,
        coalesce(impression_totals.impressions, 0) as impressions,
        coalesce(impression_totals.active_users_impressions, 0) as active_users_impressions,
        coalesce(impression_totals.reports_rate_impressions, 0) as reports_rate_impressions,
        coalesce(impression_totals.actioned_rate_impressions, 0) as actioned_rate_impressions,
        coalesce(impression_totals.actioned_content_impressions, 0) as actioned_content_impressions,
        coalesce(impression_totals.minor_exposure_impressions, 0) as minor_exposure_impressions,
        coalesce(impression_totals.age_restricted_impressions, 0) as age_restricted_impressions,
        coalesce(impression_totals.labeled_impressions, 0) as labeled_impressions,
        coalesce(impression_totals.label_weight, 0) as label_weight,
        coalesce(impression_totals.label_weight_squared, 0) as label_weight_squared,
        coalesce(impression_totals.violating_weight, 0) as violating_weight,
        impression_totals.violating_labels,
        coalesce(report_totals.reports, 0) as reports,
        {{ as_of_date_literal() }} as computed_as_of
    from impression_totals
    full outer join report_totals
        on
            impression_totals.user_id = report_totals.user_id
            and impression_totals.activity_date = report_totals.activity_date
            and impression_totals.surface = report_totals.surface

),

counted_user_day_surfaces as (

    -- a row whose impressions and reports were all ingested after every metric's cut-off
    -- (late beyond finality) feeds nothing; an incremental build never sees it, so no
    -- build writes it
    select * from user_day_surfaces
    where
        impressions > 0
        or active_users_impressions > 0
        or reports_rate_impressions > 0
        or actioned_rate_impressions > 0
        or minor_exposure_impressions > 0
        or labeled_impressions > 0
        or reports > 0

)

select * from counted_user_day_surfaces
