-- Daily rollups are additive where the units partition (macro metric_rollups_not_additive).
{{ metric_rollups_not_additive('fct_metrics_daily_unsuppressed', ['metric_date']) }}
