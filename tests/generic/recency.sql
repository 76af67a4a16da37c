{#-
    recency: the newest value of a date or timestamp column is at most max_age_days old,
    measured against the build's as-of date (macro as_of_date(), dbt var as_of_date), not
    against the wall clock, so a rebuild of a past as-of date tests the same thing.

    Arguments:
        field: the date/timestamp column; defaults to the column the test is attached to.
        max_age_days: allowed age in days of the newest value (default 1: data up to
            yesterday relative to the as-of date is fresh enough).
        row_condition: optional SQL predicate restricting the rows considered.
    Fails with one row when the newest value is older than as_of_date - max_age_days,
    or when there is no value at all (an empty table is not fresh).

    Example:
        columns:
          - name: metric_date
            data_tests:
              - recency:
                  arguments: {max_age_days: 0}
-#}
{% test recency(model, column_name=none, field=none, max_age_days=1, row_condition=none) %}
    {%- set tested_field = field if field is not none else column_name -%}
    {%- if tested_field is none -%}
        {{ exceptions.raise_compiler_error("recency needs `field` or to be attached to a column") }}
    {%- endif %}

with newest as (
    select max(cast({{ tested_field }} as date)) as newest_date
    from {{ model }}
    {%- if row_condition %}
    where {{ row_condition }}
    {%- endif %}
),

stale as (
    select
        newest_date,
        {{ as_of_date_literal() }} as as_of_date,
        {{ max_age_days }} as max_age_days
    from newest
    where
        newest_date is null
        or newest_date < {{ as_of_date_literal() }} - {{ max_age_days }}
)

select * from stale
{% endtest %}
