-- Each user report as a metric of its reported day D sees it (one copy per maturity of
-- the metrics reading user reports): reports and decisions
-- ingested before D's finalization instant, the reporter's segments on D, and whether
-- the reported target got an action within 168 h of the report (and when the first was).
with

reports as (

    select * from {{ ref('stg_platform__user_reports') }}

),

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

user_day_segments as (

    select * from {{ ref('int_user_day_segments') }}

),

report_reason_codes as (

    select * from {{ ref('ref_report_reason_codes') }}

),

reports_dated as (

    select
        *,
        cast(reported_at as date) as reported_date
    from reports

),

reports_at_cutoffs as (

    {{ metric_cutoff_copies('reports_dated', 'reported_date', 'user_reports') }}

),

reports_known as (

    select * from reports_at_cutoffs
    where {{ known_at_cutoff('cutoff_at', 'ingested_at') }}

),

actioned_within_168h as (

    -- the report_action_rate match, written once: the DSA notices read first_action_at
    select
        reports_known.maturity_days,
        reports_known.report_id,
        min(decisions.decided_at) as first_action_at
    from reports_known
    inner join decisions
        on
            reports_known.target_type = decisions.target_type
            and reports_known.target_id = decisions.target_id
            and reports_known.reported_at <= decisions.decided_at
            and decisions.decided_at <= reports_known.reported_at + interval 168 hour
            and {{ known_at_cutoff('reports_known.cutoff_at', 'decisions.ingested_at') }}
    where decisions.action <> 'no_action'
    group by reports_known.maturity_days, reports_known.report_id

),

reports_attributed as (

    select
        reports_known.maturity_days,
        reports_known.report_id,
        reports_known.reported_date,
        reports_known.cutoff_at,
        reports_known.reported_at,
        reports_known.reporter_id,
        reports_known.reporter_type,
        reports_known.target_type,
        reports_known.target_id,
        reports_known.reason_code,
        coalesce(report_reason_codes.policy_category, 'unknown') as policy_category,
        coalesce(user_day_segments.age_band, 'unknown') as age_band,
        coalesce(user_day_segments.region, 'unknown') as region,
        coalesce(user_day_segments.plan, 'unknown') as plan,
        actioned_within_168h.report_id is not null as is_actioned_within_168h,
        actioned_within_168h.first_action_at,
        reports_known.ingested_at
    from reports_known
    left join report_reason_codes
        on reports_known.reason_code = report_reason_codes.reason_code
    left join user_day_segments
        on
            reports_known.reporter_id = user_day_segments.user_id
            and reports_known.reported_date = user_day_segments.segment_date
    left join actioned_within_168h
        on
            reports_known.maturity_days = actioned_within_168h.maturity_days
            and reports_known.report_id = actioned_within_168h.report_id

)

select * from reports_attributed
