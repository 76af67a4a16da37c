"""`tsw demo`: the product end to end on a demo large enough to be read.

By default it generates a deterministic landing directory (fixed seed, Parquet; see
DEMO_LANDING_PARAMS) into `<warehouse>/demo_landing/`, unless one with the same
parameters is already there, and builds it through the path users' own data takes: the
nightly job (dbt build from the landing directory, gates, publication, dashboard) as of
the data's last day. Then it prints where everything is.

`tsw demo --seeds` builds the small embedded demo (seeds/demo) instead, as the tests do.
The demo is a replay of generated data: it states the data's as-of date as "now"
(`--now`), so the future-date refusal and the freshness gate judge it by its own clock.
"""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import date
from pathlib import Path

from tsw.nightly import Warehouse, run_nightly
from tsw.paths import DEMO_SEEDS_DIR, WAREHOUSE_DIR
from tsw.publish import serving_database

# Large enough that daily age-band cells of the exposure, contact and report metrics are
# publishable on most final days, and weekly cells of every user-based metric (README,
# "The demo"; tests/python/test_demo_figures.py keeps the figures honest).
DEMO_LANDING_PARAMS: dict = {
    "layout": "landing",
    "file_format": "parquet",
    "seed": 2026,
    "users": 60_000,
    "days": 91,
    "start_date": date(2026, 5, 1),
    "bad_rate": 0.01,
    "activity_exponent": 1.0,
}


def demo_as_of_date() -> date:
    """The as-of date of the embedded demo seeds."""
    scenario = json.loads((DEMO_SEEDS_DIR / "scenario.json").read_text())
    return date.fromisoformat(scenario["as_of_date"])


def _params_json(params: dict) -> str:
    return json.dumps({k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}, sort_keys=True)


def ensure_demo_landing(landing: Path, params: dict = DEMO_LANDING_PARAMS, progress: bool = True) -> date:
    """Generate the demo landing directory unless the same one is there; returns its as-of date."""
    from tsw.generate import generate_dataset

    stamp = landing / "_demo_params.json"
    scenario_file = landing / "scenario.json"
    if stamp.exists() and scenario_file.exists() and stamp.read_text() == _params_json(params):
        print(f"[tsw demo] reusing the generated landing directory {landing}")
    else:
        shutil.rmtree(landing, ignore_errors=True)
        print(f"[tsw demo] generating {params['users']:,} users x {params['days']} days into {landing}")
        generate_dataset(landing, progress=progress, **params)
        stamp.write_text(_params_json(params))
    return date.fromisoformat(json.loads(scenario_file.read_text())["as_of_date"])


def weekly_minors_vs_adults(database: Path, metric: str = "violating_view_rate") -> str:
    """One line: per age band, the final weeks of `metric` that have a value and a 95% interval."""
    from tsw.dashboard.data import ADULT_BANDS, MINOR_BANDS, load

    bands = load(database).series["week"].get(metric, {}).get("age_band", {})
    parts = []
    for band in MINOR_BANDS + ADULT_BANDS:
        s = bands.get(band, {"final": [], "value": [], "lo": []})
        final = [k for k, f in enumerate(s["final"]) if f]
        readable = sum(1 for k in final if s["value"][k] is not None and s["lo"][k] is not None)
        parts.append(f"{band} {readable}/{len(final)}")
    return f"{metric}, weekly, final weeks with a value and interval: " + ", ".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE_DIR, help=f"Warehouse folder (default: {WAREHOUSE_DIR}).")
    parser.add_argument("--seeds", action="store_true",
                        help="Build the small embedded demo seeds (seeds/demo) instead of the generated landing directory.")
    parser.add_argument("--landing-dir", type=Path, default=None,
                        help="Where the demo landing directory is generated (default: <warehouse>/demo_landing).")
    parser.add_argument(
        "--now",
        type=date.fromisoformat,
        default=None,
        help="The replay's 'today' (YYYY-MM-DD). Default: the demo's as-of date.",
    )


def run(args: argparse.Namespace) -> int:
    warehouse = Warehouse(args.warehouse.resolve())
    landing = None
    if args.seeds:
        as_of = demo_as_of_date()
        print(f"[tsw demo] building the embedded demo seeds as of {as_of} into {warehouse.root}")
    else:
        landing = (args.landing_dir or warehouse.root / "demo_landing").resolve()
        as_of = ensure_demo_landing(landing)
        print(f"[tsw demo] building {landing} as of {as_of} into {warehouse.root}")
    report = run_nightly(as_of, warehouse=warehouse, landing_dir=landing, full_refresh=True, now=args.now or as_of)
    print(report.summary())
    if report.status != "succeeded":
        print(f"[tsw demo] failed; see {warehouse.runs_dir / 'latest' / 'report.json'}")
        return 1
    print(f"[tsw demo] readers connect read-only to {serving_database(warehouse.serving_dir, resolve=False)}")
    print(f"[tsw demo] Parquet copies: {warehouse.serving_dir / 'current' / 'parquet'}")
    print(f"[tsw demo] dashboard: {warehouse.dashboard}")
    print(f"[tsw demo] {weekly_minors_vs_adults(serving_database(warehouse.serving_dir))}")
    print(f"[tsw demo] Great Expectations Data Docs: {warehouse.data_docs_dir / 'index.html'}")
    print("[tsw demo] dbt docs with exposures: .venv/bin/tsw docs (serves on http://127.0.0.1:8080)")
    return 0
