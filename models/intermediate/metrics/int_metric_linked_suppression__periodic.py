"""RESTRICTED. Period cells suppressed so that no suppressed cell can be recovered by
differencing across groupings and metrics within a period (tsw/privacy.py,
docs/privacy.md)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from tsw.privacy_model import linked_suppression

    return linked_suppression(
        dbt.ref("int_metric_suppression__periodic").df(),
        dbt.ref("metric_registry").df(),
        dbt.ref("ref_segment_values").df(),
        dbt.ref("ref_age_bands").df(),
        ["period_grain", "period_start"],
    )
