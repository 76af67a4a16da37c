{#-
    Share of rows whose user or content reference is unknown to the staged users/content.
    Such rows are kept everywhere (they count in `unknown` segments); this figure says how
    many there are, per table, referencing column and event day.
-#}
{%- set references = [
    {'table': 'user_profile_versions', 'column': 'user_id', 'referenced': 'users'},
    {'table': 'impressions', 'column': 'user_id', 'referenced': 'users'},
    {'table': 'impressions', 'column': 'content_id', 'referenced': 'content'},
    {'table': 'user_reports', 'column': 'reporter_id', 'referenced': 'users'},
    {'table': 'user_reports', 'column': 'target_id', 'referenced': 'users', 'target_type': 'user'},
    {'table': 'user_reports', 'column': 'target_id', 'referenced': 'content', 'target_type': 'content'},
    {'table': 'moderation_decisions', 'column': 'target_id', 'referenced': 'users', 'target_type': 'user'},
    {'table': 'moderation_decisions', 'column': 'target_id', 'referenced': 'content',
        'target_type': 'content'},
    {'table': 'messages', 'column': 'sender_id', 'referenced': 'users'},
    {'table': 'messages', 'column': 'recipient_id', 'referenced': 'users'},
    {'table': 'user_blocks', 'column': 'blocker_id', 'referenced': 'users'},
    {'table': 'user_blocks', 'column': 'blocked_id', 'referenced': 'users'},
    {'table': 'ai_interactions', 'column': 'user_id', 'referenced': 'users'},
    {'table': 'experiment_assignments', 'column': 'user_id', 'referenced': 'users'},
] -%}
{%- set referenced_keys = {'users': 'user_id', 'content': 'content_id'} %}

with

users as (
    select * from {{ ref('stg_platform__users') }}
),

content as (
    select * from {{ ref('stg_platform__content') }}
),

{% for reference in references -%}
    {%- set event_time = platform_contract(reference.table).meta.event_time if execute else 'ingested_at' -%}
    {%- set referenced_key = referenced_keys[reference.referenced] -%}
    reference_{{ loop.index }} as (
        select
            '{{ reference.table }}' as table_name,
            '{{ reference.column }}' as reference_column,
            '{{ reference.referenced }}' as referenced_table,
            cast(facts.{{ event_time }} as date) as event_date,
            count(*) as row_count,
            count(*) filter (
                where facts.{{ reference.column }} not in (select {{ referenced_key }} from {{ reference.referenced }})
            ) as unknown_reference_rows
        from {{ ref('stg_platform__' ~ reference.table) }} as facts
        {%- if reference.target_type %}
            where facts.target_type = '{{ reference.target_type }}'
        {%- endif %}
        group by 1, 2, 3, 4
    ),

{% endfor -%}
unioned as (
    {%- for reference in references %}
        select * from reference_{{ loop.index }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

shared as (
    select
        table_name,
        reference_column,
        referenced_table,
        event_date,
        row_count,
        unknown_reference_rows,
        unknown_reference_rows / row_count as unknown_reference_share,
        {{ as_of_date_literal() }} as as_of_date
    from unioned
)

select * from shared
