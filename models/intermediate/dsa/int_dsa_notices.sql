{#- Notices are dated by their reported day, as report_action_rate is. -#}
{%- set notice_metric = 'report_action_rate' -%}

-- Each notice of illegal content (a user report with notice_basis illegal_content), as
-- report_action_rate on its reported day D sees it (int_user_reports_at_cutoff: report
-- and decisions ingested before D's finalization instant), with its DSA category, the
-- notifier's point-in-time country on D and the first action on its target within
-- report_action_rate's window [reported_at, reported_at + 168 h] (first_action_at of
-- int_user_reports_at_cutoff: the match is written there only).
with

reports_at_cutoff as (

    -- the reports as the notice metric sees them (its copy of the facts)
    {{ metric_facts_at_cutoff('int_user_reports_at_cutoff', notice_metric) }}

),

reports as (

    select * from {{ ref('stg_platform__user_reports') }}

),

user_day_segments as (

    select * from {{ ref('int_user_day_segments') }}

),

policy_categories as (

    select * from {{ ref('ref_policy_categories') }}

),

notices as (

    select reports_at_cutoff.*
    from reports_at_cutoff
    inner join reports
        on reports_at_cutoff.report_id = reports.report_id
    where reports.notice_basis = 'illegal_content'

),

notices_attributed as (

    select
        notices.report_id,
        notices.maturity_days,
        notices.reported_date,
        notices.cutoff_at,
        notices.reported_at,
        notices.reporter_type,
        notices.reporter_type = 'trusted_flagger' as is_trusted_flagger,
        notices.policy_category,
        coalesce(policy_categories.dsa_category, 'CATEGORY_NOT_MAPPED') as dsa_category,
        upper(user_day_segments.country_code) as notifier_country_code,
        notices.is_actioned_within_168h as is_acted_on,
        notices.first_action_at,
        {{ milliseconds_between('notices.reported_at', 'notices.first_action_at') }}
        / 3600000.0 as hours_to_action
    from notices
    left join policy_categories
        on notices.policy_category = policy_categories.policy_category
    left join user_day_segments
        on
            notices.reporter_id = user_day_segments.user_id
            and notices.reported_date = user_day_segments.segment_date

)

select * from notices_attributed
