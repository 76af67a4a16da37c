{#-
    row_count_equal: the model has exactly as many rows as compare_model (optionally
    each restricted by a predicate), e.g. a published table against the restricted table
    it is derived from, or a fact against its grid.

    Arguments:
        compare_model: the relation to compare with, e.g. ref('int_metric_grid').
        model_condition: optional SQL predicate applied to the tested model's rows.
        compare_condition: optional SQL predicate applied to compare_model's rows.
    Fails with one row (both counts) when the counts differ.

    Example (model level):
        data_tests:
          - row_count_equal:
              arguments: {compare_model: ref('fct_metrics_daily_unsuppressed')}
-#}
{% test row_count_equal(model, compare_model, model_condition=none, compare_condition=none) %}

with model_rows as (
    select count(*) as row_count
    from {{ model }}
    {%- if model_condition %}
    where {{ model_condition }}
    {%- endif %}
),

compare_rows as (
    select count(*) as row_count
    from {{ compare_model }}
    {%- if compare_condition %}
    where {{ compare_condition }}
    {%- endif %}
),

counts_differ as (
    select
        model_rows.row_count as model_row_count,
        compare_rows.row_count as compare_row_count
    from model_rows
    cross join compare_rows
    where model_rows.row_count != compare_rows.row_count
)

select * from counts_differ
{% endtest %}
