-- Changing the primary judge (seeds/reference/ref_primary_judge.csv) changes every ai_*
-- metric's definition, so it must bump their metric_version with a changelog line that
-- names the new primary judge(s): each ai_* metric's changelog line at its current
-- version must contain "primary judge <judge_id> from <primary_from_date>" for every
-- row of the seed. Fails with one row per ai_* metric whose versioning missed the change.
with

primary_judge as (
    select * from {{ ref('ref_primary_judge') }}
),

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

metric_changelog as (
    select * from {{ ref('metric_changelog') }}
),

fingerprint as (
    select
        string_agg(
            'primary judge ' || judge_id || ' from ' || cast(cast(primary_from_date as date) as varchar),
            ', ' order by cast(primary_from_date as date)
        ) as primary_judges
    from primary_judge
),

ai_metrics as (
    select
        metric_name,
        cast(metric_version as integer) as metric_version
    from metric_registry
    where metric_name like 'ai\_%' escape '\'
),

unversioned_changes as (
    select
        ai_metrics.metric_name,
        ai_metrics.metric_version,
        fingerprint.primary_judges,
        metric_changelog.reason,
        'ref_primary_judge.csv changed without a version bump naming it' as problem
    from ai_metrics
    cross join fingerprint
    left join metric_changelog
        on
            ai_metrics.metric_name = metric_changelog.metric_name
            and ai_metrics.metric_version = cast(metric_changelog.metric_version as integer)
    where coalesce(contains(metric_changelog.reason, fingerprint.primary_judges), false) = false
)

select * from unversioned_changes
