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

    {%- if var('linked_suppression') | as_bool %}

        select
            suppressed.* replace (
                suppressed.is_suppressed or coalesce(linked.is_linked_suppression, false) as is_suppressed
            )
        from suppressed
        left join {{ ref('int_metric_linked_suppression__daily') }} as linked
            on
                suppressed.metric_date = linked.metric_date
                and suppressed.metric_name = linked.metric_name
                {%- for column in segment_columns() %}
                    and suppressed.{{ column }} = linked.{{ column }}
                {%- endfor %}

    {%- else %}

        select * from suppressed

    {%- endif %}

),

published as (

    select
        {{ metric_published_columns(['metric_date']) }}
    from protected

)

select * from published
