-- The registry is consistent: every segment column it names is one of macro
-- segment_columns(), and every (metric, version) has its changelog line.
with

registry as (

    select * from {{ ref('metric_registry') }}

),

changelog as (

    select * from {{ ref('metric_changelog') }}

),

registry_columns as (

    select
        metric_name,
        unnest(string_split(segment_columns, '|')) as segment_column
    from registry

),

unknown_columns as (

    select
        metric_name,
        'unknown segment column ' || segment_column as problem
    from registry_columns
    where
        segment_column not in (
            {%- for column in segment_columns() %}
                '{{ column }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

versions_without_changelog as (

    select
        registry.metric_name,
        'no changelog line for version ' || registry.metric_version as problem
    from registry
    left join changelog
        on
            registry.metric_name = changelog.metric_name
            and registry.metric_version = changelog.metric_version
    where changelog.metric_name is null

),

problems as (

    select * from unknown_columns
    union all
    select * from versions_without_changelog

)

select * from problems
