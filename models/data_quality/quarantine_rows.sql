{#- Every raw row staging could not use, once, with the first check it failed. -#}
{%- set tables = platform_tables() %}

with

{% for table_name in tables -%}
    rejected__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            row_key,
            reject_reason as reason_code,
            reject_column as reason_column,
            raw_values,
            raw_ingested_at
        from {{ ref('base_platform__' ~ table_name) }}
        where reject_reason is not null
    ),

{% endfor -%}
unioned as (
    {%- for table_name in tables %}
        select * from rejected__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

numbered as (
    -- identical rejected copies are distinct rows of the quarantine; copy_number tells them apart
    select
        *,
        row_number() over (partition by table_name, raw_values order by raw_values) as copy_number
    from unioned
),

identified as (
    select
        md5(table_name || '|' || raw_values || '|' || copy_number) as quarantine_row_id,
        table_name,
        row_key,
        reason_code,
        reason_column,
        raw_values,
        raw_ingested_at,
        copy_number,
        {{ as_of_date_literal() }} as as_of_date
    from numbered
)

select * from identified
