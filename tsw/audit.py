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

`metrics_periodic` is audited and logged the same way, keyed by period (period_grain,
period_start) instead of metric_date, in its own log folder (`<log_dir>/metrics_periodic/`).
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


@dataclass(frozen=True)
class AuditedTable:
    """A published metrics table whose final rows are logged: its name, cell key and log folder."""

    name: str
    key_columns: tuple[str, ...]
    subfolder: str = ""

    @property
    def log_columns(self) -> tuple[str, ...]:
        return (*self.key_columns, "metric_version", *VALUE_COLUMNS, "as_of_date")


DAILY = AuditedTable("metrics_daily", KEY_COLUMNS)
PERIODIC = AuditedTable(
    "metrics_periodic", ("metric_name", "period_grain", "period_start", *SEGMENT_COLUMNS), "metrics_periodic"
)
AUDITED_TABLES = (DAILY, PERIODIC)
# Sums computed in a different order (incremental vs full build) may differ in the last bits.
RELATIVE_TOLERANCE = 1e-9


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


def _latest_logged_sql(log_dir: Path, table: AuditedTable = DAILY) -> str:
    files = ", ".join(f"'{p}'" for p in _log_files(log_dir))
    return f"""
        select * exclude (rn) from (
            select *, row_number() over (
                partition by {", ".join(table.key_columns)} order by as_of_date desc, logged_at desc
            ) as rn
            from read_parquet([{files}], union_by_name = true)
        ) where rn = 1
    """


def _has_table(database: Path, name: str) -> bool:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute("select count(*) from information_schema.tables where table_name = ?", [name])
        return found.fetchone()[0] > 0


def audit(database: Path, log_dir: Path) -> AuditResult:
    """Compare the final rows of `database`'s metrics_daily and metrics_periodic with their logs."""
    results = [
        _audit_table(database, Path(log_dir) / table.subfolder, table)
        for table in AUDITED_TABLES
        if table is DAILY or _has_table(database, table.name)
    ]
    return AuditResult(
        checked_rows=sum(r.checked_rows for r in results),
        violations=[v for r in results for v in r.violations],
        restatements=[v for r in results for v in r.restatements],
    )


def _audit_table(database: Path, log_dir: Path, table: AuditedTable) -> AuditResult:
    """Compare the final rows of one table with its published-values log."""
    if not _log_files(log_dir):
        return AuditResult(checked_rows=0)
    keys = " and ".join(f"c.{k} = l.{k}" for k in table.key_columns)
    changed = " or ".join(f"({_differs(c)})" for c in VALUE_COLUMNS)
    date_column = table.key_columns[1] if table is DAILY else "period_start"
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"create temp view logged as {_latest_logged_sql(log_dir, table)}")
        con.execute(f"create temp view current_final as select * from {table.name} where is_final")
        checked = con.execute("select count(*) from logged").fetchone()[0]
        compared = con.execute(
            f"""
            select '{table.name}' as table_name, l.metric_name, l.{date_column},
                {", ".join("l." + s for s in table.key_columns[2:])},
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
            order by l.metric_name, l.{date_column}
            """
        ).df()
    rows = compared.to_dict("records")
    violations = [r for r in rows if r["change"] != "version bump"]
    restatements = [r for r in rows if r["change"] == "version bump"]
    return AuditResult(checked_rows=checked, violations=violations, restatements=restatements)


def append_to_log(database: Path, log_dir: Path, *, release_id: str) -> int:
    """Append the final rows (daily and periodic) whose value is not logged yet; returns the rows appended."""
    return sum(
        _append_table_to_log(database, Path(log_dir) / table.subfolder, table, release_id=release_id)
        for table in AUDITED_TABLES
        if table is DAILY or _has_table(database, table.name)
    )


def _append_table_to_log(database: Path, log_dir: Path, table: AuditedTable, *, release_id: str) -> int:
    """Append one table's final rows whose value is not logged yet."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    target = log_dir / f"pub-{release_id}.parquet"
    tmp = log_dir / f".pub-{release_id}.parquet.tmp"
    columns = ", ".join(f"c.{c}" for c in table.log_columns)
    with duckdb.connect(str(database), read_only=True) as con:
        if _log_files(log_dir):
            keys = " and ".join(f"c.{k} = l.{k}" for k in table.key_columns)
            same = " and ".join(f"not ({_differs(c)})" for c in VALUE_COLUMNS)
            con.execute(f"create temp view logged as {_latest_logged_sql(log_dir, table)}")
            new_rows = f"""
                select {columns}, now() as logged_at, '{release_id}' as release_id
                from {table.name} as c
                where c.is_final and not exists (
                    select 1 from logged as l
                    where {keys} and c.metric_version = l.metric_version and {same}
                )
            """
        else:
            new_rows = (
                f"select {columns}, now() as logged_at, '{release_id}' as release_id"
                f" from {table.name} as c where c.is_final"
            )
        count = con.execute(f"select count(*) from ({new_rows})").fetchone()[0]
        if count:
            con.execute(f"copy ({new_rows}) to '{tmp}' (format parquet)")
    if count:
        os.replace(tmp, target)  # a file appears in the log whole or not at all
    return count
