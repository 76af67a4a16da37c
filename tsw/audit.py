"""The published-values log and the restatement audit.

Every publication appends the final rows of `metrics_daily` (with `metric_version` and
`as_of_date`) to an append-only log of Parquet files, one file per publication. Before the
next publication, the audit compares the freshly built final rows with the latest logged
value of each cell:

* same `metric_version`, different value (or the row disappeared): a silent restatement.
  The audit fails and the nightly job does not publish.
* different `metric_version`: an announced restatement (a definition change). It is listed
  in the restatement report, and the new values are logged.

Only rows whose value is not yet logged (newly final, or restated with a version bump) are
appended, so the log grows by about one day of final rows per night while still holding,
for every final cell, the value readers were given.

Each log row has an `entry_kind`: `published` (a publication), `correction` (an announced
restatement of a final value without a version bump, recorded by `tsw restate` with its
reason and id) or `retraction` (a logged final cell that should never have been final,
e.g. after a publication as of a wrong date; the cell is no longer checked until it is
final again). The latest entry of a cell (by `logged_at`) is the reference, so nobody
needs to edit the log by hand.

`metrics_periodic` is logged and audited the same way, in the same log files: a period is
final when its last day is final, and its cell is keyed by (metric_name, period_grain,
period_start, six segment columns) instead of metric_date. Every log row names its table
in `published_table` (log files written before periods were logged lack it: they hold
`metrics_daily` rows only). A database without `metrics_periodic` is audited on
`metrics_daily` alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SEGMENT_COLUMNS = ("age_band", "region", "plan", "surface", "policy_category", "feature")
KEY_COLUMNS = ("metric_name", "metric_date", *SEGMENT_COLUMNS)
VALUE_COLUMNS = ("numerator", "denominator", "value", "sample_size", "ci_lower", "ci_upper", "is_suppressed")
LOG_COLUMNS = (*KEY_COLUMNS, "metric_version", *VALUE_COLUMNS, "as_of_date")
# Columns added with `tsw restate`; log files written before it lack them (read as `published`).
TRAIL_COLUMNS = ("entry_kind", "restatement_id", "restatement_reason")
# Sums computed in a different order (incremental vs full build) may differ in the last bits.
RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class AuditedTable:
    """A published metrics table whose final rows are logged: its name, cell key and logged columns."""

    name: str
    key_columns: tuple[str, ...]
    carried_columns: tuple[str, ...] = ()  # logged and reported, not part of the key

    @property
    def log_columns(self) -> tuple[str, ...]:
        return (*self.key_columns, *self.carried_columns, "metric_version", *VALUE_COLUMNS, "as_of_date")


DAILY = AuditedTable("metrics_daily", KEY_COLUMNS)
PERIODIC = AuditedTable(
    "metrics_periodic",
    ("metric_name", "period_grain", "period_start", *SEGMENT_COLUMNS),
    carried_columns=("metric_date", "period_end"),  # metric_date is the period's first day
)
AUDITED_TABLES = (DAILY, PERIODIC)


@dataclass
class AuditResult:
    checked_rows: int
    violations: list[dict] = field(default_factory=list)
    restatements: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        text = f"{self.checked_rows} logged final rows checked: {len(self.violations)} silent changes, {len(self.restatements)} versioned restatements"
        for row in self.violations[:10]:
            text += f"\n  CHANGED WITHOUT VERSION BUMP: {row}"
        return text


def _differs(column: str) -> str:
    if column in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
        return (
            f"(c.{column} is null) <> (l.{column} is null) or "
            f"abs(c.{column} - l.{column}) > {RELATIVE_TOLERANCE} * greatest(1, abs(l.{column}))"
        )
    return f"c.{column} is distinct from l.{column}"


def _log_files(log_dir: Path) -> list[Path]:
    return sorted(Path(log_dir).glob("pub-*.parquet"))


def _trail_expressions(present: set[str]) -> str:
    """The trail columns, defaulted for log files written before `tsw restate` existed."""
    expressions = []
    for column in TRAIL_COLUMNS:
        default = "'published'" if column == "entry_kind" else "null::varchar"
        expressions.append(f"coalesce({column}, {default}) as {column}" if column in present else f"{default} as {column}")
    return ", ".join(expressions)


def _latest_logged_sql(log_dir: Path, table: AuditedTable = DAILY, *, include_retracted: bool = False) -> str:
    """The latest log entry of every cell of `table` (retracted cells left out unless asked for)."""
    files = ", ".join(f"'{p}'" for p in _log_files(log_dir))
    source = f"read_parquet([{files}], union_by_name = true)"
    with duckdb.connect() as con:
        present = {row[0] for row in con.execute(f"describe select * from {source}").fetchall()}
    excluded = [c for c in (*TRAIL_COLUMNS, "published_table") if c in present]
    star = f"* exclude ({', '.join(excluded)})" if excluded else "*"
    retracted = "" if include_retracted else "and entry_kind <> 'retraction'"
    logged_table = "coalesce(published_table, 'metrics_daily')" if "published_table" in present else "'metrics_daily'"
    if not set(table.log_columns) <= present:  # nothing of this table logged yet
        return _empty_log_sql(table)
    return f"""
        select * exclude (rn) from (
            select *, row_number() over (
                partition by {", ".join(table.key_columns)} order by logged_at desc, as_of_date desc
            ) as rn
            from (
                select {star}, {_trail_expressions(present)} from {source}
                where {logged_table} = '{table.name}'
            )
        ) where rn = 1 {retracted}
    """


def _empty_log_sql(table: AuditedTable) -> str:
    """No logged cell of `table`, with the log's column types."""

    def typed(column: str) -> str:
        if column in ("metric_date", "period_start", "period_end", "as_of_date"):
            return "date"
        return {"metric_version": "integer", "sample_size": "bigint", "is_suppressed": "boolean"}.get(
            column, "double" if column in VALUE_COLUMNS else "varchar"
        )

    columns = ", ".join(f"null::{typed(c)} as {c}" for c in (*table.log_columns, *TRAIL_COLUMNS))
    return f"select {columns}, null::timestamp as logged_at, null::varchar as release_id where false"


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0] > 0


def audited_tables(database: Path) -> tuple[AuditedTable, ...]:
    """The logged tables `database` holds: metrics_daily always, metrics_periodic when built."""
    with duckdb.connect(str(database), read_only=True) as con:
        return tuple(t for t in AUDITED_TABLES if t is DAILY or _has_table(con, t.name))


def audit(database: Path, log_dir: Path) -> AuditResult:
    """Compare the final rows of `database`'s metrics_daily and metrics_periodic with the published-values log."""
    if not _log_files(log_dir):
        return AuditResult(checked_rows=0)
    results = [_audit_table(database, log_dir, table) for table in audited_tables(database)]
    return AuditResult(
        checked_rows=sum(r.checked_rows for r in results),
        violations=[row for r in results for row in r.violations],
        restatements=[row for r in results for row in r.restatements],
    )


def _audit_table(database: Path, log_dir: Path, table: AuditedTable) -> AuditResult:
    """Compare the final rows of one table with the latest logged value of each of its cells."""
    keys = " and ".join(f"c.{k} = l.{k}" for k in table.key_columns)
    changed = " or ".join(f"({_differs(c)})" for c in VALUE_COLUMNS)
    reported = [k for k in (*table.key_columns, *table.carried_columns) if k not in SEGMENT_COLUMNS]
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"create temp view logged as {_latest_logged_sql(log_dir, table)}")
        con.execute(f"create temp view current_final as select * from {table.name} where is_final")
        checked = con.execute("select count(*) from logged").fetchone()[0]
        compared = con.execute(
            f"""
            select '{table.name}' as table_name, {", ".join("l." + k for k in reported)},
                {", ".join("l." + s for s in SEGMENT_COLUMNS)},
                l.metric_version as logged_version, c.metric_version as current_version,
                l.value as logged_value, c.value as current_value,
                l.as_of_date as logged_as_of_date,
                case
                    when c.metric_name is null then 'final row missing'
                    when c.metric_version <> l.metric_version then 'version bump'
                    else 'value changed'
                end as change
            from logged as l
            left join current_final as c on {keys}
            where c.metric_name is null or c.metric_version <> l.metric_version or {changed}
            order by {", ".join("l." + k for k in reported)}
            """
        ).df()
    rows = compared.to_dict("records")
    violations = [r for r in rows if r["change"] != "version bump"]
    restatements = [r for r in rows if r["change"] == "version bump"]
    return AuditResult(checked_rows=checked, violations=violations, restatements=restatements)


def log_file_for(log_dir: Path, release_id: str) -> Path:
    return Path(log_dir) / f"pub-{release_id}.parquet"


def pending_log_file(log_dir: Path, release_id: str) -> Path:
    """Where a publication's log rows wait until the promotion renames them into the log."""
    return Path(log_dir) / f".pub-{release_id}.parquet.tmp"


def append_to_log(database: Path, log_dir: Path, *, release_id: str) -> int:
    """Append the final rows whose value is not logged yet; returns the number of rows appended."""
    count = prepare_log_rows(database, log_dir, release_id=release_id)
    if count:
        os.replace(pending_log_file(log_dir, release_id), log_file_for(log_dir, release_id))  # whole or not at all
    return count


def prepare_log_rows(database: Path, log_dir: Path, *, release_id: str) -> int:
    """Write the rows a publication of `database` would append to the pending log file; returns their number.

    One file holds the new final rows of every logged table (metrics_daily, metrics_periodic).
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    tmp = pending_log_file(log_dir, release_id)
    tmp.unlink(missing_ok=True)
    tables = audited_tables(database)
    with duckdb.connect(str(database), read_only=True) as con:
        if _log_files(log_dir):
            for table in tables:
                con.execute(f"create temp view logged_{table.name} as {_latest_logged_sql(log_dir, table)}")
        new_rows = "\nunion all by name\n".join(_new_log_rows_sql(table, release_id, bool(_log_files(log_dir))) for table in tables)
        count = con.execute(f"select count(*) from ({new_rows})").fetchone()[0]
        if count:
            con.execute(f"copy ({new_rows}) to '{tmp}' (format parquet)")
    if count:
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
    return count


def _new_log_rows_sql(table: AuditedTable, release_id: str, has_log: bool) -> str:
    """The final rows of `table` whose value (and version) is not the latest logged one."""
    published_trail = "'published' as entry_kind, null::varchar as restatement_id, null::varchar as restatement_reason"
    columns = ", ".join(f"c.{c}" for c in table.log_columns)
    select = (
        f"select '{table.name}' as published_table, {columns}, now() as logged_at, "
        f"'{release_id}' as release_id, {published_trail} from {table.name} as c where c.is_final"
    )
    if not has_log:
        return select
    keys = " and ".join(f"c.{k} = l.{k}" for k in table.key_columns)
    same = " and ".join(f"not ({_differs(c)})" for c in VALUE_COLUMNS)
    return f"""
        {select} and not exists (
            select 1 from logged_{table.name} as l
            where {keys} and c.metric_version = l.metric_version and {same}
        )
    """
