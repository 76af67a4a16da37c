{#-
    The published metrics table (metrics.md, "Published interface"): every daily grid
    cell, with small cells of user-based metrics (suppression_rule = small_cell) and
    their complementary cells suppressed within one metric, day and grouping (macro
    suppress_small_cells, in int_metric_suppression__daily), and the cells that keep
    them unrecoverable across groupings and metrics (int_metric_linked_suppression__daily,
    docs/privacy.md). A suppressed cell's sample_size is nulled too: for counts it is
    the value itself.
-#}

with

suppressed as (

    select * from {{ ref('int_metric_suppression__daily') }}

),

protected as (

    {{ with_linked_suppression('suppressed', 'int_metric_linked_suppression__daily', ['metric_date']) }}

),

published as (

    select
        {{ metric_published_columns(['metric_date']) }}
    from protected

)

select * from published
