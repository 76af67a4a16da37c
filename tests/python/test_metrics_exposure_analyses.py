"""The exposure analyses (analyses/*.sql) compile and run on the demo, and their pooled
numbers agree with a pooling done here from the restricted fact."""

from __future__ import annotations

import math
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import query_df

from tsw.dbt_runner import run_dbt

ANALYSES = [
    "minor_metric_trend_by_region",
    "highest_violating_view_rate_segments",
    "week_over_week_change",
]


@pytest.fixture(scope="module")
def analysis_results(demo_config) -> dict[str, pd.DataFrame]:
    run_dbt(["compile", "--select", "resource_type:analysis"], demo_config, stream=False)
    compiled = demo_config.resolved_target_path() / "compiled" / "tsw" / "analyses"
    results = {}
    with duckdb.connect(str(demo_config.db_path), read_only=True) as con:
        for name in ANALYSES:
            results[name] = con.execute((compiled / f"{name}.sql").read_text()).df()
    return results


def test_every_analysis_runs(analysis_results, demo_db):
    regions = query_df(demo_db, "select count(*) as n from ref_segment_values where segment_column = 'region'")
    days = query_df(demo_db, "select count(distinct metric_date) as n from metrics_daily")
    trend = analysis_results["minor_metric_trend_by_region"]
    assert len(trend) == int(regions["n"][0]) * int(days["n"][0])
    assert not analysis_results["week_over_week_change"].empty
    assert not analysis_results["highest_violating_view_rate_segments"].empty


def test_week_over_week_pools_match_the_restricted_fact(analysis_results, demo_db):
    """For weeks without suppression, the analysis's pooled value and effective n equal
    summed numerators / denominators and Kish n computed from the unsuppressed fact,
    where sum_weight_squared is known (the analysis has to recover it)."""
    weeks = analysis_results["week_over_week_change"]
    facts = query_df(
        demo_db,
        """
        select cast(date_trunc('week', metric_date) as date) as week_start_date,
            sum(numerator) as numerator, sum(denominator) as denominator,
            sum(sum_weight_squared) as sum_weight_squared
        from fct_metrics_daily_unsuppressed
        where metric_name = 'violating_view_rate' and grouping_name = 'total' and policy_category = 'all'
        group by 1
        """,
    )
    merged = weeks[weeks["suppressed_days"] == 0].merge(facts, on="week_start_date", suffixes=("", "_fact"))
    assert len(merged) >= 10
    assert (merged["value"] - merged["numerator_fact"] / merged["denominator_fact"]).abs().max() < 1e-12
    kish = merged["denominator_fact"] ** 2 / merged["sum_weight_squared"]
    assert ((merged["effective_n"] - kish).abs() / kish).max() < 1e-9
    for _, row in weeks.dropna(subset=["difference"]).iterrows():
        assert row["difference_ci_lower"] <= row["difference"] <= row["difference_ci_upper"]
        assert row["ci_lower"] <= row["value"] <= row["ci_upper"]


def test_highest_segments_are_ranked_by_lower_bound(analysis_results):
    top = analysis_results["highest_violating_view_rate_segments"]
    assert top["ci_lower"].is_monotonic_decreasing
    assert ((top["ci_lower"] <= top["value"]) & (top["value"] <= top["ci_upper"])).all()
    assert not ((top["age_band"] == "all") & (top["region"] == "all") & (top["plan"] == "all")
                & (top["surface"] == "all")).any()
    assert all(math.isfinite(x) for x in top["effective_n"])


def test_analyses_read_only_published_tables():
    """Analyst queries go through the published, suppressed table, never the restricted one."""
    for name in ANALYSES:
        text = (Path(__file__).parents[2] / "analyses" / f"{name}.sql").read_text()
        refs = set(re.findall(r"ref\('([a-z_0-9]+)'\)", text))
        assert "metrics_daily" in refs
        assert refs <= {"metrics_daily", "ref_age_bands", "ref_segment_values"}, refs
