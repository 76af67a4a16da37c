"""`tsw build`: run the dbt build for an as-of date, from demo seeds or a landing directory."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from tsw.clock import FutureAsOfDate, add_now_argument, check_as_of, today_utc
from tsw.dbt_runner import BuildConfig, run_dbt
from tsw.paths import WORK_DB


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", type=Path, default=WORK_DB, help=f"DuckDB file to build into (default: {WORK_DB}).")
    parser.add_argument(
        "--landing-dir",
        type=Path,
        default=None,
        help="Build from a landing directory (<dir>/<table>/*.csv|*.parquet) instead of the committed demo seeds.",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="Knowledge date (YYYY-MM-DD): only rows ingested before the next midnight UTC are used. Default: today (UTC).",
    )
    parser.add_argument("--full-refresh", action="store_true", help="Rebuild incremental models from scratch.")
    parser.add_argument("--select", default=None, help="dbt node selection (default: everything).")
    parser.add_argument(
        "--absent-raw-table",
        action="append",
        default=[],
        metavar="TABLE",
        help="A raw table the landing directory does not deliver (no folder): builds it empty instead of failing.",
    )
    add_now_argument(parser)


def config_from_args(args: argparse.Namespace) -> BuildConfig:
    extra_vars = {"absent_raw_tables": args.absent_raw_table} if getattr(args, "absent_raw_table", None) else {}
    return BuildConfig(db_path=args.database, as_of_date=args.as_of, landing_dir=args.landing_dir, extra_vars=extra_vars)


def build(config: BuildConfig, *, full_refresh: bool = False, select: str | None = None) -> None:
    """`dbt build` for config; the raw demo seeds are skipped when building from a landing dir."""
    if config.landing_dir is not None:
        landing = Path(config.landing_dir)
        if not landing.is_dir():
            raise SystemExit(f"landing directory not found: {landing}")
    args = ["build"]
    if select:
        args += ["--select", select]
    if config.landing_dir is not None:
        args += ["--exclude", "tag:raw_demo"]
    if full_refresh:
        args.append("--full-refresh")
    run_dbt(args, config)


def run(args: argparse.Namespace) -> int:
    try:
        check_as_of(args.as_of or today_utc(), now=args.now)
    except FutureAsOfDate as exc:
        print(f"tsw build: {exc}", file=sys.stderr)
        return 2
    build(config_from_args(args), full_refresh=args.full_refresh, select=args.select)
    return 0
