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


def _latest_logged_sql(log_dir: Path, *, include_retracted: bool = False) -> str:
    """The latest log entry of every cell (retracted cells left out unless asked for)."""
    files = ", ".join(f"'{p}'" for p in _log_files(log_dir))
    source = f"read_parquet([{files}], union_by_name = true)"
    with duckdb.connect() as con:
        present = {row[0] for row in con.execute(f"describe select * from {source}").fetchall()}
    excluded = [c for c in TRAIL_COLUMNS if c in present]
    star = f"* exclude ({', '.join(excluded)})" if excluded else "*"
    retracted = "" if include_retracted else "and entry_kind <> 'retraction'"
    return f"""
        select * exclude (rn) from (
            select *, row_number() over (
                partition by {", ".join(KEY_COLUMNS)} order by logged_at desc, as_of_date desc
            ) as rn
            from (select {star}, {_trail_expressions(present)} from {source})
        ) where rn = 1 {retracted}
    """


def audit(database: Path, log_dir: Path) -> AuditResult:
    """Compare the final rows of `database`'s metrics_daily with the published-values log."""
    if not _log_files(log_dir):
        return AuditResult(checked_rows=0)
    keys = " and ".join(f"c.{k} = l.{k}" for k in KEY_COLUMNS)
    changed = " or ".join(f"({_differs(c)})" for c in VALUE_COLUMNS)
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"create temp view logged as {_latest_logged_sql(log_dir)}")
        con.execute("create temp view current_final as select * from metrics_daily where is_final")
        checked = con.execute("select count(*) from logged").fetchone()[0]
        compared = con.execute(
            f"""
            select l.metric_name, l.metric_date, {", ".join("l." + s for s in SEGMENT_COLUMNS)},
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
            order by l.metric_name, l.metric_date
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
    """Write the rows a publication of `database` would append to the pending log file; returns their number."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    tmp = pending_log_file(log_dir, release_id)
    tmp.unlink(missing_ok=True)
    published_trail = "'published' as entry_kind, null::varchar as restatement_id, null::varchar as restatement_reason"
    columns = ", ".join(f"c.{c}" for c in LOG_COLUMNS)
    with duckdb.connect(str(database), read_only=True) as con:
        if _log_files(log_dir):
            keys = " and ".join(f"c.{k} = l.{k}" for k in KEY_COLUMNS)
            same = " and ".join(f"not ({_differs(c)})" for c in VALUE_COLUMNS)
            con.execute(f"create temp view logged as {_latest_logged_sql(log_dir)}")
            new_rows = f"""
                select {columns}, now() as logged_at, '{release_id}' as release_id, {published_trail}
                from metrics_daily as c
                where c.is_final and not exists (
                    select 1 from logged as l
                    where {keys} and c.metric_version = l.metric_version and {same}
                )
            """
        else:
            new_rows = (
                f"select {columns}, now() as logged_at, '{release_id}' as release_id, {published_trail} "
                "from metrics_daily as c where c.is_final"
            )
        count = con.execute(f"select count(*) from ({new_rows})").fetchone()[0]
        if count:
            con.execute(f"copy ({new_rows}) to '{tmp}' (format parquet)")
    if count:
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
    return count
