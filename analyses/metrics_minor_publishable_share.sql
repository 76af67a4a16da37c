-- The share of final, non-empty minor age-band cells of small-cell metrics that are
-- published (not suppressed), by grain: day (metrics_daily) and whole periods
-- (metrics_periodic), from the published tables alone (it runs on the serving release).
-- docs/metrics.md reports it for a 50k-user build.
with

minor_bands as (

    select age_band from {{ ref('ref_age_bands') }}
    where is_minor

),

small_cell_metrics as (

    select metric_name from {{ ref('dim_metrics') }}
    where suppression_rule = 'small_cell'

),

-- A suppressed cell is never empty (zero cells are published), so the published table
-- alone tells non-empty cells: suppressed, or a sample size above 0.
daily_cells as (

    select
        'day' as grain,
        metric_name,
        is_suppressed,
        is_suppressed or sample_size > 0 as is_non_empty
    from {{ ref('metrics_daily') }}
    where
        is_final
        and metric_name in (select small_cell_metrics.metric_name from small_cell_metrics)
        and age_band in (select minor_bands.age_band from minor_bands)

),

period_cells as (

    select
        period_grain as grain,
        metric_name,
        is_suppressed,
        is_suppressed or sample_size > 0 as is_non_empty
    from {{ ref('metrics_periodic') }}
    where
        is_final
        and not is_partial_period
        and metric_name in (select small_cell_metrics.metric_name from small_cell_metrics)
        and age_band in (select minor_bands.age_band from minor_bands)

),

cells as (

    select * from daily_cells
    union all
    select * from period_cells

),

shares as (

    select
        grain,
        count_if(is_non_empty) as non_empty_cells,
        count_if(is_non_empty and not is_suppressed) / nullif(count_if(is_non_empty), 0) as publishable_share
    from cells
    group by grain

)

select * from shares
