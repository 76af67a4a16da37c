"""The dashboard renders from a published release and never shows a suppressed cell as a number."""

from __future__ import annotations

from datetime import date

import duckdb

from tsw.dashboard import render
from tsw.publish import publish, serving_database


def test_dashboard_shows_values_and_marks_suppressed_cells(tmp_path):
    work = tmp_path / "work.duckdb"
    with duckdb.connect(str(work)) as con:
        con.execute(
            """
            create table metrics_daily as
            select * from (values
                (date '2026-05-01', 'violating_view_rate', 1, 'proportion', 'all', 0.0420, 0.03, 0.06, 900, true, false),
                (date '2026-05-01', 'violating_view_rate', 1, 'proportion', '13_15', null, null, null, null, true, true),
                (date '2026-05-02', 'violating_view_rate', 1, 'proportion', 'all', 0.0380, 0.02, 0.05, 800, false, false)
            ) as t(metric_date, metric_name, metric_version, unit, age_band, value, ci_lower, ci_upper, sample_size,
                   is_final, is_suppressed)
            """
        )
        con.execute(
            "alter table metrics_daily add column region varchar default 'all'; "
            "alter table metrics_daily add column plan varchar default 'all'; "
            "alter table metrics_daily add column surface varchar default 'all'; "
            "alter table metrics_daily add column policy_category varchar default 'all'; "
            "alter table metrics_daily add column feature varchar default 'all'; "
            "alter table metrics_daily add column as_of_date date default date '2026-05-02'"
        )
        con.execute(
            "create table dim_metrics as select 'violating_view_rate' as metric_name, 'proportion' as unit, "
            "'lower_is_better' as direction, 'Weighted prevalence.' as description"
        )
    publish(work, tmp_path / "serving", release_id="r1", as_of_date=date(2026, 5, 2))
    page = render(serving_database(tmp_path / "serving"))
    assert "<h2>violating_view_rate</h2>" in page
    assert "<td>all</td><td>4.20%</td><td>3.00% – 6.00%</td><td>900</td>" in page
    assert "<td>13_15</td><td>suppressed</td>" in page
    assert "As of 2026-05-02" in page
