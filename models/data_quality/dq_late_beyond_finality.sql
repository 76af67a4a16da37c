{#-
    Rows a final metric value ignores: per metric, source table and final event day, the
    staged rows of that day ingested at or after the day's finalization instant (they are
    known to this build but arrived after the value was frozen).
-#}
{%- set tables = platform_tables() %}

with

metric_registry as (
    select * from {{ ref('metric_registry') }}
),

{% for table_name in tables -%}
    {%- set event_time = platform_contract(table_name).meta.event_time if execute else 'ingested_at' -%}
    arrivals__{{ table_name }} as (
    -- ingested_at >= a midnight instant exactly when its date is on or after that midnight's date
        select
            '{{ table_name }}' as table_name,
            cast({{ event_time }} as date) as event_date,
            cast(ingested_at as date) as ingested_date,
            count(*) as row_count
        from {{ ref('stg_platform__' ~ table_name) }}
        group by 1, 2, 3
    ),

{% endfor -%}
arrivals as (
    {%- for table_name in tables %}
        select * from arrivals__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

metric_source_tables as (
    select
        metric_name,
        cast(maturity_days as integer) as maturity_days,
        {{ explode_list(split_text('source_tables', '|')) }} as table_name
    from metric_registry
),

final_day_arrivals as (
    select
        metric_source_tables.metric_name,
        arrivals.table_name,
        arrivals.event_date,
        metric_source_tables.maturity_days,
        arrivals.ingested_date,
        arrivals.row_count,
        {{ finalization_instant('arrivals.event_date', 'metric_source_tables.maturity_days') }}
            as finalization_instant
    from arrivals
    inner join metric_source_tables on arrivals.table_name = metric_source_tables.table_name
    where {{ is_final('arrivals.event_date', 'metric_source_tables.maturity_days') }}
),

late_rows as (
    select
        metric_name,
        table_name,
        event_date,
        maturity_days,
        finalization_instant,
        sum(row_count) as staged_rows,
        coalesce(
            sum(row_count) filter (where cast(ingested_date as timestamp) >= finalization_instant),
            0
        ) as late_rows
    from final_day_arrivals
    group by 1, 2, 3, 4, 5
),

shared as (
    select
        metric_name,
        table_name,
        event_date,
        maturity_days,
        finalization_instant,
        cast(staged_rows as bigint) as staged_rows,
        cast(late_rows as bigint) as late_rows,
        late_rows / staged_rows as late_share,
        {{ as_of_date_literal() }} as as_of_date
    from late_rows
)

select * from shared
