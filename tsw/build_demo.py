"""`tsw demo`: the main job on the embedded demo data.

Runs the nightly job (build, gates, publication) on the committed demo seeds, as of the
demo's as-of date (seeds/demo/scenario.json), into the default warehouse folder, then
tells where readers connect. The demo is a replay of generated data: it states the
scenario's as-of date as "now" (`--now`), so the future-date refusal and the freshness
gate judge it by its own clock.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from tsw.nightly import Warehouse, run_nightly
from tsw.paths import DEMO_SEEDS_DIR, WAREHOUSE_DIR
from tsw.publish import serving_database


def demo_as_of_date() -> date:
    scenario = json.loads((DEMO_SEEDS_DIR / "scenario.json").read_text())
    return date.fromisoformat(scenario["as_of_date"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE_DIR, help=f"Warehouse folder (default: {WAREHOUSE_DIR}).")
    parser.add_argument(
        "--now",
        type=date.fromisoformat,
        default=None,
        help="The replay's 'today' (YYYY-MM-DD). Default: the demo's as-of date (seeds/demo/scenario.json).",
    )


def run(args: argparse.Namespace) -> int:
    warehouse = Warehouse(args.warehouse.resolve())
    as_of = demo_as_of_date()
    print(f"[tsw demo] building the embedded demo as of {as_of} into {warehouse.root}")
    report = run_nightly(as_of, warehouse=warehouse, full_refresh=True, now=args.now or as_of)
    print(report.summary())
    if report.status != "succeeded":
        print(f"[tsw demo] failed; see {warehouse.runs_dir / 'latest' / 'report.json'}")
        return 1
    print(f"[tsw demo] readers connect read-only to {serving_database(warehouse.serving_dir, resolve=False)}")
    print(f"[tsw demo] Parquet copies: {warehouse.serving_dir / 'current' / 'parquet'}")
    print(f"[tsw demo] Data Docs: {warehouse.data_docs_dir}")
    return 0
