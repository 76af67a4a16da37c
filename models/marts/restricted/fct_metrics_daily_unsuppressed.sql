{#-
    RESTRICTED. Every daily grid cell with its unsuppressed parts, value and interval
    (macro metric_cells). Small cells are visible here, so analyst-facing outputs
    (metrics_daily, dashboards, the serving database) never read or expose this model;
    they read metrics_daily.
-#}

{{ metric_cells('day') }}
