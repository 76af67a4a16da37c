"""Freshness gate: no day becomes final before its data arrived.

A build as of `A` makes day `D` final when `D + maturity <= A`, using the rows ingested
before `D + maturity + 1 day`. If a feed stopped delivering (an upstream outage, a stalled
export), those rows are simply absent, the day becomes final with too-small values, and
the log then holds them for ever. The gate compares, per raw table, the latest
`ingested_at` of the rows the build knows (staged or quarantined, before the knowledge
instant `K = A + 1 day`) with `K`. A gap above the table's threshold
(`config/freshness.yml`, hours; `null` exempts a table) means the feed has not delivered
up to `K`: the nightly job does not publish.

This is the equivalent of `dbt source freshness` on `ingested_at`, computed over the built
database (whose staging is cut at `K`, so a row not yet known cannot make a feed look
fresh).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import yaml

from tsw.paths import PROJECT_DIR

FRESHNESS_CONFIG = PROJECT_DIR / "config" / "freshness.yml"


class StaleFeeds(RuntimeError):
    """At least one raw table has not delivered up to the knowledge instant."""


@dataclass
class FeedFreshness:
    table_name: str
    latest_ingested_at: datetime | None
    lag_hours: float | None
    max_lag_hours: float | None

    @property
    def stale(self) -> bool:
        if self.max_lag_hours is None:
            return False
        return self.lag_hours is None or self.lag_hours > self.max_lag_hours

    def as_dict(self) -> dict:
        return {
            "table_name": self.table_name,
            "latest_ingested_at": self.latest_ingested_at.isoformat() if self.latest_ingested_at else None,
            "lag_hours": None if self.lag_hours is None else round(self.lag_hours, 2),
            "max_lag_hours": self.max_lag_hours,
            "stale": self.stale,
        }


@dataclass
class FreshnessResult:
    knowledge_instant: datetime
    feeds: list[FeedFreshness] = field(default_factory=list)
    checked_at: datetime | None = None  # wall-clock time (UTC) when the instant must have passed

    @property
    def stale(self) -> list[FeedFreshness]:
        return [f for f in self.feeds if f.stale]

    @property
    def instant_not_reached(self) -> bool:
        return self.checked_at is not None and self.knowledge_instant > self.checked_at

    @property
    def passed(self) -> bool:
        return not self.stale and not self.instant_not_reached

    def message(self) -> str:
        if self.instant_not_reached:
            return (
                f"the knowledge instant {self.knowledge_instant:%Y-%m-%d %H:%M} UTC has not passed yet (now "
                f"{self.checked_at:%Y-%m-%d %H:%M} UTC): no feed can have delivered up to it, and days would become "
                "final before their data arrived. Nothing was published. Remedy: run as of an earlier date (the "
                "default is yesterday); to replay historical or generated data, state its 'now' with --now."
            )
        lines = [f"stale feeds: no data delivered up to the knowledge instant {self.knowledge_instant:%Y-%m-%d %H:%M} UTC"]
        for feed in self.stale:
            latest = f"{feed.latest_ingested_at:%Y-%m-%d %H:%M}" if feed.latest_ingested_at else "never"
            lag = "no rows at all" if feed.lag_hours is None else f"{feed.lag_hours:.1f} h"
            lines.append(f"  {feed.table_name}: latest ingested_at {latest} UTC, {lag} before it (allowed {feed.max_lag_hours:g} h)")
        lines.append(
            "Nothing was published, so no day became final without its data. Remedy: wait for the "
            "feed's delivery and rerun; if the silence is real (no events), raise the table's "
            "threshold in config/freshness.yml (or pass --freshness-config)."
        )
        return "\n".join(lines)


def load_thresholds(path: Path | None = None) -> dict[str, float | None]:
    data = yaml.safe_load(Path(path or FRESHNESS_CONFIG).read_text()) or {}
    thresholds = data.get("max_lag_hours", {})
    return {name: (None if value is None else float(value)) for name, value in thresholds.items()}


def knowledge_instant(as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), datetime.min.time())


def _latest_ingested(con: duckdb.DuckDBPyConnection, table: str, cutoff: datetime) -> datetime | None:
    tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    parts = []
    if f"stg_platform__{table}" in tables:
        parts.append(f"select max(ingested_at) as t from stg_platform__{table} where ingested_at < $cutoff")
    if "quarantine_rows" in tables:
        columns = {row[0] for row in con.execute("select column_name from information_schema.columns where table_name = 'quarantine_rows'").fetchall()}
        if "ingested_at_utc" in columns:
            parts.append(
                "select max(ingested_at_utc) as t from quarantine_rows "
                f"where table_name = '{table}' and ingested_at_utc < $cutoff"
            )
    if not parts:
        raise StaleFeeds(f"freshness gate: the built database has no staged table for raw table {table}")
    return con.execute(f"select max(t) from ({' union all '.join(parts)})", {"cutoff": cutoff}).fetchone()[0]


def check(
    database: Path, as_of: date, *, config: Path | None = None, wall_clock: bool = False, exempt: list[str] | None = None
) -> FreshnessResult:
    """Per raw table of the thresholds file: latest known ingested_at vs the knowledge instant.

    With `wall_clock` (a real, not replayed, run) the knowledge instant must also be in the past.
    Tables in `exempt` (declared absent from the landing directory) are not gated.
    """
    cutoff = knowledge_instant(as_of)
    checked_at = datetime.now(timezone.utc).replace(tzinfo=None) if wall_clock else None
    result = FreshnessResult(knowledge_instant=cutoff, checked_at=checked_at)
    with duckdb.connect(str(database), read_only=True) as con:
        for table, threshold in sorted(load_thresholds(config).items()):
            if table in (exempt or []):
                threshold = None
            latest = _latest_ingested(con, table, cutoff)
            lag = None if latest is None else (cutoff - latest).total_seconds() / 3600
            result.feeds.append(FeedFreshness(table, latest, lag, threshold))
    return result
