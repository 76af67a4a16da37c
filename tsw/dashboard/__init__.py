"""`tsw dashboard`: an interactive, self-contained HTML dashboard of the published release.

It reads only the serving database (read-only), never the database being built, so it
can be regenerated at any time, even while a nightly run is in progress; the nightly job
regenerates it after every publication. One file, plotly's JavaScript inlined, so it
works offline: trends by metric, segment (age band, region, plan, surface, feature) and
grain (day or ISO week) with 95% interval bands, minors highlighted against adults,
provisional days told apart, suppressed cells as gaps, intervention launch markers with
their readouts' verdicts, an AI-evaluation view and a data-quality view.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tsw.dashboard.data import load
from tsw.dashboard.page import render_page
from tsw.paths import SERVING_DIR, WAREHOUSE_DIR
from tsw.publish import serving_database

DEFAULT_OUT = WAREHOUSE_DIR / "dashboard.html"


def render(database: Path) -> str:
    """The dashboard page for the release whose database is `database`."""
    return render_page(load(database))


def write_dashboard(serving_dir: Path, out: Path) -> Path:
    """Render the current release of `serving_dir` to `out` (written atomically)."""
    page = render(serving_database(serving_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page)
    tmp.replace(out)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serving-dir", type=Path, default=SERVING_DIR, help=f"Serving folder (default: {SERVING_DIR}).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"HTML file to write (default: {DEFAULT_OUT}).")


def run(args: argparse.Namespace) -> int:
    if not serving_database(args.serving_dir).exists():
        print(f"no published release under {args.serving_dir}: run `tsw demo` or `tsw nightly` first")
        return 1
    out = write_dashboard(args.serving_dir, args.out)
    print(f"dashboard written to {out}")
    return 0
