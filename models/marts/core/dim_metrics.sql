with

registry as (

    select * from {{ ref('metric_registry') }}

),

changelog as (

    select * from {{ ref('metric_changelog') }}

),

latest_changes as (

    select
        metric_name,
        changed_to_version,
        changed_on,
        reason
    from (
        select
            metric_name,
            cast(metric_version as integer) as changed_to_version,
            cast(changed_on as date) as changed_on,
            reason,
            row_number() over (
                partition by metric_name
                order by cast(metric_version as integer) desc, cast(changed_on as date) desc
            ) as change_rank
        from changelog
    ) as ranked_changes
    where change_rank = 1

),

metrics as (

    select
        registry.metric_name,
        cast(registry.metric_version as integer) as metric_version,
        registry.unit,
        registry.direction,
        cast(registry.maturity_days as integer) as maturity_days,
        registry.suppression_rule,
        registry.segment_columns,
        cast(registry.is_minor_only as boolean) as is_minor_only,
        registry.source_tables,
        registry.description,
        latest_changes.changed_to_version as latest_change_version,
        latest_changes.changed_on as latest_change_on,
        latest_changes.reason as latest_change_reason
    from registry
    left join latest_changes
        on registry.metric_name = latest_changes.metric_name

)

select * from metrics
