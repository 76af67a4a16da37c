-- Period rollups are additive where the units partition (macro metric_rollups_not_additive).
{{ metric_rollups_not_additive('fct_metrics_periodic_unsuppressed', ['period_grain', 'period_start']) }}
