{#-
    Generic test on dq_raw_reconciliation: the tables whose raw rows do not balance, with the
    model's reconciliation_note (the table, the counts and the remedy, usually
    `tsw nightly --full-refresh` after a back-dated delivery). Failing rows are stored, so
    `select * from` the table dbt names shows the note.
-#}
{% test raw_rows_reconcile(model) %}
    select
        table_name,
        reconciliation_note
    from {{ model }}
    where not is_reconciled
{% endtest %}
