"""`tsw generate`: write the demo seeds or a landing directory of synthetic raw data."""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from tsw.generate import DEMO_PARAMS, generate_dataset
from tsw.generate.params import PRIMARY_JUDGE
from tsw.paths import DEMO_SEEDS_DIR, REFERENCE_SEEDS_DIR

PRIMARY_JUDGE_SEED = REFERENCE_SEEDS_DIR / "ref_primary_judge.csv"
PRIMARY_JUDGE_FROM = "2024-01-01"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.ArgumentDefaultsHelpFormatter
    parser.epilog = (
        "Same arguments give byte-identical files. The as-of date of the data is the last day "
        "of the window (start + days - 1); scenario.json in the output holds it and the planted truths."
    )
    parser.add_argument("--demo", action="store_true",
                        help="Regenerate the committed demo seeds (seeds/demo) exactly from DEMO_PARAMS; other options are ignored.")
    parser.add_argument("--out", type=Path, help="Output landing directory (one folder per raw table). Required unless --demo.")
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet", "mixed"), default="parquet",
                        help="File format of the landing parts; mixed alternates Parquet and CSV parts, so every table folder "
                             "(impressions: one part per day, others: two parts) holds both kinds.")
    parser.add_argument("--users", type=int, default=10_000, help="Number of user accounts (about 1.1 impressions per user and day; 1M users x 90 days is ~100M impressions).")
    parser.add_argument("--days", type=int, default=90, help="Length of the event window in days.")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 5, 1), help="First day of the window (YYYY-MM-DD, UTC).")
    parser.add_argument("--seed", type=int, default=42, help="Random seed.")
    parser.add_argument("--bad-rate", type=float, default=0.01,
                        help="Share of planted bad rows per table (each has exactly one defect; every kind appears at least twice).")
    parser.add_argument("--activity-exponent", type=float, default=0.0,
                        help="Reports and first contacts scale with a user's impressions that day: P = 1 - (1 - p)^(k^a). "
                             "0 = one draw per active user-day (what the truth tests assume); the large demo uses 1.")
    parser.add_argument("--no-progress", action="store_true", help="Do not show the per-day progress bar.")


def ensure_primary_judge_seed() -> None:
    """Create the reference seed naming the primary AI judge, unless it already exists."""
    if PRIMARY_JUDGE_SEED.exists():
        return
    with open(PRIMARY_JUDGE_SEED, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["judge_id", "primary_from_date"])
        writer.writerow([PRIMARY_JUDGE, PRIMARY_JUDGE_FROM])


def regenerate_demo(target: Path = DEMO_SEEDS_DIR, progress: bool = False) -> dict:
    """Write the demo into a fresh folder, then replace the demo files (never a half-written demo)."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        scenario = generate_dataset(Path(tmp) / "demo", progress=progress, **DEMO_PARAMS)
        for old in target.glob("raw_*.csv"):
            old.unlink()
        for new in sorted((Path(tmp) / "demo").iterdir()):
            shutil.move(str(new), target / new.name)
    return scenario


def run(args: argparse.Namespace) -> int:
    ensure_primary_judge_seed()
    if args.demo:
        scenario = regenerate_demo(progress=not args.no_progress)
        print(f"demo seeds written to {DEMO_SEEDS_DIR} (as_of_date {scenario['as_of_date']})")
        return 0
    if args.out is None:
        print("tsw generate: --out DIR is required (or --demo)", file=sys.stderr)
        return 2
    scenario = generate_dataset(
        args.out,
        layout="landing",
        file_format=args.file_format,
        seed=args.seed,
        users=args.users,
        days=args.days,
        start_date=args.start,
        bad_rate=args.bad_rate,
        progress=not args.no_progress,
        activity_exponent=args.activity_exponent,
    )
    tables = scenario["truths"]["tables"]
    print(f"wrote {sum(t['raw_rows'] for t in tables.values()):,} raw rows to {args.out} (as_of_date {scenario['as_of_date']})")
    for name, stats in tables.items():
        print(f"  {name:24s} {stats['raw_rows']:>12,}")
    return 0
