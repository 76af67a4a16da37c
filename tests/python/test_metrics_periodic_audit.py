"""The restatement audit covers metrics_periodic: a final period value that changes without a
version bump fails the audit; a version bump is an announced restatement; daily rows are
logged and audited separately from period rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
from test_publish_audit import make_work_db

from tsw import audit


def make_periodic_db(path: Path, *, value: float = 0.25, version: int = 1) -> Path:
    """make_work_db's metrics_daily plus a metrics_periodic with one final and one partial week."""
    make_work_db(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create table metrics_periodic as
            select * from (values
                ('week', date '2026-04-27', date '2026-05-03', date '2026-04-27', 'violating_view_rate', ?,
                 'proportion', 'all', 'all', 'all', 'all', 'all', 'all', 25.0, 100.0, ?, 100::bigint, 0.17, 0.34,
                 true, false, date '2026-05-20', true),
                ('week', date '2026-05-18', date '2026-05-24', date '2026-05-18', 'violating_view_rate', ?,
                 'proportion', 'all', 'all', 'all', 'all', 'all', 'all', 10.0, 100.0, 0.1, 100::bigint, 0.05, 0.17,
                 false, false, date '2026-05-20', true)
            ) as t(period_grain, period_start, period_end, metric_date, metric_name, metric_version, unit, age_band,
                   region, plan, surface, policy_category, feature, numerator, denominator, value, sample_size,
                   ci_lower, ci_upper, is_final, is_suppressed, as_of_date, is_partial_period)
            """,
            [version, value, version],
        )
    return path


def test_periodic_final_rows_are_logged_and_audited(tmp_path):
    log = tmp_path / "log"
    # one final daily row and one final period row
    assert audit.append_to_log(make_periodic_db(tmp_path / "a.duckdb"), log, release_id="r1") == 2
    assert (log / "metrics_periodic").is_dir()
    assert audit.audit(make_periodic_db(tmp_path / "b.duckdb"), log).passed
    changed = audit.audit(make_periodic_db(tmp_path / "c.duckdb", value=0.26), log)
    assert not changed.passed
    assert [v["table_name"] for v in changed.violations] == ["metrics_periodic"]
    bumped = audit.audit(make_periodic_db(tmp_path / "d.duckdb", value=0.26, version=2), log)
    assert [r["table_name"] for r in bumped.restatements] == ["metrics_periodic"]


def test_a_database_without_metrics_periodic_is_audited_as_before(tmp_path):
    log = tmp_path / "log"
    assert audit.append_to_log(make_work_db(tmp_path / "a.duckdb"), log, release_id="r1") == 1
    assert audit.audit(make_work_db(tmp_path / "b.duckdb"), log).passed
