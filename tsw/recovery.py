"""Promote a nightly build as one unit, and recover from whatever a crash or kill left behind.

A nightly run changes four things readers and later runs depend on: the working database
(`work.duckdb`), the current release (`serving/current`), the published-values log and
the landing ledger. They must move together. The promotion therefore has two phases:

1. **prepare** (nothing visible changes): the scratch build stays at
   `work.building.duckdb`, the release is written to `serving/releases/.<id>.partial`, the
   new log rows to `published_values/.pub-<id>.parquet.tmp`, the new ledger to
   `landing_ledger.json.next`, all flushed to disk;
2. **commit**: the journal `promotion.journal.json` naming those files is written
   atomically (temporary file, fsync, rename). From that moment the promotion is decided;
   the journal is then replayed: rename the scratch database over the working one, the
   pending log file into the log, the ledger into place, the release folder into place,
   switch `current`, prune old releases; finally the journal is deleted.

Every step of the replay is idempotent, so `recover()` (run by every nightly, and by
`tsw restate`, under the warehouse lock before anything else) finishes a promotion whose
journal exists, and otherwise rolls back what an interrupted run prepared: the scratch
database, partial release folders, pending log files, a pending ledger, stray temporary
symlinks. `mark_interrupted_report()` marks a previous run report that still says
`running` as `interrupted`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

JOURNAL_FILE = "promotion.journal.json"


@dataclass(frozen=True)
class Promotion:
    """Everything one promotion moves into place (absolute paths, as strings for JSON)."""

    release_id: str
    scratch_db: str
    work_db: str
    serving_dir: str
    release_tables: dict
    log_pending: str | None
    log_file: str | None
    ledger_pending: str | None
    ledger_file: str | None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_journal(root: Path, promotion: Promotion) -> Path:
    """The commit point: once this returns, the promotion happens (now or at the next start)."""
    journal = root / JOURNAL_FILE
    tmp = root / (JOURNAL_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(promotion), indent=1))
    fsync_file(tmp)
    os.replace(tmp, journal)
    _fsync_dir(root)
    return journal


def read_journal(root: Path) -> Promotion | None:
    journal = root / JOURNAL_FILE
    if not journal.exists():
        return None
    return Promotion(**json.loads(journal.read_text()))


def replay(root: Path, promotion: Promotion, checkpoint=lambda name: None) -> None:
    """Move every prepared file of `promotion` into place (idempotent), then delete the journal."""
    from tsw.publish import Release, activate_release

    scratch = Path(promotion.scratch_db)
    if scratch.exists():
        checkpoint("promote working database")
        os.replace(scratch, promotion.work_db)
    if promotion.log_pending and Path(promotion.log_pending).exists():
        checkpoint("promote log entry")
        os.replace(promotion.log_pending, promotion.log_file)
    if promotion.ledger_pending and Path(promotion.ledger_pending).exists():
        checkpoint("promote landing ledger")
        os.replace(promotion.ledger_pending, promotion.ledger_file)
    checkpoint("switch current release")
    serving = Path(promotion.serving_dir)
    release = Release(release_id=promotion.release_id, path=serving / "releases" / promotion.release_id, tables=promotion.release_tables)
    activate_release(release, serving)
    _fsync_dir(root)
    checkpoint("delete journal")
    (root / JOURNAL_FILE).unlink(missing_ok=True)


def commit(root: Path, promotion: Promotion, checkpoint=lambda name: None) -> None:
    checkpoint("write journal")
    write_journal(root, promotion)
    replay(root, promotion, checkpoint)


def roll_back_prepared(warehouse, release_id: str) -> None:
    """Delete what a failed run prepared for `release_id` (only when no journal was written)."""
    import shutil

    from tsw.audit import pending_log_file
    from tsw.publish import partial_release_dir

    if (warehouse.root / JOURNAL_FILE).exists():
        return
    shutil.rmtree(partial_release_dir(warehouse.serving_dir, release_id), ignore_errors=True)
    pending_log_file(warehouse.log_dir, release_id).unlink(missing_ok=True)
    (warehouse.root / "landing_ledger.json.next").unlink(missing_ok=True)


def recover(warehouse) -> list[str]:
    """Finish or roll back what an interrupted run left; returns one line per action (for the report)."""
    from tsw.publish import remove_partial_releases

    root = warehouse.root
    lines: list[str] = []
    if not root.exists():
        return lines
    journal_tmp = root / (JOURNAL_FILE + ".tmp")
    journal_tmp.unlink(missing_ok=True)
    promotion = read_journal(root)
    if promotion is not None:
        replay(root, promotion)
        lines.append(f"finished the interrupted promotion of release {promotion.release_id} (journal replayed)")
    for leftover in (warehouse.scratch_db, Path(str(warehouse.scratch_db) + ".wal")):
        if leftover.exists():
            leftover.unlink()
            lines.append(f"removed the interrupted run's scratch database {leftover.name}")
    pending_ledger = root / "landing_ledger.json.next"
    for stray in [pending_ledger, pending_ledger.with_name("landing_ledger.json.next.tmp")]:
        if stray.exists():
            stray.unlink()
            lines.append(f"removed the interrupted run's pending ledger {stray.name}")
    if warehouse.log_dir.exists():
        for pending in sorted(warehouse.log_dir.glob(".pub-*.tmp")):
            pending.unlink()
            lines.append(f"removed the interrupted run's pending log file {pending.name}")
    for name in remove_partial_releases(warehouse.serving_dir):
        lines.append(f"removed the partial release folder {name}")
    for folder, pattern in ((warehouse.serving_dir, ".current.*"), (warehouse.runs_dir, ".latest.*")):
        if folder.exists():
            for link in folder.glob(pattern):
                link.unlink()
    return lines


def mark_interrupted_report(runs_dir: Path) -> list[str]:
    """Mark the report `runs/latest` points at as `interrupted` if it still says `running`.

    Called by a nightly run before it writes its own report (the lock guarantees the
    `running` one belongs to a dead run)."""
    report_path = runs_dir / "latest" / "report.json"
    if not report_path.exists():
        return []
    try:
        report = json.loads(report_path.read_text())
    except json.JSONDecodeError:
        return []
    if report.get("status") != "running":
        return []
    last_step = report["steps"][-1]["step"] if report.get("steps") else "start"
    report["status"] = "interrupted"
    report["failed_step"] = report.get("current_step") or last_step
    report["error"] = "the run was killed or crashed (found still 'running' by the next run)"
    tmp = report_path.with_name("report.json.tmp")
    tmp.write_text(json.dumps(report, indent=2, sort_keys=True))
    os.replace(tmp, report_path)
    return [f"the previous run {report_path.parent.resolve().name} was interrupted at step '{report['failed_step']}'"]


def database_is_readable(path: Path) -> str | None:
    """None when the DuckDB file opens and every table can be scanned; else the error text."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            # Every schema: dbt keeps stored test failures in a schema of their own.
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
            for schema, table in tables:
                con.execute(f'select * from "{schema}"."{table}" limit 1').fetchall()
                con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()
    except Exception as exc:  # noqa: BLE001 - any failure to read means corrupt
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def set_aside_corrupt(path: Path) -> Path:
    """Move a corrupt working database out of the way (kept for inspection, the last one)."""
    target = path.with_name(path.stem + ".corrupt" + path.suffix)
    os.replace(path, target)
    wal = Path(str(path) + ".wal")
    if wal.exists():
        os.replace(wal, Path(str(target) + ".wal"))
    return target


def keep_failed(scratch: Path, failed: Path) -> Path | None:
    """Keep a failed run's database for inspection (replacing the previous failed one)."""
    if not scratch.exists():
        return None
    Path(str(failed) + ".wal").unlink(missing_ok=True)
    os.replace(scratch, failed)
    wal = Path(str(scratch) + ".wal")
    if wal.exists():
        os.replace(wal, Path(str(failed) + ".wal"))
    return failed

