"""The nightly job over a simulated week, on a generated landing directory.

One module fixture runs the week once (it is the expensive part) and records what it saw;
each test then asserts one property:

* rows that arrive on a later night land on their event day;
* a run killed mid-build (SIGKILL of the nightly process only) takes its dbt child with
  it, leaves the published release, the working database and the log untouched, and the
  next run succeeds;
* a back-dated delivery fails the run naming its table and the remedy, keeps the failed
  run's database and publishes nothing;
* the run report lists each model's time;
* a reader holding the serving database open does not block the nightly run;
* a second nightly started while one runs refuses with a clear message;
* the week of nightly runs gives the same marts as one full build as of the last night.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tsw.nightly import Warehouse, run_nightly, warehouse_lock
from tsw.publish import current_release, serving_database

# A week of nightly builds (about 20 min on 2 cores): `make test-long`.
pytestmark = pytest.mark.long

FIRST_NIGHT = date(2026, 3, 20)
NIGHTS = 7
KILL_NIGHT = 3      # this night's first attempt is killed mid-build
READER_NIGHT = 4    # a reader holds the serving database open during this night


def _impressions_total(database: Path, day: date) -> float:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            """
            select numerator from fct_metrics_daily_unsuppressed
            where metric_name = 'impressions' and metric_date = ?
                and age_band = 'all' and region = 'all' and plan = 'all' and surface = 'all'
            """,
            [day],
        ).fetchone()[0]


def _staged_impressions_known_before(database: Path, day: date, instant: datetime) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select count(*) from stg_platform__impressions where cast(occurred_at as date) = ? and ingested_at < ?",
            [day, instant],
        ).fetchone()[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tsw(*args: str) -> list[str]:
    return [sys.executable, "-m", "tsw.cli", *args]


def _processes_building_into(database: Path) -> list[int]:
    """Live processes (dbt) whose environment points TSW_DB_PATH at `database`."""
    marker = f"TSW_DB_PATH={database.resolve()}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0") and (proc / "stat").read_text().split()[2] != "Z":
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _kill_mid_build(warehouse: Warehouse, landing: Path, night: date) -> tuple[int, list[int], list[int]]:
    """Start a nightly run and SIGKILL the nightly process alone once dbt is building.

    Returns the models built before the kill, the dbt processes seen before it and those
    still alive 10 s after it (they must die with the nightly)."""
    proc = subprocess.Popen(
        _tsw("nightly", "--date", night.isoformat(), "--landing-dir", str(landing), "--warehouse", str(warehouse.root)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 300
    models_done = 0
    for line in proc.stdout:
        if " OK created " in line:
            models_done += 1
        if models_done >= 5 or time.monotonic() > deadline:
            break
    children = _processes_building_into(warehouse.scratch_db)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    survivors = children
    for _ in range(100):
        survivors = [pid for pid in children if pid in _processes_building_into(warehouse.scratch_db)]
        if not survivors:
            break
        time.sleep(0.1)
    for pid in survivors:  # do not leave a stray build behind if the test fails
        os.kill(pid, signal.SIGKILL)
    return models_done, children, survivors


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    from tsw.generate import generate_dataset

    root = tmp_path_factory.mktemp("nightly")
    landing = root / "landing"
    generate_dataset(
        landing, layout="landing", file_format="mixed", seed=11, users=300, days=30,
        start_date=date(2026, 3, 1), bad_rate=0.01,
    )
    warehouse = Warehouse(root / "warehouse")
    seen: dict = {"reports": [], "impressions": {}}
    for n in range(NIGHTS):
        night = FIRST_NIGHT + timedelta(days=n)
        if n == KILL_NIGHT:
            before = {
                "release": current_release(warehouse.serving_dir),
                "work": _digest(warehouse.work_db),
                "log": sorted(p.name for p in warehouse.log_dir.iterdir()),
            }
            seen["killed_after_models"], seen["dbt_children"], seen["dbt_survivors"] = _kill_mid_build(warehouse, landing, night)
            seen["after_kill"] = {
                "release": current_release(warehouse.serving_dir),
                "work": _digest(warehouse.work_db),
                "log": sorted(p.name for p in warehouse.log_dir.iterdir()),
            }
            seen["before_kill"] = before
            with duckdb.connect(str(serving_database(warehouse.serving_dir)), read_only=True) as con:
                seen["readable_after_kill"] = con.execute("select count(*) from metrics_daily").fetchone()[0]
        if n == READER_NIGHT:
            reader = duckdb.connect(str(serving_database(warehouse.serving_dir)), read_only=True)
            seen["reader_before"] = reader.execute("select max(as_of_date) from metrics_daily").fetchone()[0]
            report = run_nightly(night, warehouse=warehouse, landing_dir=landing, validate=(n == NIGHTS - 1), stream=False)
            seen["reader_after"] = reader.execute("select max(as_of_date) from metrics_daily").fetchone()[0]
            reader.close()
        else:
            report = run_nightly(night, warehouse=warehouse, landing_dir=landing, validate=(n == NIGHTS - 1), stream=False)
        seen["reports"].append(report)
        assert report.status == "succeeded", report.summary() + "\n" + (report.error or "")
        for offset in (0, 1, 2):
            seen["impressions"][(night, night - timedelta(days=offset))] = _impressions_total(warehouse.work_db, night - timedelta(days=offset))
    # The lock refuses a second run while one holds it.
    with warehouse_lock(warehouse):
        refused = subprocess.run(
            _tsw("nightly", "--date", FIRST_NIGHT.isoformat(), "--landing-dir", str(landing), "--warehouse", str(warehouse.root)),
            capture_output=True, text=True, timeout=120,
        )
    seen["refused"] = refused
    # One full build as of the last night, in a separate warehouse.
    full = Warehouse(root / "full")
    last = FIRST_NIGHT + timedelta(days=NIGHTS - 1)
    seen["full_report"] = run_nightly(last, warehouse=full, landing_dir=landing, full_refresh=True, validate=False, stream=False)
    # A back-dated delivery: new impressions stamped long before the previous knowledge instant.
    seen["before_backdated"] = {
        "release": current_release(warehouse.serving_dir),
        "log": sorted(p.name for p in warehouse.log_dir.iterdir()),
    }
    sample = pd.read_csv(next((landing / "impressions").glob("*.csv")), dtype=str).head(5).copy()
    sample["event_id"] = [f"backdated-{i}" for i in range(len(sample))]
    sample["occurred_at"] = "2026-03-05T09:00:00Z"
    sample["ingested_at"] = "2026-03-05T10:00:00Z"
    sample.to_csv(landing / "impressions" / "redelivered-2026-03-05.csv", index=False)
    seen["backdated_report"] = run_nightly(last + timedelta(days=1), warehouse=warehouse, landing_dir=landing, validate=False, stream=False)
    seen["after_backdated"] = {
        "release": current_release(warehouse.serving_dir),
        "log": sorted(p.name for p in warehouse.log_dir.iterdir()),
    }
    return warehouse, full, landing, seen


def test_rows_arriving_on_a_later_night_land_on_their_event_day(week):
    warehouse, _, _, seen = week
    # Day X is not final on nights A = X+1 and B = X+2 (maturity 3): night B must add exactly
    # the rows for X that arrived between the two nights' knowledge instants.
    day = FIRST_NIGHT
    night_a, night_b = day + timedelta(days=1), day + timedelta(days=2)
    k_a = datetime.combine(night_a + timedelta(days=1), datetime.min.time())
    k_b = datetime.combine(night_b + timedelta(days=1), datetime.min.time())
    arrived_later = _staged_impressions_known_before(warehouse.work_db, day, k_b) - _staged_impressions_known_before(
        warehouse.work_db, day, k_a
    )
    assert arrived_later > 0, "the generated data should deliver some rows for this day a night later"
    assert seen["impressions"][(night_b, day)] - seen["impressions"][(night_a, day)] == arrived_later


def test_killed_run_leaves_publication_intact_and_next_run_recovers(week):
    _, _, _, seen = week
    assert seen["killed_after_models"] >= 1, "the run should have been killed while dbt was building"
    assert seen["dbt_children"], "dbt should have been running when the nightly was killed"
    assert seen["dbt_survivors"] == [], "dbt must die with the nightly process"
    assert seen["after_kill"] == seen["before_kill"]
    assert seen["readable_after_kill"] > 0
    assert seen["reports"][KILL_NIGHT].status == "succeeded"


def test_reader_holding_serving_database_does_not_block_nightly(week):
    _, _, _, seen = week
    assert seen["reports"][READER_NIGHT].status == "succeeded"
    # The reader kept a consistent snapshot of the release it opened.
    assert seen["reader_after"] == seen["reader_before"]


def test_second_nightly_refuses_while_one_runs(week):
    _, _, _, seen = week
    assert seen["refused"].returncode == 75
    assert "another nightly run is in progress" in seen["refused"].stderr


def test_week_of_nightly_runs_equals_one_full_build(week):
    warehouse, full, _, seen = week
    assert seen["full_report"].status == "succeeded", seen["full_report"].error
    for table in ("metrics_daily", "fct_metrics_daily_unsuppressed"):
        with duckdb.connect(str(warehouse.work_db), read_only=True) as con:
            nightly = con.execute(f"select * from {table} order by all").df()
        with duckdb.connect(str(full.work_db), read_only=True) as con:
            rebuilt = con.execute(f"select * from {table} order by all").df()
        assert len(nightly) == len(rebuilt) > 0
        # Same rows and values; floating sums may differ in the last bits only (aggregation order).
        pd.testing.assert_frame_equal(nightly, rebuilt, check_exact=False, rtol=1e-9, atol=1e-12)


STAGED_EVENT_TABLES = (
    "impressions", "prevalence_labels", "user_reports", "moderation_decisions",
    "messages", "user_blocks", "ai_interactions", "ai_eval_judgments",
)


@pytest.mark.parametrize(
    "table",
    [f"stg_platform__{t}" for t in STAGED_EVENT_TABLES] + ["quarantine_rows", "dq_raw_reconciliation"],
)
def test_incremental_staging_and_quarantine_equal_one_full_build(week, table):
    """The incremental event staging, quarantine and reconciliation hold exactly what a full build holds."""
    warehouse, full, _, seen = week
    assert seen["full_report"].status == "succeeded", seen["full_report"].error
    with duckdb.connect(str(warehouse.work_db), read_only=True) as con:
        nightly = con.execute(f"select * from {table} order by all").df()
    with duckdb.connect(str(full.work_db), read_only=True) as con:
        rebuilt = con.execute(f"select * from {table} order by all").df()
    assert len(nightly) == len(rebuilt) > 0
    pd.testing.assert_frame_equal(nightly.reset_index(drop=True), rebuilt.reset_index(drop=True))
    if table == "dq_raw_reconciliation":
        assert nightly["is_reconciled"].all()


def test_run_reports_are_written(week):
    warehouse, _, _, seen = week
    latest = warehouse.runs_dir / "latest"
    assert (latest / "report.json").exists() and (latest / "summary.txt").exists()
    report = seen["reports"][-1]
    assert report.tests.get("pass", 0) > 0
    assert report.published and "metrics_daily" in report.published["tables"]
    # Each model's time, from run_results.json.
    timings = {t["name"]: t["seconds"] for t in report.model_timings}
    assert "metrics_daily" in timings and "stg_platform__impressions" in timings
    assert all(seconds >= 0 for seconds in timings.values()) and sum(timings.values()) > 0


def test_backdated_delivery_names_its_table_and_the_remedy(week):
    warehouse, _, _, seen = week
    report = seen["backdated_report"]
    assert report.status == "failed" and report.failed_step == "dbt build"
    assert "table impressions:" in report.error and "--full-refresh" in report.error
    assert "table users:" not in report.error
    # The failed run's database is kept for inspection, and the report says where.
    assert report.failed_database == str(warehouse.failed_db) and warehouse.failed_db.exists()
    with duckdb.connect(str(warehouse.failed_db), read_only=True) as con:
        unbalanced = con.execute("select table_name from dq_raw_reconciliation where not is_reconciled").fetchall()
    assert unbalanced == [("impressions",)]
    assert str(warehouse.failed_db) in (warehouse.runs_dir / "latest" / "summary.txt").read_text()
    assert seen["after_backdated"] == seen["before_backdated"]
