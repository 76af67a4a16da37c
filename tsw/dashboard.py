"""`tsw dashboard`: a static HTML dashboard rendered from the published release.

It reads only the serving database (read-only), never the database being built, so it can
be regenerated at any time, even while a nightly run is in progress. One panel per metric:
the latest final day's value by age band with its 95% interval, and a trend line of the
all-segments value with final and provisional days told apart. Suppressed cells are shown
as suppressed, never as zero.
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import duckdb

from tsw.paths import SERVING_DIR, WAREHOUSE_DIR
from tsw.publish import serving_database

DEFAULT_OUT = WAREHOUSE_DIR / "dashboard.html"
SEGMENTS_ALL = "region = 'all' and plan = 'all' and surface = 'all' and policy_category = 'all' and feature = 'all'"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "proportion":
        return f"{value:.2%}"
    if unit in ("count",):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _sparkline(points: list[tuple[float | None, bool]], width: int = 320, height: int = 60) -> str:
    values = [v for v, _ in points if v is not None]
    if len(values) < 2:
        return "<svg width='{0}' height='{1}'></svg>".format(width, height)
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(len(points) - 1, 1)
    final_path, provisional_path = [], []
    for i, (v, is_final) in enumerate(points):
        if v is None:
            continue
        xy = f"{i * step:.1f},{height - 4 - (v - low) / span * (height - 8):.1f}"
        (final_path if is_final else provisional_path).append(xy)
    return (
        f"<svg width='{width}' height='{height}' role='img'>"
        f"<polyline fill='none' stroke='#1f5fa8' stroke-width='1.5' points='{' '.join(final_path)}'/>"
        f"<polyline fill='none' stroke='#d08a1f' stroke-dasharray='3,2' stroke-width='1.5' points='{' '.join(provisional_path)}'/>"
        "</svg>"
    )


def render(database: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        metrics = con.execute("select metric_name, unit, direction, description from dim_metrics order by metric_name").fetchall()
        as_of = con.execute("select max(as_of_date) from metrics_daily").fetchone()[0]
        panels = []
        for name, unit, direction, description in metrics:
            trend = con.execute(
                f"select value, is_final from metrics_daily where metric_name = ? and age_band = 'all' and {SEGMENTS_ALL} order by metric_date",
                [name],
            ).fetchall()
            latest = con.execute(
                f"""
                select age_band, value, ci_lower, ci_upper, sample_size, is_suppressed
                from metrics_daily
                where metric_name = ? and {SEGMENTS_ALL}
                    and metric_date = (select max(metric_date) from metrics_daily where metric_name = ? and is_final)
                order by age_band
                """,
                [name, name],
            ).fetchall()
            rows = "".join(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                    html.escape(band),
                    "suppressed" if suppressed else _fmt(value, unit),
                    "" if suppressed or low is None else f"{_fmt(low, unit)} – {_fmt(high, unit)}",
                    "" if suppressed else f"{n:,}",
                )
                for band, value, low, high, n, suppressed in latest
            )
            panels.append(
                f"<section><h2>{html.escape(name)}</h2><p class='d'>{html.escape(description or '')} "
                f"<em>({html.escape(unit)}, {html.escape(direction)})</em></p>{_sparkline(trend)}"
                f"<table><tr><th>age band</th><th>value</th><th>95% interval</th><th>n</th></tr>{rows}</table></section>"
            )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Trust &amp; safety metrics</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}section{border-top:1px solid #ccc;padding:.5em 0}"
        "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}td:first-child{text-align:left}"
        ".d{color:#555;font-size:.9em}</style></head><body>"
        f"<h1>Trust &amp; safety metrics</h1><p>As of {as_of}. Trend: all segments; solid = final days, dashed = provisional. "
        "Table: latest final day by age band. Small cells are suppressed.</p>" + "".join(panels) + "</body></html>"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serving-dir", type=Path, default=SERVING_DIR, help=f"Serving folder (default: {SERVING_DIR}).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"HTML file to write (default: {DEFAULT_OUT}).")


def run(args: argparse.Namespace) -> int:
    database = serving_database(args.serving_dir)
    if not database.exists():
        print(f"no published release under {args.serving_dir}: run `tsw demo` or `tsw nightly` first")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(database))
    print(f"dashboard written to {args.out}")
    return 0
