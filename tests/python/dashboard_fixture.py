"""A small published release with known cells, for the dashboard tests (no dbt build needed)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

from tsw.publish import publish, serving_database

AS_OF = date(2026, 6, 30)
START = date(2026, 5, 4)  # a Monday
DAYS = 58
BANDS = ("all", "under_13", "13_15", "16_17", "18_24", "25_34", "35_plus", "unknown")
Z = 1.96


def wilson(p: float, n: float) -> tuple[float, float]:
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def daily_rows(seed: int = 3) -> list[tuple]:
    """violating_view_rate (weighted: denominator != n) and impressions, by age band and day.

    Minors have a higher rate than adults; 16_17 is suppressed on two days; days after
    AS_OF - 7 are provisional for the rate, after AS_OF - 3 for the count.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(DAYS):
        day = START + timedelta(days=d)
        for band in BANDS:
            n = 400 if band == "all" else 60 + 10 * BANDS.index(band)
            p = 0.06 if band in ("under_13", "13_15", "16_17") else 0.02
            labels = int(n)
            denominator = labels * 12.5  # weights 1 / sampling_rate = 12.5; Kish n_eff = labels
            numerator = float(rng.binomial(labels, p)) * 12.5
            value = numerator / denominator
            lo, hi = wilson(value, labels)
            suppressed = band == "16_17" and d in (10, 11)
            final_rate = day + timedelta(days=7) <= AS_OF
            rows.append((day, "violating_view_rate", "proportion", band,
                         None if suppressed else numerator, None if suppressed else denominator,
                         None if suppressed else value, None if suppressed else lo, None if suppressed else hi,
                         None if suppressed else labels, final_rate, suppressed))
            count = float(100 + 5 * BANDS.index(band) + d)
            rows.append((day, "impressions", "count", band, count, None, count, None, None, int(count),
                         day + timedelta(days=3) <= AS_OF, False))
    return rows


def build_release(tmp_path: Path, *, extra_sql: tuple[str, ...] = ()) -> Path:
    """Publish the fixture's tables as a release under tmp_path/serving; returns the serving database."""
    work = tmp_path / "work.duckdb"
    with duckdb.connect(str(work)) as con:
        con.execute(
            """
            create table metrics_daily (
                metric_date date, metric_name varchar, metric_version integer, unit varchar,
                age_band varchar, region varchar, plan varchar, surface varchar, policy_category varchar,
                feature varchar, numerator double, denominator double, value double, ci_lower double,
                ci_upper double, sample_size bigint, is_final boolean, is_suppressed boolean, as_of_date date
            )
            """
        )
        con.executemany(
            "insert into metrics_daily values (?, ?, 1, ?, ?, 'all', 'all', 'all', 'all', 'all', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row + (AS_OF,) for row in daily_rows()],
        )
        con.execute(
            """
            create table dim_metrics as select * from (values
                ('violating_view_rate', 1, 'proportion', 'lower_is_better', 7, 'age_band|region|plan|surface|policy_category', 'Weighted prevalence.'),
                ('impressions', 1, 'count', 'none', 3, 'age_band|region|plan|surface', 'Impressions after deduplication.')
            ) as t(metric_name, metric_version, unit, direction, maturity_days, segment_columns, description)
            """
        )
        con.execute(
            """
            create table stg_platform__interventions as select 'int-001' as intervention_id,
                'stranger_dm_filter_minors' as name, timestamp '2026-06-01 09:00:00' as launched_at
            """
        )
        for sql in extra_sql:
            con.execute(sql)
    publish(work, tmp_path / "serving", release_id="r1", as_of_date=AS_OF)
    return serving_database(tmp_path / "serving")
