"""The dashboard renders from a published release: values, intervals, grains, gaps, markers, optional views.

Checked against the fixture's known cells and an independent pandas pooling of the weeks,
never against the dashboard's own output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard_fixture import AS_OF, build_release, daily_rows
from tsw.dashboard import render
from tsw.dashboard.data import load

Z = 1.96


def payload(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="tsw-data">(.*?)</script>', page, re.S)
    assert match, "embedded data missing"
    return json.loads(match.group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return build_release(tmp_path_factory.mktemp("dash"))


def test_page_is_self_contained_with_plotly_inlined(release):
    page = render(release)
    assert not re.search(r"<script[^>]+src=", page), "every script must be inline (offline)"
    assert "plotly.js v" in page or "Plotly" in page
    assert len(page) > 3_000_000  # plotly.min.js alone is several MB
    assert f"as of {AS_OF.isoformat()}" in page


def test_daily_series_match_the_published_cells(release):
    data = payload(render(release))
    rows = [r for r in daily_rows() if r[1] == "violating_view_rate" and r[3] == "13_15"]
    series = data["series"]["day"]["violating_view_rate"]["age_band"]["13_15"]
    assert series["x"] == [r[0].isoformat() for r in rows]
    assert series["value"] == pytest.approx([r[6] for r in rows], rel=1e-5)
    assert series["lo"] == pytest.approx([r[7] for r in rows], rel=1e-5)
    assert series["final"] == [r[10] for r in rows]
    # the total is part of every dimension's view; suppressed cells are gaps (null), never zeros
    assert "all" in data["series"]["day"]["violating_view_rate"]["age_band"]
    gaps = data["series"]["day"]["violating_view_rate"]["age_band"]["16_17"]
    assert [v for v, s in zip(gaps["value"], gaps["suppressed"]) if s] == [None, None]
    assert sum(gaps["suppressed"]) == 2


def test_weeks_without_metrics_periodic_pool_daily_parts(release):
    """Independent pandas pooling: summed parts, Kish n from the Wilson intervals, a week with a gap is a gap."""
    weeks = load(release).series["week"]["violating_view_rate"]["age_band"]
    df = pd.DataFrame(daily_rows(), columns=["day", "metric", "unit", "band", "num", "den", "value", "lo", "hi", "n", "final", "suppressed"])
    df = df[(df.metric == "violating_view_rate") & (df.band == "under_13")].copy()
    df["week"] = pd.to_datetime(df.day).dt.to_period("W-SUN").dt.start_time.dt.date
    checked = 0
    for week, part in df.groupby("week"):
        if len(part) < 7 and part.final.all():
            continue
        p = part.num.sum() / part.den.sum()
        centre = (part.lo + part.hi) / 2
        n_day = Z * Z * (0.5 - centre) / (centre - part.value)
        n_eff = part.den.sum() ** 2 / (part.den ** 2 / n_day).sum()
        lo = (p + Z * Z / (2 * n_eff) - Z * np.sqrt(p * (1 - p) / n_eff + Z * Z / (4 * n_eff**2))) / (1 + Z * Z / n_eff)
        i = weeks["under_13"]["x"].index(week.isoformat())
        assert weeks["under_13"]["value"][i] == pytest.approx(p, rel=1e-9)
        assert n_eff == pytest.approx(part.n.sum(), rel=1e-6)  # weights are equal: Kish n = labels
        assert weeks["under_13"]["lo"][i] == pytest.approx(lo, rel=1e-9)
        assert weeks["under_13"]["final"][i] == bool(part.final.all())
        checked += 1
    assert checked >= 7
    week_16_17 = weeks["16_17"]
    assert week_16_17["suppressed"].count(True) == 1 and week_16_17["value"][week_16_17["suppressed"].index(True)] is None


def test_metrics_periodic_is_used_when_the_release_has_it(tmp_path):
    database = build_release(tmp_path)
    with duckdb.connect(str(database)) as con:
        con.execute(
            "create table metrics_periodic as select 'week' as period_grain, date '2026-05-04' as period_start, "
            "date '2026-05-10' as period_end, 'violating_view_rate' as metric_name, 'under_13' as age_band, 'all' as region, "
            "'all' as plan, 'all' as surface, 'all' as policy_category, 'all' as feature, 0.123 as value, 0.1 as ci_lower, "
            "0.15 as ci_upper, 500 as sample_size, true as is_final, false as is_suppressed"
        )
    release = load(database)
    assert release.week_source == "metrics_periodic"
    assert release.series["week"]["violating_view_rate"]["age_band"]["under_13"]["value"] == [0.123]


def test_markers_verdicts_and_absent_views(tmp_path):
    database = build_release(tmp_path)
    page = render(database)
    data = payload(page)
    assert data["interventions"][0]["name"] == "stranger_dm_filter_minors"
    assert data["effects"] is None
    assert "intervention_effects is not in this release" in page
    assert "Not in this release: <code>fct_ai_eval_runs</code>" in page
    with duckdb.connect(str(database)) as con:
        con.execute("create table intervention_effects as select 'int-001' as intervention_id, "
                    "'violating_view_rate' as metric_name, 'improved' as verdict")
        con.execute("create table fct_ai_eval_runs as select date '2026-05-05' as run_date, 'ai_dj' as feature, "
                    "'dj-1.4' as model_version, 0.05 as attack_success_rate")
    page = render(database)
    assert payload(page)["effects"][0]["verdict"] == "improved"
    assert "Not in this release: <code>fct_ai_eval_runs</code>" not in page
    assert "attack_success_rate" in page
