{#-
    Per raw table: raw rows = staged rows + duplicates removed + quarantined rows + rows not
    yet known at the knowledge instant. Each part is counted from a different relation (the
    raw files, the base view's ranks, the quarantine, the staging table), so the balance is
    a real check that no row is dropped or counted twice.
-#}
{%- set tables = platform_tables() %}

with

quarantine as (
    select * from {{ ref('quarantine_rows') }}
),

{% for table_name in tables -%}
    raw__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            count(*) as raw_rows,
            count(*) filter (
                where {{ utc_timestamp('ingested_at') }} >= {{ knowledge_instant() }}
            ) as not_yet_known_rows
        from {{ raw_rows(table_name) }}
    ),

    duplicates__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            count(*) as duplicate_rows
        from {{ ref('base_platform__' ~ table_name) }}
        where reject_reason is null and dedup_rank > 1
    ),

    staged__{{ table_name }} as (
        select
            '{{ table_name }}' as table_name,
            count(*) as staged_rows
        from {{ ref('stg_platform__' ~ table_name) }}
    ),

{% endfor -%}
raw_counts as (
    {%- for table_name in tables %}
        select * from raw__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

duplicate_counts as (
    {%- for table_name in tables %}
        select * from duplicates__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

staged_counts as (
    {%- for table_name in tables %}
        select * from staged__{{ table_name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

quarantine_counts as (
    select
        table_name,
        count(*) as quarantined_rows
    from quarantine
    group by table_name
),

reconciled as (
    select
        raw_counts.table_name,
        raw_counts.raw_rows,
        raw_counts.not_yet_known_rows,
        coalesce(quarantine_counts.quarantined_rows, 0) as quarantined_rows,
        duplicate_counts.duplicate_rows,
        staged_counts.staged_rows,
        raw_counts.raw_rows = (
            staged_counts.staged_rows
            + duplicate_counts.duplicate_rows
            + coalesce(quarantine_counts.quarantined_rows, 0)
            + raw_counts.not_yet_known_rows
        ) as is_reconciled,
        {{ as_of_date_literal() }} as as_of_date
    from raw_counts
    inner join duplicate_counts on raw_counts.table_name = duplicate_counts.table_name
    inner join staged_counts on raw_counts.table_name = staged_counts.table_name
    left join quarantine_counts on raw_counts.table_name = quarantine_counts.table_name
)

select * from reconciled
