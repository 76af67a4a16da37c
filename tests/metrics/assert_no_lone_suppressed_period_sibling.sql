-- metrics_periodic's complementary suppression is complete (macro metric_lone_suppressed_siblings).
{{ metric_lone_suppressed_siblings(
    'metrics_periodic', 'fct_metrics_periodic_unsuppressed', ['period_grain', 'period_start']
) }}
