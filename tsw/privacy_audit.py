"""`tsw privacy-audit`: can a reader of a release recover suppressed cells by differencing?

Reads a published release (default: `serving/current`) the way a reader would, writes
down every linear relation the published cells satisfy (`tsw.privacy`: all groupings of
a metric-day together, and the quantities metrics share) and reports the suppressed
parts the published cells determine. Given the working database (`--database`), it also
compares each determined value with the restricted truth and counts the real leaks:
suppressed parts whose non-zero value a reader recovers exactly. Exits 1 when there is
a leak (or, without the truth, a determined non-zero value).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

from tsw import privacy
from tsw.paths import REFERENCE_SEEDS_DIR, SERVING_DIR

KEY_COLUMNS = ["metric_date", "metric_name", *privacy.SEGMENT_COLUMNS]


def load_shapes(con: duckdb.DuckDBPyConnection) -> dict[str, privacy.MetricShape]:
    """Metric shapes from the release's dim_metrics and the project's reference seeds."""
    registry = con.execute("select * from dim_metrics").df()
    segment_values = pd.read_csv(REFERENCE_SEEDS_DIR / "ref_segment_values.csv", dtype=str)
    segment_values["sort_order"] = segment_values["sort_order"].astype(int)
    age_bands = pd.read_csv(REFERENCE_SEEDS_DIR / "ref_age_bands.csv", dtype=str)
    return privacy.metric_shapes(registry, segment_values, age_bands)


def published_cells(release_db: Path, table: str = "metrics_daily") -> pd.DataFrame:
    with duckdb.connect(str(release_db), read_only=True) as con:
        return con.execute(
            f"select {', '.join(KEY_COLUMNS)}, numerator, denominator, sample_size, is_suppressed from {table}"
        ).df()


def with_truth(cells: pd.DataFrame, working_db: Path, table: str = "fct_metrics_daily_unsuppressed") -> pd.DataFrame:
    """Attach the restricted truth (`true_<part>`) from the working database."""
    with duckdb.connect(str(working_db), read_only=True) as con:
        truth = con.execute(
            f"select {', '.join(KEY_COLUMNS)}, numerator as true_numerator, denominator as true_denominator, "
            f"sample_size as true_sample_size from {table}"
        ).df()
    return cells.merge(truth, on=KEY_COLUMNS, how="left")


def audit_release(release_db: Path, working_db: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every suppressed part with its determination, the leaks) of a release's metrics_daily."""
    cells = published_cells(release_db)
    with duckdb.connect(str(release_db), read_only=True) as con:
        shapes = load_shapes(con)
    if working_db is not None:
        cells = with_truth(cells, working_db)
    audit = privacy.determined_parts(cells, shapes, ["metric_date"])
    if working_db is not None:
        leaks = privacy.recoverable(audit)
    else:
        leaks = audit[audit["is_determined"] & (audit["recovered"].fillna(0).abs() > 1e-9) & ~audit["disclosed_by_final"]]
    return audit, leaks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--release", type=Path, default=SERVING_DIR / "current",
                        help="Release folder to audit (default: serving/current).")
    parser.add_argument("--database", type=Path, default=None,
                        help="Working database with the restricted truth: count exact recoveries only.")
    parser.add_argument("--out", type=Path, default=None, help="Write the determined parts to this CSV.")


def run(args: argparse.Namespace) -> int:
    release_db = args.release / "metrics.duckdb"
    if not release_db.exists():
        print(f"privacy-audit: no release database at {release_db}", file=sys.stderr)
        return 2
    audit, leaks = audit_release(release_db, args.database)
    determined = audit[audit["is_determined"]]
    final = determined[determined["disclosed_by_final"]]
    if len(final):
        print(f"determined by shorter-maturity published cells alone (published before the cell "
              f"existed, not counted as leaks): {len(final):,}")
    print(f"suppressed parts: {len(audit):,}; determined by published cells: {len(determined):,}; "
          f"{'recoverable non-zero (exact truth)' if args.database else 'determined non-zero'}: {len(leaks):,}")
    if not leaks.empty:
        print(leaks.groupby(["metric_name", "part"]).size().to_string())
    if args.out is not None:
        determined.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 1 if len(leaks) else 0
