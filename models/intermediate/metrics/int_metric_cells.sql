{#-
    Every published cell of every metric, without dates: metric x grouping x segment
    values, generated from the registry and the reference seeds so that a registry row
    is all a new metric needs to get its grids (int_metric_grid by day,
    int_metric_period_grid by period). Groupings follow macro metric_grouping_sets: the
    total, each segment column alone, and age_band crossed with each other column.
-#}

{%- set columns = segment_columns() %}

with

registry as (

    select * from {{ ref('metric_registry') }}

),

segment_values as (

    select * from {{ ref('ref_segment_values') }}

),

age_bands as (

    select * from {{ ref('ref_age_bands') }}

),

metric_columns as (

    select
        metric_name,
        cast(is_minor_only as boolean) as is_minor_only,
        {{ explode_list(split_text('segment_columns', '|')) }} as segment_column
    from registry

),

metric_column_values as (

    -- For minor-only metrics the age bands are the minor bands; 'all' then means all minors.
    select
        metric_columns.metric_name,
        metric_columns.segment_column,
        segment_values.segment_value
    from metric_columns
    inner join segment_values
        on metric_columns.segment_column = segment_values.segment_column
    left join age_bands
        on
            metric_columns.segment_column = 'age_band'
            and segment_values.segment_value = age_bands.age_band
    where
        not metric_columns.is_minor_only
        or metric_columns.segment_column <> 'age_band'
        or coalesce(cast(age_bands.is_minor as boolean), false)

),

groupings as (

    select
        metric_name,
        cast(null as string) as grouping_column_1,
        cast(null as string) as grouping_column_2
    from registry

    union all

    select
        metric_name,
        segment_column as grouping_column_1,
        cast(null as string) as grouping_column_2
    from metric_columns

    union all

    select
        age_band_column.metric_name,
        age_band_column.segment_column as grouping_column_1,
        other_column.segment_column as grouping_column_2
    from metric_columns as age_band_column
    inner join metric_columns as other_column
        on
            age_band_column.metric_name = other_column.metric_name
            and other_column.segment_column <> 'age_band'
    where age_band_column.segment_column = 'age_band'

),

grouping_cells as (

    select
        groupings.metric_name,
        coalesce(
            groupings.grouping_column_1 || ' x ' || groupings.grouping_column_2,
            groupings.grouping_column_1,
            'total'
        ) as grouping_name,
        {%- for column in columns %}
            case
                when groupings.grouping_column_1 = '{{ column }}' then first_values.segment_value
                when groupings.grouping_column_2 = '{{ column }}' then second_values.segment_value
                else 'all'
            end as {{ column }},
        {%- endfor %}
        groupings.grouping_column_1,
        groupings.grouping_column_2
    from groupings
    left join metric_column_values as first_values
        on
            groupings.metric_name = first_values.metric_name
            and groupings.grouping_column_1 = first_values.segment_column
    left join metric_column_values as second_values
        on
            groupings.metric_name = second_values.metric_name
            and groupings.grouping_column_2 = second_values.segment_column

)

select * from grouping_cells
