"""What the dashboard shows, read from one published release (never the build database).

Everything is read through a read-only connection to `serving/current/metrics.duckdb`.
Tables that only some releases carry (metrics_periodic, interventions and their
readouts, the AI evaluation tables, data-quality figures) are optional: `load` returns
None for what a release lacks, and the page says so instead of failing.
"""

from __future__ import annotations

import math
from decimal import Decimal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

SEGMENT_DIMENSIONS: tuple[str, ...] = ("age_band", "region", "plan", "surface", "feature")
ALL_SEGMENT_COLUMNS: tuple[str, ...] = ("age_band", "region", "plan", "surface", "policy_category", "feature")
MINOR_BANDS: tuple[str, ...] = ("under_13", "13_15", "16_17")
ADULT_BANDS: tuple[str, ...] = ("18_24", "25_34", "35_plus")
Z = 1.96

INTERVENTION_TABLES: tuple[str, ...] = ("stg_platform__interventions", "dim_interventions", "interventions")
AI_TABLES: tuple[str, ...] = ("fct_ai_eval_runs", "fct_ai_judge_quality", "ai_model_version_comparison")
DQ_TABLES: tuple[str, ...] = ("dq_raw_reconciliation", "dq_late_beyond_finality", "dq_unknown_reference_share", "dq_quarantine_summary")


@dataclass
class Release:
    """The parts of one release the page needs, as plain JSON-ready values."""

    as_of: str
    release_id: str | None
    metrics: list[dict[str, Any]]
    series: dict[str, dict[str, dict[str, dict[str, Any]]]]  # grain -> metric -> dimension -> columns
    week_source: str  # "metrics_periodic" or "metrics_daily"
    interventions: list[dict[str, Any]] | None
    effects: list[dict[str, Any]] | None
    ai: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    dq: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, (_plain(v) for v in row))) for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def _one_dimension_filter() -> str:
    """Rows broken down by at most one of the dashboard's segment dimensions."""
    not_all = " + ".join(f"(case when {c} <> 'all' then 1 else 0 end)" for c in SEGMENT_DIMENSIONS)
    return f"policy_category = 'all' and ({not_all}) <= 1"


def _dimension_of(row: dict[str, Any]) -> str | None:
    broken = [c for c in SEGMENT_DIMENSIONS if row[c] != "all"]
    return broken[0] if broken else None


def _group(rows: list[dict[str, Any]], x_column: str, metrics: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """metric -> dimension -> {segments: [...], x: [...], per-segment columns}; the total is in every dimension."""
    segments_of = {m["metric_name"]: set(m["segment_columns"]) for m in metrics}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        name = row["metric_name"]
        dims = [_dimension_of(row)] if _dimension_of(row) else [d for d in SEGMENT_DIMENSIONS if d in segments_of.get(name, ())]
        if not dims:
            dims = ["age_band"]  # a metric without segment columns still shows its total
        for dim in dims:
            block = out.setdefault(name, {}).setdefault(dim, {})
            segment = row[dim] if _dimension_of(row) else "all"
            series = block.setdefault(segment, {"x": [], "value": [], "lo": [], "hi": [], "n": [], "final": [], "suppressed": []})
            series["x"].append(row[x_column])
            series["value"].append(row["value"])
            series["lo"].append(row["ci_lower"])
            series["hi"].append(row["ci_upper"])
            series["n"].append(row["sample_size"])
            series["final"].append(bool(row["is_final"]))
            series["suppressed"].append(bool(row["is_suppressed"]))
    return out


def _daily_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _records(
        con,
        f"""
        select metric_name, metric_date, {", ".join(SEGMENT_DIMENSIONS)}, value, ci_lower, ci_upper,
            sample_size, is_final, is_suppressed
        from metrics_daily
        where {_one_dimension_filter()}
        order by metric_name, metric_date
        """,
    )


def _periodic_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _records(
        con,
        f"""
        select metric_name, period_start, {", ".join(SEGMENT_DIMENSIONS)}, value, ci_lower, ci_upper,
            sample_size, is_final, is_suppressed
        from metrics_periodic
        where period_grain = 'week' and {_one_dimension_filter()}
        order by metric_name, period_start
        """,
    )


def _pooled_week_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """ISO weeks pooled from the published daily cells, for releases without metrics_periodic.

    Additive parts are summed (never an average of daily rates); a proportion's
    interval is a Wilson interval on the pooled effective n, each day's effective n
    recovered from its published Wilson interval (centre c, value p: n = z^2 (1/2 - c) / (c - p)),
    pooled as Kish's (sum of denominators)^2 / sum(denominator^2 / n). A week with a
    suppressed day is shown as suppressed (its sum would be incomplete); quantiles and
    distinct-user counts cannot be pooled from daily cells and are left out. A week is
    final when all its days are; a week cut by the data window's start is left out.
    """
    return _records(
        con,
        f"""
        with daily as (
            select d.*,
                date_trunc('week', d.metric_date)::date as period_start,
                case
                    when d.unit = 'proportion' and d.ci_lower is not null and d.ci_upper is not null
                        and abs((d.ci_lower + d.ci_upper) / 2 - d.value) > 1e-12
                        then {Z * Z} * (0.5 - (d.ci_lower + d.ci_upper) / 2) / ((d.ci_lower + d.ci_upper) / 2 - d.value)
                    else d.denominator
                end as effective_n
            from metrics_daily as d
            where {_one_dimension_filter()}
                and d.unit in ('count', 'proportion', 'per_10k', 'per_1k')
                and d.metric_name <> 'active_users'
        ),
        weeks as (
            select metric_name, unit, period_start, {", ".join(SEGMENT_DIMENSIONS)},
                count(*) as days,
                bool_and(is_final) as is_final,
                bool_or(is_suppressed) as any_suppressed,
                sum(numerator) as numerator,
                sum(denominator) as denominator,
                sum(sample_size) as sample_size,
                sum(case when denominator > 0 and effective_n > 0 then denominator * denominator / effective_n end) as kish_den
            from daily
            group by all
        ),
        pooled as (
            select *,
                case
                    when any_suppressed then null
                    when unit = 'count' then numerator
                    when denominator > 0 and unit = 'proportion' then numerator / denominator
                    when denominator > 0 and unit = 'per_10k' then numerator * 10000 / denominator
                    when denominator > 0 and unit = 'per_1k' then numerator * 1000 / denominator
                end as value,
                case when kish_den > 0 then denominator * denominator / kish_den end as n_eff
            from weeks
        )
        select metric_name, period_start, {", ".join(SEGMENT_DIMENSIONS)}, value,
            case when unit = 'proportion' and value is not null and n_eff > 0 then
                (value + {Z * Z} / (2 * n_eff) - {Z} * sqrt(value * (1 - value) / n_eff + {Z * Z} / (4 * n_eff * n_eff)))
                / (1 + {Z * Z} / n_eff) end as ci_lower,
            case when unit = 'proportion' and value is not null and n_eff > 0 then
                (value + {Z * Z} / (2 * n_eff) + {Z} * sqrt(value * (1 - value) / n_eff + {Z * Z} / (4 * n_eff * n_eff)))
                / (1 + {Z * Z} / n_eff) end as ci_upper,
            case when any_suppressed then null else sample_size end as sample_size,
            is_final,
            any_suppressed as is_suppressed
        from pooled
        -- a week cut by the window's start is left out; the current week is shown, provisional
        where days = 7 or not is_final
        order by metric_name, period_start
        """,
    )


def _optional(con: duckdb.DuckDBPyConnection, tables: set[str], name: str, limit: int = 5000) -> list[dict[str, Any]] | None:
    if name not in tables:
        return None
    return _records(con, f"select * from {name} limit {limit}")


def load(database: Path) -> Release:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = _tables(con)
        metrics = _records(con, "select * from dim_metrics order by metric_name")
        for metric in metrics:
            raw = metric.get("segment_columns") or ""
            metric["segment_columns"] = [c for c in str(raw).split("|") if c]
        as_of = con.execute("select max(as_of_date) from metrics_daily").fetchone()[0]
        release_id = None
        if "publication" in tables:
            release_id = con.execute("select max(release_id) from publication").fetchone()[0]
        has_periodic = "metrics_periodic" in tables
        series = {
            "day": _group(_daily_rows(con), "metric_date", metrics),
            "week": _group(_periodic_rows(con) if has_periodic else _pooled_week_rows(con), "period_start", metrics),
        }
        interventions = next((_optional(con, tables, t) for t in INTERVENTION_TABLES if t in tables), None)
        return Release(
            as_of=as_of.isoformat() if as_of else "",
            release_id=release_id,
            metrics=metrics,
            series=series,
            week_source="metrics_periodic" if has_periodic else "metrics_daily",
            interventions=interventions,
            effects=_optional(con, tables, "intervention_effects"),
            ai={name: _optional(con, tables, name) for name in AI_TABLES},
            dq={name: _optional(con, tables, name) for name in DQ_TABLES},
        )
