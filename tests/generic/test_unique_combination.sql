{#-
    unique_combination: no two rows of the model share the same values in `combination`
    (a composite primary key), and none of those columns is null.

    Usage (model or source level, in YAML):

        data_tests:
          - unique_combination:
              combination: [user_id, valid_from]

    Returns one failing row per duplicated combination (with how often it occurs) and
    one per row with a null in any key column, so the test fails on either. Nulls are
    failures rather than ignored: a key column that can be null is not a key.
-#}
{% test unique_combination(model, combination) %}
    {%- if combination is string -%}
        {%- set combination = [combination] -%}
    {%- endif -%}
    {%- if not combination -%}
        {{ exceptions.raise_compiler_error("unique_combination needs a non-empty `combination` list") }}
    {%- endif %}

    with

    keyed as (
        select
            {%- for column in combination %}
            {{ adapter.quote(column) }},
            {%- endfor %}
            count(*) as occurrences
        from {{ model }}
        group by all
    ),

    problems as (
        select *
        from keyed
        where
            occurrences > 1
            {%- for column in combination %}
            or {{ adapter.quote(column) }} is null
            {%- endfor %}
    )

    select * from problems
{% endtest %}
