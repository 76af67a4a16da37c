-- The share of final, non-empty minor age-band cells of small-cell metrics that are
-- published (not suppressed), by grain: day (metrics_daily) and whole periods
-- (metrics_periodic). Reads the restricted facts for sample_size: run it in the working
-- database, not the serving one. docs/metrics.md reports it for a 50k-user build.
with

minor_bands as (

    select age_band from {{ ref('ref_age_bands') }}
    where is_minor

),

daily_cells as (

    select
        'day' as grain,
        published.metric_name,
        published.is_suppressed,
        unsuppressed.sample_size
    from {{ ref('metrics_daily') }} as published
    inner join {{ ref('fct_metrics_daily_unsuppressed') }} as unsuppressed
        on
            published.metric_name = unsuppressed.metric_name
            and published.metric_date = unsuppressed.metric_date
            {%- for column in segment_columns() %}
                and published.{{ column }} = unsuppressed.{{ column }}
            {%- endfor %}
    where
        unsuppressed.suppression_rule = 'small_cell'
        and published.is_final
        and published.age_band in (select minor_bands.age_band from minor_bands)

),

period_cells as (

    select
        published.period_grain as grain,
        published.metric_name,
        published.is_suppressed,
        unsuppressed.sample_size
    from {{ ref('metrics_periodic') }} as published
    inner join {{ ref('fct_metrics_periodic_unsuppressed') }} as unsuppressed
        on
            published.metric_name = unsuppressed.metric_name
            and published.period_grain = unsuppressed.period_grain
            and published.period_start = unsuppressed.period_start
            {%- for column in segment_columns() %}
                and published.{{ column }} = unsuppressed.{{ column }}
            {%- endfor %}
    where
        unsuppressed.suppression_rule = 'small_cell'
        and published.is_final
        and not published.is_partial_period
        and published.age_band in (select minor_bands.age_band from minor_bands)

),

cells as (

    select * from daily_cells
    union all
    select * from period_cells

),

shares as (

    select
        grain,
        count_if(sample_size > 0) as non_empty_cells,
        count_if(sample_size > 0 and not is_suppressed) / nullif(count_if(sample_size > 0), 0) as publishable_share
    from cells
    group by grain

)

select * from shares
