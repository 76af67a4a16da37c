-- metrics_daily's complementary suppression is complete (macro metric_lone_suppressed_siblings).
{{ metric_lone_suppressed_siblings('metrics_daily', 'fct_metrics_daily_unsuppressed', ['metric_date']) }}
