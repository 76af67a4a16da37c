"""`tsw publish`: copy the analyst-facing marts into a new read-only release and switch to it atomically.

Readers never open the database dbt builds into (DuckDB allows one writer or many readers
per file, never both). Each publication is a new release folder

    <serving>/releases/<release_id>/metrics.duckdb
    <serving>/releases/<release_id>/parquet/<table>.parquet

and the symlink <serving>/current is switched to it with one atomic rename. A reader that
holds an older release open keeps reading it undisturbed; new readers get the new one; a
run that dies before the switch leaves `current` pointing at the last good release.

Two phases, so the nightly job can promote a release together with the working database
and the published-values log (tsw/recovery.py): `prepare_release` writes the complete
release into `releases/.<id>.partial`, `activate_release` renames it into place and
switches `current` (both steps idempotent, replayed after a crash).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from tsw.paths import SERVING_DIR, WORK_DB

# The analyst-facing outputs. Restricted models (unsuppressed values, user-level rows,
# quarantine with raw values) are never published.
PUBLISHED_TABLES: tuple[str, ...] = (
    "metrics_daily",
    "metrics_periodic",
    "dim_metrics",
    "fct_enforcement_actions_daily",
    "fct_contact_safety_daily",
    "fct_ai_eval_runs",
    "fct_ai_judge_quality",
    "ai_model_version_comparison",
    "fct_ai_judge_corrected_unsafe_rate",
    "dq_raw_reconciliation",
    "dq_late_beyond_finality",
    "dsa_transparency_report",
    "intervention_effects",
    "intervention_event_study",
    "intervention_experiment_effects",
    # Launch dates for the dashboard's intervention markers (product changes, no user data).
    "stg_platform__interventions",
    # Reference vocabularies analyses join to (age bands and whether they are minors).
    "ref_age_bands",
)
REQUIRED_TABLES: tuple[str, ...] = ("metrics_daily", "dim_metrics")
KEEP_RELEASES = 3


@dataclass
class Release:
    release_id: str
    path: Path
    tables: dict[str, int]  # table -> row count

    @property
    def database(self) -> Path:
        return self.path / "metrics.duckdb"

    def as_dict(self) -> dict:
        return {"release_id": self.release_id, "path": str(self.path), "tables": self.tables}


def current_release(serving_dir: Path = SERVING_DIR) -> Path | None:
    """The release folder readers currently get, or None before the first publication."""
    link = serving_dir / "current"
    return link.resolve() if link.exists() else None


def serving_database(serving_dir: Path = SERVING_DIR, *, resolve: bool = True) -> Path:
    """The database readers open read-only: <serving>/current/metrics.duckdb.

    Resolved to the concrete release file by default: DuckDB caches one database instance
    per path string inside a process, so a long-lived reader that reconnects through the
    unresolved symlink would keep getting the release it opened first.
    """
    path = serving_dir / "current" / "metrics.duckdb"
    return path.resolve() if resolve else path


def _existing_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'main'",
        [catalog],
    ).fetchall()
    return {row[0] for row in rows}


def publish(
    work_db: Path,
    serving_dir: Path = SERVING_DIR,
    *,
    release_id: str | None = None,
    as_of_date: date | None = None,
    keep: int = KEEP_RELEASES,
) -> Release:
    """Publish the analyst-facing tables of `work_db` as a new release and make it current."""
    prepared = prepare_release(work_db, serving_dir, release_id=release_id, as_of_date=as_of_date)
    return activate_release(prepared, serving_dir, keep=keep)


def partial_release_dir(serving_dir: Path, release_id: str) -> Path:
    return Path(serving_dir).resolve() / "releases" / f".{release_id}.partial"


def prepare_release(
    work_db: Path,
    serving_dir: Path = SERVING_DIR,
    *,
    release_id: str | None = None,
    as_of_date: date | None = None,
) -> Release:
    """Write a complete release into `releases/.<id>.partial` (invisible to readers until activated)."""
    work_db = Path(work_db).resolve()
    if not work_db.exists():
        raise FileNotFoundError(f"no built database at {work_db}: run `tsw build` or `tsw nightly` first")
    serving_dir = Path(serving_dir).resolve()
    releases = serving_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    release_id = release_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    staging_dir = partial_release_dir(serving_dir, release_id)
    shutil.rmtree(staging_dir, ignore_errors=True)
    (staging_dir / "parquet").mkdir(parents=True)

    counts: dict[str, int] = {}
    con = duckdb.connect(str(staging_dir / "metrics.duckdb"))
    try:
        con.execute(f"attach '{work_db}' as work (read_only)")
        available = _existing_tables(con, "work")
        missing = [t for t in REQUIRED_TABLES if t not in available]
        if missing:
            raise RuntimeError(f"cannot publish: {work_db} lacks {', '.join(missing)}")
        for table in PUBLISHED_TABLES:
            if table not in available:
                continue
            con.execute(f"create table main.{table} as select * from work.main.{table}")
            counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
            parquet_path = staging_dir / "parquet" / f"{table}.parquet"
            con.execute(f"copy main.{table} to '{parquet_path}' (format parquet)")
        con.execute("detach work")
        con.execute(
            "create table main.publication as select ? as release_id, ? as as_of_date, ? as published_at, ? as tables",
            [release_id, as_of_date, datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(counts)],
        )
        con.execute("checkpoint")
    except BaseException:
        con.close()
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    con.close()
    _fsync_tree(staging_dir)
    return Release(release_id=release_id, path=releases / release_id, tables=counts)


def activate_release(release: Release, serving_dir: Path = SERVING_DIR, *, keep: int = KEEP_RELEASES) -> Release:
    """Move a prepared release into place and switch `current` to it; idempotent (replayed by recovery)."""
    serving_dir = Path(serving_dir).resolve()
    staging_dir = partial_release_dir(serving_dir, release.release_id)
    if staging_dir.exists():
        if release.path.exists():  # a replay after a kill between rename and switch cannot get here; be safe
            shutil.rmtree(release.path)
        staging_dir.rename(release.path)
    if not release.path.exists():
        raise RuntimeError(f"release {release.release_id} is neither prepared nor in place under {serving_dir}")
    _switch_current(serving_dir, release.path)
    _prune(serving_dir / "releases", keep=keep, current=release.path)
    return release


def _fsync_tree(folder: Path) -> None:
    """Flush a release's files to disk before it can be switched to (a crash cannot leave it half-written)."""
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _switch_current(serving_dir: Path, release_dir: Path) -> None:
    """Point <serving>/current at release_dir with a single atomic rename."""
    tmp_link = serving_dir / f".current.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path("releases") / release_dir.name)
    os.replace(tmp_link, serving_dir / "current")


def remove_partial_releases(serving_dir: Path) -> list[str]:
    """Delete leftovers of interrupted publications; returns their names."""
    releases = Path(serving_dir) / "releases"
    removed = []
    for partial in sorted(releases.glob(".*.partial")) if releases.exists() else []:
        shutil.rmtree(partial, ignore_errors=True)
        removed.append(partial.name)
    return removed


def _prune(releases: Path, *, keep: int, current: Path) -> None:
    """Keep the newest `keep` releases; leftovers of interrupted publications are removed too."""
    remove_partial_releases(releases.parent)
    finished = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-keep]:
        if old.resolve() != current.resolve():
            # A reader holding a file of this release keeps it open: unlinking does not disturb it.
            shutil.rmtree(old, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", type=Path, default=WORK_DB, help=f"Built database to publish from (default: {WORK_DB}).")
    parser.add_argument("--serving-dir", type=Path, default=SERVING_DIR, help=f"Serving folder (default: {SERVING_DIR}).")


def run(args: argparse.Namespace) -> int:
    release = publish(args.database, args.serving_dir)
    print(f"published release {release.release_id} -> {serving_database(args.serving_dir, resolve=False)}")
    for table, rows in release.tables.items():
        print(f"  {table}: {rows} rows")
    return 0
