{#-
    accepted_range: every non-null value of the column lies within [min_value, max_value].

    Arguments:
        min_value, max_value: bounds; either may be omitted (unbounded on that side).
        inclusive: true (default) accepts values equal to a bound; false requires strict.
        row_condition: optional SQL predicate; only rows satisfying it are tested
            (dbt's own `config: where:` filters the model the same way).
    Fails with one row per offending value. Nulls are not this test's business
    (pair it with not_null where a value is required).

    Example:
        columns:
          - name: value
            data_tests:
              - accepted_range:
                  arguments: {min_value: 0, max_value: 1, row_condition: "unit = 'proportion'"}
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true, row_condition=none) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("accepted_range needs min_value, max_value or both") }}
    {%- endif -%}
    {%- set lower_op = '>=' if inclusive else '>' -%}
    {%- set upper_op = '<=' if inclusive else '<' -%}

with tested_rows as (
    select {{ column_name }} as tested_value
    from {{ model }}
    where
        {{ column_name }} is not null
        {%- if row_condition %}
        and ({{ row_condition }})
        {%- endif %}
),

out_of_range as (
    select tested_value
    from tested_rows
    where not (
        true
        {%- if min_value is not none %}
        and tested_value {{ lower_op }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        and tested_value {{ upper_op }} {{ max_value }}
        {%- endif %}
    )
)

select * from out_of_range
{% endtest %}
