"""`tsw restate`: record an announced restatement in the published-values log.

A final value must never change silently: the restatement audit fails the nightly job
when a build's final value differs from the logged one without a version bump. For the
rare case that a published final value *must* change with the same definition (a feed
delivered rows late, a nightly ran as of a wrong date, a landing file was corrected), the
change is announced with this command instead of by editing the log:

    tsw restate --reason "impressions feed re-delivered 2026-08-20..22" --metric impressions

It runs the audit of a candidate build (default: the failed run's database kept by the
nightly, `<warehouse>/work.failed.duckdb`) against the log, takes the differing cells
(optionally only some metrics and days) and appends one log file,
`published_values/pub-restate-<id>.parquet`, with an entry per cell: `correction` (the
candidate's final value) or `retraction` (a logged final cell that is not final in the
candidate). Each entry carries the restatement id and reason; a readable copy of the
record (who, when, why, every cell with its old and new value) goes to
`published_values/restatements/<id>.json`. The next nightly's audit then accepts those
cells; any other change still fails it. A definition change is not a restatement: bump
`metric_version` (and the changelog); the audit lists those by itself.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from tsw import audit
from tsw.paths import WAREHOUSE_DIR


@dataclass
class Restatement:
    restatement_id: str
    reason: str
    database: str
    cells: list[dict] = field(default_factory=list)
    log_file: str | None = None

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for cell in self.cells:
            kinds[cell["entry_kind"]] = kinds.get(cell["entry_kind"], 0) + 1
        counts = ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items())) or "no cells"
        return f"restatement {self.restatement_id}: {counts} ({self.reason})"


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    return value


def _selected(violations: list[dict], metrics: list[str] | None, date_from: date | None, date_to: date | None) -> list[dict]:
    def keep(row: dict) -> bool:
        first = _as_date(row["metric_date"])
        last = _as_date(row["period_end"]) if row.get("table_name") == "metrics_periodic" else first  # a period overlapping the days
        return (
            (not metrics or row["metric_name"] in metrics)
            and (date_from is None or last >= date_from)
            and (date_to is None or first <= date_to)
        )

    return [row for row in violations if keep(row)]


def restate(
    database: Path,
    log_dir: Path,
    *,
    reason: str,
    metrics: list[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    restatement_id: str | None = None,
    dry_run: bool = False,
) -> Restatement:
    """Append correction/retraction entries for the audit's differing cells of `database`."""
    if not reason or not reason.strip():
        raise ValueError("a restatement needs a reason (--reason)")
    log_dir = Path(log_dir)
    restatement_id = restatement_id or "restate-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    result = audit.audit(database, log_dir)
    cells = _selected(result.violations, metrics, date_from, date_to)
    record = Restatement(restatement_id=restatement_id, reason=reason.strip(), database=str(database))
    for cell in cells:
        entry = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in cell.items()}
        entry = {k: (None if isinstance(v, float) and v != v else v) for k, v in entry.items()}  # NaN -> null
        entry["entry_kind"] = "retraction" if cell["change"] == "final row missing" else "correction"
        record.cells.append(entry)
    if dry_run or not cells:
        return record

    target = log_dir / f"pub-{restatement_id}.parquet"
    tmp = log_dir / f".pub-{restatement_id}.parquet.tmp"
    with duckdb.connect(str(database), read_only=True) as con:
        parts = []
        for table in audit.audited_tables(database):
            chosen = [(c, e) for c, e in zip(cells, record.cells) if c.get("table_name", "metrics_daily") == table.name]
            if chosen:
                parts.append(_entries_sql(con, log_dir, table, chosen, restatement_id))
        rows = "\nunion all by name\n".join(parts)
        written = con.execute(f"select count(*) from ({rows})", {"reason": record.reason}).fetchone()[0]
        if written != len(record.cells):
            raise RuntimeError(f"restatement {restatement_id}: matched {written} rows for {len(record.cells)} cells; nothing written")
        con.execute(f"copy ({rows}) to '{tmp}' (format parquet)", {"reason": record.reason})
    trail_dir = log_dir / "restatements"
    trail_dir.mkdir(exist_ok=True)
    payload = {
        "restatement_id": restatement_id,
        "reason": record.reason,
        "recorded_at": datetime.now(timezone.utc).isoformat(),
        "recorded_by": getpass.getuser(),
        "database": record.database,
        "selection": {"metrics": metrics, "from": date_from and date_from.isoformat(), "to": date_to and date_to.isoformat()},
        "log_file": target.name,
        "cells": record.cells,
    }
    (trail_dir / f"{restatement_id}.json").write_text(json.dumps(payload, indent=1, default=str))
    os.replace(tmp, target)  # the log entry is the commit: whole or not at all
    record.log_file = str(target)
    return record


def _entries_sql(con: duckdb.DuckDBPyConnection, log_dir: Path, table: audit.AuditedTable, chosen: list, restatement_id: str) -> str:
    """The correction/retraction log rows of the chosen cells of one logged table."""
    keys = table.key_columns
    view = f"logged_{table.name}"
    con.execute(f"create temp view {view} as {audit._latest_logged_sql(log_dir, table)}")
    dated = {"metric_date", "period_start"}
    selected = f"selected_{table.name}"
    types = ", ".join(f"{k} {'date' if k in dated else 'varchar'}" for k in keys)
    con.execute(f"create temp table {selected} ({types}, entry_kind varchar)")
    con.executemany(
        f"insert into {selected} values ({', '.join('?' for _ in keys)}, ?)",
        [[_as_date(c[k]) if k in dated else c[k] for k in keys] + [e["entry_kind"]] for c, e in chosen],
    )
    matches = " and ".join(f"x.{k} = s.{k}" for k in keys)
    trail = f"'{restatement_id}' as restatement_id, $reason as restatement_reason"
    as_of = f"(select max(as_of_date) from {table.name})"
    log_columns = ", ".join(f"c.{c}" for c in table.log_columns)
    nulls = ", ".join(
        f"null::{'boolean' if c == 'is_suppressed' else 'bigint' if c == 'sample_size' else 'double'} as {c}"
        for c in audit.VALUE_COLUMNS
    )
    logged_columns = ", ".join(f"l.{k}" for k in (*keys, *table.carried_columns))
    return f"""
        select '{table.name}' as published_table, {log_columns}, now() as logged_at, '{restatement_id}' as release_id,
            'correction' as entry_kind, {trail}
        from {table.name} as c
        where c.is_final and exists (
            select 1 from {selected} as s where s.entry_kind = 'correction' and {matches.replace('x.', 'c.')}
        )
        union all by name
        select '{table.name}' as published_table, {logged_columns}, l.metric_version, {nulls}, {as_of} as as_of_date,
            now() as logged_at, '{restatement_id}' as release_id, 'retraction' as entry_kind, {trail}
        from {view} as l
        where exists (
            select 1 from {selected} as s where s.entry_kind = 'retraction' and {matches.replace('x.', 'l.')}
        )
    """


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", required=True, help="Why the published final values change (kept in the log's audit trail).")
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE_DIR, help=f"Warehouse folder (default: {WAREHOUSE_DIR}).")
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="Candidate build whose final values become the reference (default: <warehouse>/work.failed.duckdb, "
        "the database the last failed nightly kept).",
    )
    parser.add_argument("--metric", action="append", default=None, help="Only this metric (repeatable).")
    parser.add_argument("--from", dest="date_from", type=date.fromisoformat, default=None, help="Only metric days on or after (YYYY-MM-DD).")
    parser.add_argument("--to", dest="date_to", type=date.fromisoformat, default=None, help="Only metric days on or before (YYYY-MM-DD).")
    parser.add_argument("--dry-run", action="store_true", help="List the cells that would be restated; write nothing.")


def run(args: argparse.Namespace) -> int:
    from tsw.nightly import NightlyAlreadyRunning, Warehouse, warehouse_lock
    from tsw.recovery import recover

    warehouse = Warehouse(args.warehouse.resolve())
    database = (args.database or warehouse.failed_db).resolve()
    if not database.exists():
        print(f"tsw restate: no candidate database at {database} (pass --database)", file=sys.stderr)
        return 2
    try:
        with warehouse_lock(warehouse):
            for line in recover(warehouse):
                print(f"[tsw restate] {line}")
            record = restate(
                database, warehouse.log_dir, reason=args.reason, metrics=args.metric,
                date_from=args.date_from, date_to=args.date_to, dry_run=args.dry_run,
            )
    except NightlyAlreadyRunning as exc:
        print(f"tsw restate: {exc}", file=sys.stderr)
        return 75
    for cell in record.cells[:20]:
        print(f"  {cell['entry_kind']}: {cell['metric_name']} {cell['metric_date']} "
              f"{'/'.join(str(cell[c]) for c in audit.SEGMENT_COLUMNS)}: {cell['logged_value']} -> {cell['current_value']}")
    if len(record.cells) > 20:
        print(f"  ... {len(record.cells) - 20} more")
    if not record.cells:
        print(f"tsw restate: {database} differs from the log in no selected final cell; nothing to restate")
        return 1
    print(("[dry run] " if args.dry_run else "") + record.summary())
    if record.log_file:
        print(f"recorded in {record.log_file} and {warehouse.log_dir / 'restatements' / (record.restatement_id + '.json')}")
    return 0
