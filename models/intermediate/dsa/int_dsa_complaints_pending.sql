{%- set complaint_metric = 'appeal_overturn_rate' -%}

-- Appeals against actions pending at the end of each reporting period P (every grain):
-- submitted by P's end and, in the copy latest at the finalization instant of P's last
-- day, not resolved or withdrawn by P's end (pending, or resolved after it).
with

appeal_versions as (

    select * from {{ ref('int_appeal_versions') }}

),

decisions as (

    select * from {{ ref('stg_platform__moderation_decisions') }}

),

period_days as (

    select * from {{ ref('int_dsa_period_days') }}

),

period_ends as (

    select distinct
        period_grain,
        period_label,
        period_end
    from period_days

),

-- the cut-off: a period is seen as of the finalization instant of its last day
periods as (

    {{ metric_cutoff_copy('period_ends', 'period_end', complaint_metric) }}

),

copies_at_period_end as (

    select
        periods.period_grain,
        periods.period_label,
        periods.period_end,
        periods.maturity_days,
        periods.cutoff_at,
        appeal_versions.appeal_id,
        appeal_versions.decision_id,
        appeal_versions.outcome,
        appeal_versions.resolved_at
    from periods
    inner join appeal_versions
        on
            appeal_versions.submitted_at < cast(periods.period_end + 1 as timestamp)
            and {{ version_known_at_cutoff(
                'periods.cutoff_at', 'appeal_versions.known_from', 'appeal_versions.known_until'
            ) }}

),

pending as (

    select
        copies_at_period_end.period_grain,
        copies_at_period_end.period_label,
        copies_at_period_end.appeal_id,
        copies_at_period_end.decision_id,
        copies_at_period_end.maturity_days,
        copies_at_period_end.cutoff_at
    from copies_at_period_end
    inner join decisions
        on
            copies_at_period_end.decision_id = decisions.decision_id
            and {{ known_at_cutoff('copies_at_period_end.cutoff_at', 'decisions.ingested_at') }}
    where
        decisions.action <> 'no_action'
        and (
            copies_at_period_end.outcome = 'pending'
            or copies_at_period_end.resolved_at >= cast(copies_at_period_end.period_end + 1 as timestamp)
        )

)

select * from pending
