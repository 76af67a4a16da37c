{#-
    The published metrics table (metrics.md, "Published interface"): every daily grid
    cell, with small cells of user-based metrics (suppression_rule = small_cell) and
    their complementary cells suppressed within one metric, day and grouping (macro
    suppress_small_cells). A suppressed cell's sample_size is nulled too: for counts it
    is the value itself.
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

),

published as (

    select
        {{ metric_published_columns(['metric_date']) }}
    from suppressed

)

select * from published
