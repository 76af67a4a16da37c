{#-
    The day spine every metric is published for: the data's first day (the earliest
    UTC impression day known at the knowledge instant, or var('metrics_start_date'))
    to the as-of date. With no impressions at all the spine is the as-of date alone.
-#}

with

impressions as (

    select * from {{ ref('stg_platform__impressions') }}

),

first_day as (

    select
        {%- if var('metrics_start_date', none) %}
            -- an aggregate: one first day, with or without impressions
            coalesce(
                min(date '{{ var("metrics_start_date") }}'),
                date '{{ var("metrics_start_date") }}'
            ) as first_metric_date
        {%- else %}
            coalesce(
                min(cast(occurred_at as date)),
                {{ as_of_date_literal() }}
            ) as first_metric_date
        {%- endif %}
    from impressions

),

days as (

    select
        {{ explode_list(day_series('first_metric_date', as_of_date_literal())) }} as metric_date
    from first_day

)

select * from days
