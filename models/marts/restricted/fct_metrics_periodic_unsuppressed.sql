{#-
    RESTRICTED. Every period cell (week, month, quarter, half_year) with its unsuppressed
    parts, value and interval (macro metric_cells), recomputed by the metric units from
    the underlying rows, never from daily rates. A period is final when its last day is
    final. Analyst-facing outputs read metrics_periodic instead.
-#}

{{ metric_cells('period') }}
