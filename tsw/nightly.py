"""`tsw nightly`: the unattended nightly job.

One run for run date D (the as-of date; default yesterday UTC, the last day whose
knowledge instant has passed):

1. take the warehouse lock (a second run refuses with a clear message), write the run
   report (status `running`) and point `runs/latest` at it;
2. recover: finish a promotion an earlier run committed but did not complete, or roll
   back what it left prepared (tsw/recovery.py);
3. refuse an as-of date after today (UTC) unless `--now` states a replay's "now";
   check that the working database is readable (a corrupt one is set aside and rebuilt
   from the landing directory with a full refresh); check the landing ledger (an
   already-read landing file changed or gone fails the run, tsw/ledger.py);
4. copy the last good working database to a scratch copy and `dbt build` into the copy
   (incremental models recompute only days that are not final yet), as of D;
5. gates: every dbt test (errors fail the run, warnings are reported as anomalies; an
   unbalanced reconciliation names its table and the remedy), the freshness gate
   (tsw/freshness.py), the restatement audit against the published-values log, the Great
   Expectations checkpoint;
6. only if every gate passed: prepare the release, the log entry and the new ledger, then
   promote them with the scratch database as one unit (journal, tsw/recovery.py);
7. write the run report (JSON and a short text summary, with each model's time).

A failed run never touches the working database, the current release or the log; its
scratch database is kept as `work.failed.duckdb` for inspection (the last one). A killed
run is rolled back or forward by the next start. The lock is an flock, so a killed run
cannot leave it held, and dbt dies with the run (tsw/dbt_runner.py).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from tsw import audit as restatement
from tsw import freshness, ledger, recovery
from tsw.clock import add_now_argument, check_as_of
from tsw.dbt_runner import BuildConfig, DbtError, run_dbt, run_results
from tsw.paths import WAREHOUSE_DIR


class NightlyAlreadyRunning(RuntimeError):
    """Another nightly run holds the warehouse lock."""


@dataclass(frozen=True)
class Warehouse:
    """The files of one warehouse: what is built, served, logged and reported."""

    root: Path

    @property
    def work_db(self) -> Path:
        return self.root / "work.duckdb"

    @property
    def scratch_db(self) -> Path:
        return self.root / "work.building.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.root / "serving"

    @property
    def log_dir(self) -> Path:
        return self.root / "published_values"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def data_docs_dir(self) -> Path:
        return self.root / "data_docs"

    @property
    def dashboard(self) -> Path:
        return self.root / "dashboard.html"

    @property
    def lock_file(self) -> Path:
        return self.root / "nightly.lock"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt_target"

    @property
    def failed_db(self) -> Path:
        return self.root / "work.failed.duckdb"

    @property
    def ledger_file(self) -> Path:
        return self.root / ledger.LEDGER_FILE

    @property
    def ledger_pending(self) -> Path:
        return self.root / (ledger.LEDGER_FILE + ".next")


@contextmanager
def warehouse_lock(warehouse: Warehouse) -> Iterator[None]:
    """Exclusive, non-blocking lock; released by the kernel even if the process is killed."""
    warehouse.root.mkdir(parents=True, exist_ok=True)
    handle = open(warehouse.lock_file, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise NightlyAlreadyRunning(
                f"another nightly run is in progress on {warehouse.root} ({holder}); "
                "refusing to start. It will finish or fail on its own; nothing was changed."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started_at": _now().isoformat()}))
        handle.flush()
        yield
    finally:
        handle.close()


@dataclass
class RunReport:
    run_date: str
    started_at: str
    source: str
    status: str = "running"
    failed_step: str | None = None
    error: str | None = None
    duration_seconds: float = 0.0
    full_refresh: bool = False
    rows: dict = field(default_factory=dict)
    tests: dict = field(default_factory=dict)
    anomalies: list = field(default_factory=list)
    restatements: list = field(default_factory=list)
    published: dict | None = None
    logged_rows: int = 0
    steps: list = field(default_factory=list)
    current_step: str | None = None
    recovery: list = field(default_factory=list)
    landing: dict = field(default_factory=dict)
    freshness: list = field(default_factory=list)
    model_timings: list = field(default_factory=list)
    failed_database: str | None = None

    def summary(self) -> str:
        lines = [
            f"nightly run {self.run_date}: {self.status.upper()} in {self.duration_seconds:.0f} s ({self.source})",
        ]
        for line in self.recovery:
            lines.append(f"recovery: {line}")
        if self.failed_step:
            lines.append(f"failed at: {self.failed_step}: {(self.error or '').splitlines()[0] if self.error else ''}")
            lines += [f"  {line}" for line in (self.error or "").splitlines()[1:8]]
        if self.failed_database:
            lines.append(f"failed run's database kept for inspection: {self.failed_database}")
        if self.tests:
            lines.append("dbt tests: " + ", ".join(f"{k} {v}" for k, v in sorted(self.tests.items())))
        if self.rows:
            staged = sum(r.get("staged_rows", 0) for r in self.rows.values())
            quarantined = sum(r.get("quarantined_rows", 0) for r in self.rows.values())
            lines.append(f"rows staged: {staged}, quarantined: {quarantined}")
        if self.landing:
            lines.append(f"landing files: {self.landing.get('files', 0)} ({self.landing.get('new_files', 0)} new)")
        stale = [f["table_name"] for f in self.freshness if f.get("stale")]
        if self.freshness:
            lines.append("freshness: " + (f"STALE {', '.join(stale)}" if stale else "every gated feed delivered up to the knowledge instant"))
        if self.model_timings:
            slowest = ", ".join(f"{t['name']} {t['seconds']:.1f} s" for t in self.model_timings[:5])
            lines.append(f"slowest models: {slowest} (all {len(self.model_timings)} in report.json)")
        lines.append(f"anomalies (warnings): {len(self.anomalies)}")
        for anomaly in self.anomalies:
            # test.tsw.<name>.<hash>: the name says what fired (e.g. a judge-quality gate)
            name = anomaly.get("test", "").split(".")
            label = name[2] if len(name) >= 3 else anomaly.get("test", "")
            lines.append(f"  {label}: {anomaly.get('failures', '?')} rows")
        lines.append(f"versioned restatements: {len(self.restatements)}")
        if self.published:
            lines.append(f"published release {self.published['release_id']}: " + ", ".join(
                f"{t} ({n} rows)" for t, n in self.published["tables"].items()
            ))
        else:
            lines.append("published: nothing (the previous release stays current)")
        return "\n".join(lines)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _test_outcomes(config: BuildConfig) -> tuple[dict, list]:
    """Counts of dbt test statuses, and the warned tests (anomalies) from run_results.json."""
    try:
        results = run_results(config)["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return {}, []
    counts: dict[str, int] = {}
    anomalies = []
    for result in results:
        if not result["unique_id"].startswith(("test.", "unit_test.")):
            continue
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if result["status"] == "warn":
            anomalies.append({"test": result["unique_id"], "message": result.get("message"), "failures": result.get("failures")})
    return counts, anomalies


def _model_timings(config: BuildConfig) -> list[dict]:
    """Each model's (and seed's) execution time from run_results.json, slowest first."""
    try:
        results = run_results(config)["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        return []
    timings = [
        {"name": r["unique_id"].split(".")[-1], "node": r["unique_id"], "status": r["status"],
         "seconds": round(float(r.get("execution_time") or 0.0), 3)}
        for r in results if r["unique_id"].startswith(("model.", "seed.", "snapshot."))
    ]
    return sorted(timings, key=lambda t: -t["seconds"])


def _unbalanced_tables(database: Path) -> list[dict]:
    import duckdb

    try:
        with duckdb.connect(str(database), read_only=True) as con:
            df = con.execute("select * from dq_raw_reconciliation where not is_reconciled order by table_name").df()
    except Exception:  # noqa: BLE001 - the diagnosis is best effort; the dbt error stands
        return []
    return df.to_dict("records")


def _diagnose_build_failure(exc: DbtError, config: BuildConfig) -> str:
    """Name the raw tables whose reconciliation failed (a back-dated delivery) and the remedy."""
    try:
        results = run_results(config)["results"]
    except (FileNotFoundError, KeyError, json.JSONDecodeError):
        results = []
    failing = [r["unique_id"] for r in results if r["status"] in ("fail", "error")]
    # Diagnose from the data, not from test names (the reconciliation test has a custom
    # name that tells the reader the remedy): any failing build whose reconciliation does
    # not balance is named table by table.
    reconciliation_tests = [n for n in failing if "dq_raw_reconciliation" in n or "raw_rows_reconcile" in n]
    unbalanced = _unbalanced_tables(config.db_path) if failing else []
    if not unbalanced and not reconciliation_tests:
        return str(exc)
    lines = ["raw rows unaccounted for (dq_raw_reconciliation does not balance): a back-dated delivery?"]
    for row in unbalanced:
        parts = ("staged_rows", "duplicate_rows", "quarantined_rows", "not_yet_known_rows")
        accounted = sum(int(row.get(p) or 0) for p in parts)
        lines.append(
            f"  table {row['table_name']}: {int(row['raw_rows'])} raw rows in the landing files, {accounted} accounted for "
            f"({', '.join(f'{p} {int(row.get(p) or 0)}' for p in parts)})"
        )
    if not unbalanced:
        lines.append("  (the failing test is " + ", ".join(reconciliation_tests) + ")")
    lines.append(
        "Rows were delivered with an ingested_at before the previous run's knowledge instant, so the nightly cannot "
        "place them. Remedy: `tsw nightly --full-refresh` (its restatement audit shows which final values move; record "
        "an intended change with `tsw restate`), or remove the back-dated file if it was delivered by mistake."
    )
    return "\n".join(lines) + "\n\n" + str(exc)


def _reconciliation(database: Path) -> dict:
    import duckdb

    try:
        with duckdb.connect(str(database), read_only=True) as con:
            df = con.execute("select * from dq_raw_reconciliation").df()
    except Exception:  # noqa: BLE001 - the report is best effort; the gates decide
        return {}
    return {row["table_name"]: {k: (int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                                for k, v in row.items() if k != "table_name"}
            for row in df.to_dict("records")}


def run_nightly(
    run_date: date,
    *,
    warehouse: Warehouse,
    landing_dir: Path | None = None,
    full_refresh: bool = False,
    validate: bool = True,
    stream: bool = True,
    now: date | None = None,
    freshness_config: Path | None = None,
    absent_raw_tables: list[str] | None = None,
) -> RunReport:
    """Run the nightly job for `run_date`; returns the report (also written to disk).

    `now` states "today" for replays of historical or generated data (see tsw/clock.py).
    """
    started = time.monotonic()
    report = RunReport(
        run_date=run_date.isoformat(),
        started_at=_now().isoformat(),
        source=f"landing {landing_dir}" if landing_dir else "demo seeds",
        full_refresh=full_refresh,
    )
    release_id = _now().strftime("%Y%m%dT%H%M%S%fZ") + f"-{run_date.isoformat()}"
    with warehouse_lock(warehouse):
        step = "recover"

        def checkpoint(name: str) -> None:
            report.current_step = name
            _progress(report, name, stream)
            _write_report(report, warehouse, release_id)
            _test_hooks(name)

        try:
            interrupted = recovery.mark_interrupted_report(warehouse.runs_dir)
            checkpoint("recover: finish or roll back an interrupted run")
            report.recovery = interrupted + recovery.recover(warehouse)
            for line in report.recovery:
                _progress(report, f"recovery: {line}", stream)

            step = "as-of check"
            check_as_of(run_date, now=now)

            step = "working database check"
            if warehouse.work_db.exists() and not full_refresh:
                checkpoint("check the working database")
                problem = recovery.database_is_readable(warehouse.work_db)
                if problem:
                    kept = recovery.set_aside_corrupt(warehouse.work_db)
                    full_refresh = report.full_refresh = True
                    line = (f"working database {warehouse.work_db.name} is unreadable ({problem}); set aside as "
                            f"{kept.name} and rebuilt from the {report.source} with a full refresh")
                    report.recovery.append(line)
                    _progress(report, f"recovery: {line}", stream)

            ledger_check = None
            if landing_dir is not None:
                step = "landing ledger"
                checkpoint("landing ledger: every landing file read before is unchanged")
                if not Path(landing_dir).is_dir():
                    raise FileNotFoundError(f"landing directory not found: {landing_dir}")
                ledger_check = ledger.check(Path(landing_dir), warehouse.ledger_file, full_refresh=full_refresh)
                report.landing = ledger_check.summary()
                if not ledger_check.ok:
                    raise ledger.LandingChanged(ledger_check.message(Path(landing_dir)))

            step = "prepare"
            checkpoint("prepare: scratch copy of the last good working database")
            if warehouse.work_db.exists() and not full_refresh:
                shutil.copyfile(warehouse.work_db, warehouse.scratch_db)
            config = BuildConfig(
                db_path=warehouse.scratch_db,
                as_of_date=run_date,
                landing_dir=landing_dir,
                target_path=warehouse.dbt_target,
                extra_vars={"absent_raw_tables": absent_raw_tables} if absent_raw_tables else {},
            )

            step = "dbt build"
            checkpoint(f"dbt build as of {run_date} ({'full refresh' if full_refresh else 'incremental'})")
            args = ["build"]
            # The base views' dedup-rank tests check the dedup macro by re-ranking every raw
            # row: `make test` and `tsw build` run them, the nightly job does not (its staged
            # tables keep their unique-key tests).
            excluded = ["tag:base_view_key"]
            if landing_dir is not None:
                excluded.append("tag:raw_demo")
            if full_refresh:
                args.append("--full-refresh")
            args += ["--exclude", *excluded]
            try:
                run_dbt(args, config, stream=stream)
            except DbtError as exc:
                raise RuntimeError(_diagnose_build_failure(exc, config)) from None
            finally:
                report.tests, report.anomalies = _test_outcomes(config)
                report.model_timings = _model_timings(config)
            report.rows = _reconciliation(warehouse.scratch_db)

            step = "freshness gate"
            checkpoint("freshness gate: every feed delivered up to the knowledge instant")
            fresh = freshness.check(
                warehouse.scratch_db, run_date, config=freshness_config, wall_clock=now is None, exempt=absent_raw_tables
            )
            report.freshness = [f.as_dict() for f in fresh.feeds]
            if not fresh.passed:
                raise freshness.StaleFeeds(fresh.message())

            step = "restatement audit"
            checkpoint("restatement audit against the published-values log")
            result = restatement.audit(warehouse.scratch_db, warehouse.log_dir)
            report.restatements = [_jsonable(r) for r in result.restatements]
            if not result.passed:
                raise RuntimeError(
                    result.summary() + "\nIf the change is intended and announced, record it with "
                    "`tsw restate --reason ...` (it reads this run's kept database) and rerun; never edit the log."
                )

            if validate:
                step = "great expectations"
                checkpoint("Great Expectations checkpoint")
                from tsw.validate import run_checkpoint

                outcome = run_checkpoint(warehouse.scratch_db, warehouse.data_docs_dir)
                if not outcome.success:
                    raise RuntimeError(f"Great Expectations checkpoint failed: {outcome.summary()}")

            step = "publish"
            from tsw.publish import prepare_release

            checkpoint("publish: prepare the release")
            _flush_database(warehouse.scratch_db)
            release = prepare_release(warehouse.scratch_db, warehouse.serving_dir, release_id=release_id, as_of_date=run_date)
            checkpoint("publish: prepare the log entry")
            logged = restatement.prepare_log_rows(warehouse.scratch_db, warehouse.log_dir, release_id=release_id)
            if ledger_check is not None:
                checkpoint("publish: prepare the landing ledger")
                ledger.write(warehouse.ledger_pending, ledger_check.entries, landing_dir=Path(landing_dir))
            promotion = recovery.Promotion(
                release_id=release_id,
                scratch_db=str(warehouse.scratch_db),
                work_db=str(warehouse.work_db),
                serving_dir=str(warehouse.serving_dir.resolve()),
                release_tables=release.tables,
                log_pending=str(restatement.pending_log_file(warehouse.log_dir, release_id)) if logged else None,
                log_file=str(restatement.log_file_for(warehouse.log_dir, release_id)) if logged else None,
                ledger_pending=str(warehouse.ledger_pending) if ledger_check is not None else None,
                ledger_file=str(warehouse.ledger_file) if ledger_check is not None else None,
            )
            recovery.commit(warehouse.root, promotion, checkpoint)
            report.published = release.as_dict()
            report.logged_rows = logged
            report.status = "succeeded"
            _render_dashboard(warehouse, report, stream)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none publishes
            report.status = "failed"
            report.failed_step = step
            report.error = str(exc)
            if (warehouse.root / recovery.JOURNAL_FILE).exists():
                report.error += "\n(the promotion was committed: the next run finishes it)"
            else:
                recovery.roll_back_prepared(warehouse, release_id)
                kept = recovery.keep_failed(warehouse.scratch_db, warehouse.failed_db)
                report.failed_database = str(kept) if kept else None
        finally:
            report.current_step = None
            report.duration_seconds = round(time.monotonic() - started, 2)
            _write_report(report, warehouse, release_id)
    return report


def _render_dashboard(warehouse: Warehouse, report: RunReport, stream: bool) -> None:
    """Regenerate the dashboard from the release just published (best effort: the release stands)."""
    _progress(report, f"dashboard from the new release: {warehouse.dashboard}", stream)
    try:
        from tsw.dashboard import write_dashboard

        write_dashboard(warehouse.serving_dir, warehouse.dashboard)
    except Exception as exc:  # noqa: BLE001 - a dashboard failure must not undo a good publication
        report.steps.append({"at": _now().isoformat(), "step": f"dashboard failed: {exc}"})


def _flush_database(database: Path) -> None:
    """Checkpoint the scratch database into its file and flush it, before it can be promoted."""
    import duckdb

    with duckdb.connect(str(database)) as con:
        con.execute("checkpoint")
    recovery.fsync_file(database)


def _test_hooks(step: str) -> None:
    """Test-only hooks: TSW_NIGHTLY_TRACE (append "<epoch seconds> <step>"), TSW_NIGHTLY_STEP_DELAY
    (pause, s), TSW_NIGHTLY_KILL_AT (SIGKILL the run when it reaches the named step)."""
    trace = os.environ.get("TSW_NIGHTLY_TRACE")
    if trace:
        with open(trace, "a") as handle:
            handle.write(f"{time.time():.3f} {step}\n")
    delay = os.environ.get("TSW_NIGHTLY_STEP_DELAY")
    if delay:
        time.sleep(float(delay))
    if os.environ.get("TSW_NIGHTLY_KILL_AT") == step:  # TSW_NIGHTLY_KILL_AT: SIGKILL itself at this step
        os.kill(os.getpid(), signal.SIGKILL)


def _progress(report: RunReport, message: str, stream: bool) -> None:
    report.steps.append({"at": _now().isoformat(), "step": message})
    if stream:
        print(f"[tsw nightly] {message}", flush=True)


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def _write_report(report: RunReport, warehouse: Warehouse, release_id: str) -> Path:
    folder = warehouse.runs_dir / release_id
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("report.json", json.dumps(report.__dict__, indent=2, default=str, sort_keys=True)),
        ("summary.txt", report.summary() + "\n"),
    ):
        tmp_file = folder / f".{name}.tmp"
        tmp_file.write_text(text)
        os.replace(tmp_file, folder / name)
    latest = warehouse.runs_dir / "latest"
    if latest.is_symlink() and os.readlink(latest) == folder.name:
        return folder
    tmp = warehouse.runs_dir / f".latest.{os.getpid()}"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(folder.name)
    os.replace(tmp, latest)
    return folder


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="Run date = as-of date (YYYY-MM-DD). Default: yesterday (UTC), the last day whose knowledge instant has passed.",
    )
    parser.add_argument(
        "--landing-dir",
        type=Path,
        default=None,
        help="Build from a landing directory (<dir>/<table>/*.csv|*.parquet) instead of the demo seeds.",
    )
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE_DIR, help=f"Warehouse folder (default: {WAREHOUSE_DIR}).")
    parser.add_argument("--full-refresh", action="store_true", help="Rebuild everything from scratch (backfills).")
    parser.add_argument("--skip-validation", action="store_true", help="Skip the Great Expectations checkpoint (not for production).")
    parser.add_argument(
        "--freshness-config",
        type=Path,
        default=None,
        help="Per-table freshness thresholds (YAML, default: config/freshness.yml).",
    )
    parser.add_argument(
        "--absent-raw-table",
        action="append",
        default=[],
        metavar="TABLE",
        help="A raw table the landing directory does not deliver (no folder): builds it empty instead of failing.",
    )
    add_now_argument(parser)


def run(args: argparse.Namespace) -> int:
    run_date = args.date or (_now().date() - timedelta(days=1))
    try:
        report = run_nightly(
            run_date,
            warehouse=Warehouse(args.warehouse.resolve()),
            landing_dir=args.landing_dir,
            full_refresh=args.full_refresh,
            validate=not args.skip_validation,
            now=args.now,
            freshness_config=args.freshness_config,
            absent_raw_tables=args.absent_raw_table,
        )
    except NightlyAlreadyRunning as exc:
        print(f"tsw nightly: {exc}", file=sys.stderr)
        return 75  # EX_TEMPFAIL: try again later
    print(report.summary())
    return 0 if report.status == "succeeded" else 1
