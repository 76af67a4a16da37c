"""How readable a release is: the share of final days (and weeks) whose age-band cells are published.

`python -m tsw.demo_figures [--serving-dir DIR]` prints, for the user-based metrics, the
share of final days on which the total and each age band are published (not
suppressed, with a value), and the same per ISO week from `metrics_periodic` when the
release has it, else from the dashboard's pooling of the daily cells. The README's
demo figures are this script's output on the demo release.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from tsw.dashboard.data import load
from tsw.paths import SERVING_DIR
from tsw.publish import serving_database

BANDS = ("all", "under_13", "13_15", "16_17", "18_24", "25_34", "35_plus", "unknown")
OTHERS_ALL = "region = 'all' and plan = 'all' and surface = 'all' and policy_category = 'all' and feature = 'all'"


def daily_shares(database: Path) -> dict[str, dict[str, float]]:
    """metric -> age band -> share of final days with a published value (user-based metrics only)."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"""
            select d.metric_name, d.age_band,
                avg(case when not d.is_suppressed and d.value is not null then 1.0 else 0.0 end) as share
            from metrics_daily as d
            inner join dim_metrics as m on d.metric_name = m.metric_name
            where d.is_final and {OTHERS_ALL} and m.suppression_rule = 'small_cell'
            group by all
            """
        ).fetchall()
    out: dict[str, dict[str, float]] = {}
    for metric, band, share in rows:
        out.setdefault(metric, {})[band] = float(share)
    return out


def weekly_shares(database: Path) -> tuple[dict[str, dict[str, float]], str]:
    """metric -> age band -> share of final weeks with a published value, and where weeks come from."""
    release = load(database)
    small_cell = {m["metric_name"] for m in release.metrics if m.get("suppression_rule") == "small_cell"}
    out: dict[str, dict[str, float]] = {}
    for metric, dims in release.series["week"].items():
        if metric not in small_cell or "age_band" not in dims:
            continue
        for band, s in dims["age_band"].items():
            final = [k for k, is_final in enumerate(s["final"]) if is_final]
            if final:
                out.setdefault(metric, {})[band] = sum(
                    1 for k in final if not s["suppressed"][k] and s["value"][k] is not None) / len(final)
    return out, release.week_source


def table(shares: dict[str, dict[str, float]]) -> str:
    lines = ["| metric | " + " | ".join(BANDS) + " |", "|---|" + "---|" * len(BANDS)]
    for metric in sorted(shares):
        cells = [f"{shares[metric][b]:.0%}" if b in shares[metric] else "–" for b in BANDS]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-dir", type=Path, default=SERVING_DIR)
    args = parser.parse_args(argv)
    database = serving_database(args.serving_dir)
    print("Share of final days with a published value (total and age bands; other segments = all):\n")
    print(table(daily_shares(database)))
    weekly, source = weekly_shares(database)
    print(f"\nShare of final ISO weeks with a published value (weeks from {source}):\n")
    print(table(weekly))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
