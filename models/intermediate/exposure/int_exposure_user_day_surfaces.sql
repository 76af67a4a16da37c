{#-
    The one scan of impressions: facts per viewer, UTC day and surface, once per maturity
    in use by the metrics that read impressions (macro metric_cutoff_copies): in the copy
    of maturity m, an impression, label, decision, appeal or report counts for day D only
    if ingested before D's finalization instant at m (cutoff_at). Reports are added at the
    same grain (reporter, reported day, surface). The rows are facts (impressions, labels,
    impressions of actioned or age-restricted content, reports), not one column per
    metric; each metric unit reads the copy of its own maturity (metric_facts_at_cutoff).
    Distinct users are counted from these rows downstream, never with count(distinct).

    Incremental: a nightly build recomputes only the days that are not final yet for
    some metric reading impressions (after A_prev - the longest of their maturities,
    A_prev = the previous build's as-of date) and keeps the older days as they are: every
    row of a final day was ingested before its finalization instant, so the previous
    build already saw all of it. A user-day-surface with nothing known at a maturity has
    no row in that copy, in full and incremental builds alike.
-#}

{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
    meta={'cutoff_source_table': 'impressions'},
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

content_actions as (

    -- actions that make an impression "of actioned content" (metrics.md)
    select
        target_id as content_id,
        {{ list_of_structs(['decided_at', 'ingested_at']) }} as actions
    from decisions
    where
        target_type = 'content'
        and action in ('remove', 'restrict_visibility', 'age_restrict')
    group by target_id

),

content_age_restrictions as (

    select
        content_id,
        {{ list_of_structs([
            'known_from', 'known_until', 'decided_at', 'restricted_until', 'is_global', 'scope_country_codes'
        ]) }} as restrictions
    from age_restrictions
    group by content_id

),

impressions_dated as (

    -- the list_any lambdas read struct fields (action.decided_at), which RF03 takes for
    -- qualified column references
    -- noqa: disable=RF03
    select
        event_id,
        user_id,
        content_id,
        surface,
        occurred_at,
        ingested_at,
        cast(occurred_at as date) as activity_date
    from impressions

),

impressions_at_cutoffs as (

    {{ metric_cutoff_copies('impressions_dated', 'activity_date', 'impressions') }}

),

known_impressions as (

    select * from impressions_at_cutoffs
    where {{ known_at_cutoff('cutoff_at', 'ingested_at') }}

),

impressions_joined as (

    select
        known_impressions.*,
        coalesce(segments.age_band, 'unknown') as age_band,
        coalesce(segments.region, 'unknown') as region,
        coalesce(segments.plan, 'unknown') as plan,
        upper(segments.country_code) as country_code,
        coalesce(segments.is_minor, false) as is_minor,
        labels.label_id is not null as is_labeled,
        labels.sample_weight,
        labels.is_violating,
        labels.violation_category,
        content_actions.actions,
        content_age_restrictions.restrictions
    from known_impressions
    left join segments
        on
            known_impressions.user_id = segments.user_id
            and known_impressions.activity_date = segments.segment_date
    left join labels
        on
            known_impressions.event_id = labels.event_id
            and {{ version_known_at_cutoff('known_impressions.cutoff_at', 'labels.known_from', 'labels.known_until') }}
    left join content_actions
        on known_impressions.content_id = content_actions.content_id
    left join content_age_restrictions
        on known_impressions.content_id = content_age_restrictions.content_id

),

impression_flags as (

    select
        maturity_days,
        user_id,
        activity_date,
        surface,
        age_band,
        region,
        plan,
        is_minor,
        is_labeled,
        sample_weight,
        is_violating,
        violation_category,
        -- an action of remove, restrict_visibility or age_restrict within 168 h
        {{ list_any(
            'actions',
            'action',
            'action.decided_at >= occurred_at
            and action.decided_at <= occurred_at + interval 168 hour
            and action.ingested_at < cutoff_at'
        ) }} as is_actioned_content,
        {{ list_any(
            'restrictions',
            'restriction',
            'restriction.known_from < cutoff_at
            and (
                restriction.known_until is null
                or restriction.known_until >= cutoff_at
            )
            and restriction.decided_at <= occurred_at
            and (
                restriction.restricted_until is null
                or restriction.restricted_until > occurred_at
            )
            and (
                restriction.is_global
                or ' ~ list_has('restriction.scope_country_codes', 'country_code') ~ '
            )'
        ) }} as is_under_age_restriction
    from impressions_joined
    -- noqa: enable=RF03

),

impression_totals as (

    select
        maturity_days,
        user_id,
        activity_date,
        surface,
        any_value(age_band) as age_band,
        any_value(region) as region,
        any_value(plan) as plan,
        any_value(is_minor) as is_minor,
        count(*) as impressions,
        count(*) filter (where is_actioned_content) as actioned_content_impressions,
        count(*) filter (where is_under_age_restriction) as age_restricted_impressions,
        count(*) filter (where is_labeled) as labeled_impressions,
        coalesce(sum(sample_weight) filter (where is_labeled), 0) as label_weight,
        coalesce(sum(sample_weight * sample_weight) filter (where is_labeled), 0) as label_weight_squared,
        coalesce(sum(sample_weight) filter (where is_labeled and is_violating), 0) as violating_weight,
        {{ list_of_structs(['violation_category', 'sample_weight']) }}
        filter (where is_labeled and is_violating) as violating_labels
    from impression_flags
    group by maturity_days, user_id, activity_date, surface

),

reports_dated as (

    select
        reporter_id,
        surface,
        ingested_at,
        cast(reported_at as date) as activity_date
    from user_reports

),

reports_at_cutoffs as (

    -- the copies of the impressions: reports share the user-day-surface rows
    {{ metric_cutoff_copies('reports_dated', 'activity_date', 'impressions') }}

),

report_totals as (

    select
        reports_at_cutoffs.maturity_days,
        reports_at_cutoffs.reporter_id as user_id,
        reports_at_cutoffs.activity_date,
        reports_at_cutoffs.surface,
        any_value(coalesce(segments.age_band, 'unknown')) as age_band,
        any_value(coalesce(segments.region, 'unknown')) as region,
        any_value(coalesce(segments.plan, 'unknown')) as plan,
        any_value(coalesce(segments.is_minor, false)) as is_minor,
        count(*) as reports
    from reports_at_cutoffs
    left join segments
        on
            reports_at_cutoffs.reporter_id = segments.user_id
            and reports_at_cutoffs.activity_date = segments.segment_date
    where {{ known_at_cutoff('reports_at_cutoffs.cutoff_at', 'reports_at_cutoffs.ingested_at') }}
    group by
        reports_at_cutoffs.maturity_days,
        reports_at_cutoffs.reporter_id,
        reports_at_cutoffs.activity_date,
        reports_at_cutoffs.surface

),

user_day_surfaces as (

    select
        coalesce(impression_totals.maturity_days, report_totals.maturity_days) as maturity_days,
        coalesce(impression_totals.user_id, report_totals.user_id) as user_id,
        coalesce(impression_totals.activity_date, report_totals.activity_date) as activity_date,
        coalesce(impression_totals.surface, report_totals.surface) as surface,
        coalesce(impression_totals.age_band, report_totals.age_band) as age_band,
        coalesce(impression_totals.region, report_totals.region) as region,
        coalesce(impression_totals.plan, report_totals.plan) as plan,
        coalesce(impression_totals.is_minor, report_totals.is_minor) as is_minor,
        coalesce(impression_totals.impressions, 0) as impressions,
        coalesce(impression_totals.actioned_content_impressions, 0) as actioned_content_impressions,
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
            impression_totals.maturity_days = report_totals.maturity_days
            and impression_totals.user_id = report_totals.user_id
            and impression_totals.activity_date = report_totals.activity_date
            and impression_totals.surface = report_totals.surface

)

select * from user_day_surfaces
