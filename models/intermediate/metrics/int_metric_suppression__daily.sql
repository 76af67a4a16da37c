{#-
    RESTRICTED. Every daily cell with its unsuppressed parts and the small-cell and
    complementary suppression of one metric, day and grouping (macro
    suppress_small_cells). int_metric_linked_suppression__daily adds the cells that
    protect it across groupings and metrics; metrics_daily publishes the result.
-#}

with

unsuppressed as (

    select
        *,
        {{ sibling_segment_values() }}
    from {{ ref('fct_metrics_daily_unsuppressed') }}

),

suppressed as (

    {{ suppress_small_cells(
        'unsuppressed',
        group_key=['metric_name', 'metric_date', 'grouping_name'],
        sibling_columns=['segment_value_1', 'segment_value_2'],
        cell_key=['metric_name', 'metric_date'] + segment_columns(),
        applies="suppression_rule = 'small_cell'",
    ) }}

)

select * from suppressed
