"""Publication and the restatement audit, on small hand-made databases (no dbt needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tsw import audit
from tsw.publish import current_release, publish, serving_database


def make_work_db(path: Path, *, value: float = 0.25, version: int = 1, final: bool = True) -> Path:
    """A minimal built database: metrics_daily with one final and one non-final row, and dim_metrics."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create table metrics_daily as
            select * from (values
                (date '2026-05-01', 'violating_view_rate', ?, 'proportion', 'all', 'all', 'all', 'all', 'all', 'all',
                 25.0, 100.0, ?, 100::bigint, 0.17, 0.34, ?, false, date '2026-05-20'),
                (date '2026-05-19', 'violating_view_rate', ?, 'proportion', 'all', 'all', 'all', 'all', 'all', 'all',
                 10.0, 100.0, 0.1, 100::bigint, 0.05, 0.17, false, false, date '2026-05-20')
            ) as t(metric_date, metric_name, metric_version, unit, age_band, region, plan, surface, policy_category,
                   feature, numerator, denominator, value, sample_size, ci_lower, ci_upper, is_final, is_suppressed,
                   as_of_date)
            """,
            [version, value, final, version],
        )
        con.execute("create table dim_metrics as select 'violating_view_rate' as metric_name, ? as metric_version", [version])
    return path


def test_publish_switches_current_and_exports_parquet(tmp_path):
    work = make_work_db(tmp_path / "work.duckdb")
    serving = tmp_path / "serving"
    assert current_release(serving) is None
    release = publish(work, serving, release_id="r1", as_of_date=date(2026, 5, 20))
    assert current_release(serving) == release.path
    assert release.tables == {"metrics_daily": 2, "dim_metrics": 1}
    assert (release.path / "parquet" / "metrics_daily.parquet").exists()
    with duckdb.connect(str(serving_database(serving)), read_only=True) as con:
        assert con.execute("select count(*) from metrics_daily").fetchone()[0] == 2
        assert con.execute("select release_id from publication").fetchone()[0] == "r1"


def test_reader_holding_the_serving_database_does_not_block_publication(tmp_path):
    serving = tmp_path / "serving"
    publish(make_work_db(tmp_path / "work.duckdb", value=0.25), serving, release_id="r1")
    reader = duckdb.connect(str(serving_database(serving)), read_only=True)
    try:
        publish(make_work_db(tmp_path / "work.duckdb", value=0.30), serving, release_id="r2")
        # The open reader keeps its snapshot; a new reader sees the new release.
        assert reader.execute("select value from metrics_daily where is_final").fetchone()[0] == 0.25
        with duckdb.connect(str(serving_database(serving)), read_only=True) as fresh:
            assert fresh.execute("select value from metrics_daily where is_final").fetchone()[0] == 0.30
    finally:
        reader.close()


def test_publish_refuses_a_database_without_the_published_interface(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    serving = tmp_path / "serving"
    with pytest.raises(RuntimeError, match="metrics_daily"):
        publish(empty, serving, release_id="bad")
    assert current_release(serving) is None


def test_old_releases_are_pruned_but_current_kept(tmp_path):
    serving = tmp_path / "serving"
    work = make_work_db(tmp_path / "work.duckdb")
    for i in range(5):
        publish(work, serving, release_id=f"r{i}", keep=2)
    names = sorted(p.name for p in (serving / "releases").iterdir())
    assert names == ["r3", "r4"]
    assert current_release(serving).name == "r4"


def test_audit_passes_when_final_values_are_unchanged(tmp_path):
    log = tmp_path / "log"
    work = make_work_db(tmp_path / "work.duckdb")
    assert audit.append_to_log(work, log, release_id="r1") == 1  # only the final row is logged
    result = audit.audit(work, log)
    assert result.passed and result.checked_rows == 1 and not result.restatements
    # Nothing new to log the second time.
    assert audit.append_to_log(work, log, release_id="r2") == 0


def test_audit_fails_on_a_silent_change_of_a_final_value(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb", value=0.25), log, release_id="r1")
    result = audit.audit(make_work_db(tmp_path / "b.duckdb", value=0.26), log)
    assert not result.passed
    assert result.violations[0]["change"] == "value changed"
    assert result.violations[0]["logged_value"] == 0.25 and result.violations[0]["current_value"] == 0.26


def test_audit_fails_when_a_final_row_disappears(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb"), log, release_id="r1")
    result = audit.audit(make_work_db(tmp_path / "b.duckdb", final=False), log)
    assert [v["change"] for v in result.violations] == ["final row missing"]


def test_audit_lists_a_versioned_restatement_and_logs_it(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb", value=0.25, version=1), log, release_id="r1")
    bumped = make_work_db(tmp_path / "b.duckdb", value=0.40, version=2)
    result = audit.audit(bumped, log)
    assert result.passed
    assert [(r["logged_version"], r["current_version"]) for r in result.restatements] == [(1, 2)]
    assert audit.append_to_log(bumped, log, release_id="r2") == 1
    # Once logged, the new version is the reference: a later silent change is caught again.
    assert not audit.audit(make_work_db(tmp_path / "c.duckdb", value=0.41, version=2), log).passed


def test_audit_tolerates_floating_point_noise_only(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb", value=0.25), log, release_id="r1")
    assert audit.audit(make_work_db(tmp_path / "b.duckdb", value=0.25 + 1e-13), log).passed
    assert not audit.audit(make_work_db(tmp_path / "c.duckdb", value=0.25 + 1e-6), log).passed


def make_periodic_db(path: Path, *, value: float = 0.25, version: int = 1, final: bool = True) -> Path:
    """make_work_db's metrics_daily plus a metrics_periodic with one final week (unless `final` is
    false) and one partial, non-final week, as a built database holds them."""
    make_work_db(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create table metrics_periodic as
            select * from (values
                ('week', date '2026-04-27', date '2026-05-03', date '2026-04-27', 'violating_view_rate', ?::integer,
                 'proportion', 'all', 'all', 'all', 'all', 'all', 'all', 25.0, 100.0, ?::double, 100::bigint, 0.17, 0.34,
                 ?::boolean, false, date '2026-05-20', true),
                ('week', date '2026-05-18', date '2026-05-24', date '2026-05-18', 'violating_view_rate', ?::integer,
                 'proportion', 'all', 'all', 'all', 'all', 'all', 'all', 10.0, 100.0, 0.1, 100::bigint, 0.05, 0.17,
                 false, false, date '2026-05-20', true)
            ) as t(period_grain, period_start, period_end, metric_date, metric_name, metric_version, unit, age_band,
                   region, plan, surface, policy_category, feature, numerator, denominator, value, sample_size,
                   ci_lower, ci_upper, is_final, is_suppressed, as_of_date, is_partial_period)
            """,
            [version, value, final, version],
        )
    return path


def test_final_periods_are_logged_in_the_same_file_and_an_honest_rebuild_passes(tmp_path):
    log = tmp_path / "log"
    # the final daily row and the final week; the open week (its last day not final) is not logged
    assert audit.append_to_log(make_periodic_db(tmp_path / "a.duckdb"), log, release_id="r1") == 2
    with duckdb.connect() as con:
        logged = con.execute(f"select published_table, period_grain from read_parquet('{log}/pub-r1.parquet') order by 1").fetchall()
    assert logged == [("metrics_daily", None), ("metrics_periodic", "week")]
    rebuilt = make_periodic_db(tmp_path / "b.duckdb", value=0.25 + 1e-13)  # same values up to summation noise
    result = audit.audit(rebuilt, log)
    assert result.passed and result.checked_rows == 2 and not result.restatements
    assert audit.append_to_log(rebuilt, log, release_id="r2") == 0


def test_audit_fails_on_a_silent_change_of_a_final_period(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_periodic_db(tmp_path / "a.duckdb"), log, release_id="r1")
    result = audit.audit(make_periodic_db(tmp_path / "b.duckdb", value=0.26), log)
    assert not result.passed
    [violation] = result.violations  # the daily row is unchanged
    assert violation["table_name"] == "metrics_periodic" and violation["change"] == "value changed"
    assert (violation["period_grain"], str(violation["period_start"])[:10]) == ("week", "2026-04-27")
    assert violation["logged_value"] == 0.25 and violation["current_value"] == 0.26
    # a final period that is no longer final (or gone) is a violation too
    gone = audit.audit(make_periodic_db(tmp_path / "c.duckdb", final=False), log)
    assert [(v["table_name"], v["change"]) for v in gone.violations] == [("metrics_periodic", "final row missing")]


def test_a_period_version_bump_is_a_restatement_not_a_violation(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_periodic_db(tmp_path / "a.duckdb"), log, release_id="r1")
    bumped = make_periodic_db(tmp_path / "b.duckdb", value=0.40, version=2)
    with duckdb.connect(str(bumped)) as con:  # the bump moves the daily row's version too
        con.execute("update metrics_daily set metric_version = 2")
    result = audit.audit(bumped, log)
    assert result.passed
    assert sorted(r["table_name"] for r in result.restatements) == ["metrics_daily", "metrics_periodic"]
    assert audit.append_to_log(bumped, log, release_id="r2") == 2
    assert audit.audit(bumped, log).passed


def test_a_log_written_before_periods_were_logged_still_audits_the_daily_rows(tmp_path):
    log = tmp_path / "log"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb"), log, release_id="r1")  # no metrics_periodic built
    with duckdb.connect() as con:  # drop the column, as in a log file written by the earlier audit
        con.execute(
            f"copy (select * exclude (published_table) from read_parquet('{log}/pub-r1.parquet')) to '{log}/pub-r0.parquet'"
        )
    (log / "pub-r1.parquet").unlink()
    assert audit.audit(make_periodic_db(tmp_path / "b.duckdb"), log).passed
    # the week is not logged yet: nothing to compare it with; the next publication logs it (and only it)
    assert audit.audit(make_periodic_db(tmp_path / "c.duckdb", value=0.3), log).passed
    assert audit.append_to_log(make_periodic_db(tmp_path / "c.duckdb"), log, release_id="r2") == 1
    assert not audit.audit(make_periodic_db(tmp_path / "c.duckdb", value=0.3), log).passed
    changed_daily = make_work_db(tmp_path / "d.duckdb", value=0.3)
    assert not audit.audit(changed_daily, log).passed
