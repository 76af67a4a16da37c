"""Deterministic synthetic raw data with planted truths (`tsw generate`).

`generate_dataset` writes every table of the raw contract, either as the demo seeds
(`raw_<table>.csv` + `_demo__seeds.yml`) or as a landing directory
(`<table>/part-*.csv|parquet`), plus `scenario.json`: the as-of date and the true
generating parameters the marts must recover. Same arguments, same bytes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tsw.generate.engine import Generator

# The committed demo (seeds/demo): small enough to commit (about 10-15 MB of CSV) and to
# build in seconds, long enough for 28-day intervention windows on both sides of a launch.
DEMO_PARAMS: dict = {
    "layout": "seeds",
    "file_format": "csv",
    "seed": 42,
    "users": 900,
    "days": 120,
    "start_date": date(2026, 5, 1),
    "bad_rate": 0.01,
}


def generate_dataset(
    out_dir: Path | str,
    *,
    layout: str,
    file_format: str,
    seed: int,
    users: int,
    days: int,
    start_date: date,
    bad_rate: float,
    progress: bool = False,
    activity_exponent: float = 0.0,
) -> dict:
    """Write a synthetic dataset to `out_dir` and return its scenario (also in scenario.json).

    The as-of date is the window's last day (`start_date + days - 1`). With
    `activity_exponent` a > 0, reports and first contacts scale with each active day's
    impressions (see params.py); 0 keeps one draw per active user-day.
    """
    generator = Generator(
        Path(out_dir),
        layout=layout,
        file_format=file_format,
        seed=seed,
        users=users,
        days=days,
        start_date=start_date,
        bad_rate=bad_rate,
        progress=progress,
        activity_exponent=activity_exponent,
    )
    return generator.run()


__all__ = ["DEMO_PARAMS", "generate_dataset"]
