{#-
    RESTRICTED. Every period cell with its unsuppressed parts and the small-cell and
    complementary suppression of one metric, period and grouping (macro
    suppress_small_cells). int_metric_linked_suppression__periodic adds the cells that
    protect it across groupings and metrics; metrics_periodic publishes the result.
-#}

with

unsuppressed as (

    select
        *,
        period_start as metric_date,
        {{ sibling_segment_values() }}
    from {{ ref('fct_metrics_periodic_unsuppressed') }}

),

suppressed as (

    {{ suppress_small_cells(
        'unsuppressed',
        group_key=['metric_name', 'period_grain', 'period_start', 'grouping_name'],
        sibling_columns=['segment_value_1', 'segment_value_2'],
        cell_key=['metric_name', 'period_grain', 'period_start'] + segment_columns(),
        applies="suppression_rule = 'small_cell'",
    ) }}

)

select * from suppressed
