{#-
    numerator_not_above_denominator: on every row where both are known, the numerator
    does not exceed the denominator (the parts of a proportion are consistent).

    Arguments:
        numerator, denominator: column names (or SQL expressions).
        tolerance: relative slack for floating-point sums (default 1e-9): a weighted
            numerator sum(w * y) may exceed sum(w) by rounding only, never by more.
        row_condition: optional SQL predicate restricting the tested rows
            (e.g. "unit = 'proportion'": per-10k rates legitimately exceed 1).
    Fails with one row per offending row. Rows with a null part are skipped.

    Example (model level):
        data_tests:
          - numerator_not_above_denominator:
              arguments: {numerator: numerator, denominator: denominator, row_condition: "unit = 'proportion'"}
-#}
{% test numerator_not_above_denominator(model, numerator, denominator, tolerance=1e-9, row_condition=none) %}

with tested_rows as (
    select
        *,
        {{ numerator }} as tested_numerator,
        {{ denominator }} as tested_denominator
    from {{ model }}
    {%- if row_condition %}
    where {{ row_condition }}
    {%- endif %}
),

numerator_above_denominator as (
    select *
    from tested_rows
    where
        tested_numerator is not null
        and tested_denominator is not null
        and tested_numerator - tested_denominator
        > {{ tolerance }} * greatest(1.0, abs(tested_denominator))
)

select * from numerator_above_denominator
{% endtest %}
