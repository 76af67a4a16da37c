"""Additivity of the exposure metrics, as metrics.md states it ("Rollups are recomputed,
never averaged"), checked on the restricted fact of the demo build.

For every cell and every column it breaks down, the sibling cells (equal in every other
column) are summed and compared with the parent cell (that column = 'all'):
- event counts (impressions, and the numerators and denominators of impression rates)
  add up across every segment column;
- active_users adds up across age_band, region and plan, but not across surface: a user
  active on two surfaces counts once in the all-surface row, so the surfaces sum to at
  least the total, and to more on days where someone used two surfaces;
- violating_view_rate's parts (weights, labels, squared weights) add up across
  age_band, region, plan and surface; across policy_category only the numerator does,
  every category row dividing by all labeled impressions of its cell;
- reports_per_10k_active_users: reports add up across every column, active users across
  age_band, region and plan; every surface row divides by its cell's all-surface users;
- minor_age_restricted_exposure_rate: age_band 'all' is the sum of the minor bands.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import query_df

SEGMENTS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]
PARTS = ["numerator", "denominator", "sample_size", "sum_weight_squared"]

# (metric, part) -> columns across which the part is NOT additive, and what holds instead
NOT_ADDITIVE = {
    ("active_users", "numerator"): {"surface": "at_least"},
    ("active_users", "sample_size"): {"surface": "at_least"},
    ("violating_view_rate", "denominator"): {"policy_category": "equal"},
    ("violating_view_rate", "sample_size"): {"policy_category": "equal"},
    ("violating_view_rate", "sum_weight_squared"): {"policy_category": "equal"},
    ("reports_per_10k_active_users", "denominator"): {"surface": "equal"},
    ("reports_per_10k_active_users", "sample_size"): {"surface": "equal"},
}


@pytest.fixture(scope="module")
def facts(demo_db) -> pd.DataFrame:
    return query_df(
        demo_db,
        """
        select *
        from fct_metrics_daily_unsuppressed
        where metric_name in (
            'active_users', 'impressions', 'violating_view_rate', 'actioned_content_view_rate',
            'minor_age_restricted_exposure_rate', 'reports_per_10k_active_users'
        )
        """,
    )


def sibling_comparisons(facts: pd.DataFrame) -> pd.DataFrame:
    """One row per (metric, day, part, varied column, parent cell): summed children vs parent."""
    frames = []
    for column in SEGMENTS:
        children = facts[
            (facts["grouping_column_1"] == column) | (facts["grouping_column_2"] == column)
        ].copy()
        if children.empty:
            continue
        parent_key = ["metric_name", "metric_date", *[c for c in SEGMENTS if c != column]]
        summed = children.groupby(parent_key, dropna=False)[PARTS].agg(["sum", "min", "max"])
        summed.columns = [f"{part}_{stat}" for part, stat in summed.columns]
        parents = facts[facts[column] == "all"].set_index(parent_key)[PARTS]
        joined = summed.join(parents, how="left").reset_index()
        joined["varied_column"] = column
        frames.append(joined)
    return pd.concat(frames, ignore_index=True)


def test_exposure_rollups_follow_the_additivity_rules(facts):
    comparisons = sibling_comparisons(facts)
    assert not comparisons.empty
    failures = []
    for (metric, column), group in comparisons.groupby(["metric_name", "varied_column"]):
        for part in PARTS:
            if group[part].isna().all() and group[f"{part}_sum"].fillna(0).eq(0).all():
                continue  # the metric does not carry this part (e.g. counts' denominator)
            rule = NOT_ADDITIVE.get((metric, part), {}).get(column, "sum")
            parent = group[part].fillna(0.0)
            tolerance = 1e-9 * parent.abs().clip(lower=1.0)
            if rule == "sum":
                bad = (group[f"{part}_sum"] - parent).abs() > tolerance
            elif rule == "at_least":
                bad = group[f"{part}_sum"] < parent - tolerance
            else:  # every child equals the parent
                bad = ((group[f"{part}_min"] - parent).abs() > tolerance) | (
                    (group[f"{part}_max"] - parent).abs() > tolerance
                )
            if bad.any():
                failures.append((metric, column, part, rule, int(bad.sum())))
    assert not failures, failures


def test_active_users_count_a_multi_surface_user_once(facts):
    """The surfaces' active users sum to more than the all-surface row on most days:
    the distinct count happens once per user-day, not once per surface."""
    users = facts[facts["metric_name"] == "active_users"]
    total = users[users["grouping_name"] == "total"].set_index("metric_date")["numerator"]
    by_surface = users[users["grouping_name"] == "surface"].groupby("metric_date")["numerator"].sum()
    over = (by_surface.reindex(total.index).fillna(0) > total).mean()
    assert over > 0.5, f"surfaces exceed the total on only {over:.0%} of days"


def test_rate_rows_are_summed_numerators_over_summed_denominators(facts):
    rates = facts[
        facts["metric_name"].isin(
            ["violating_view_rate", "actioned_content_view_rate", "minor_age_restricted_exposure_rate",
             "reports_per_10k_active_users"]
        )
        & (facts["denominator"] > 0)
    ]
    scale = rates["unit"].map({"proportion": 1.0, "per_10k": 10000.0})
    ratio = rates["numerator"] * scale / rates["denominator"]
    assert ((rates["value"] - ratio).abs() <= 1e-9 * ratio.abs().clip(lower=1.0)).all()


def test_minor_exposure_has_only_minor_bands(facts):
    minors = facts[facts["metric_name"] == "minor_age_restricted_exposure_rate"]
    assert set(minors["age_band"]) <= {"all", "under_13", "13_15", "16_17"}
    assert set(minors["plan"]) == {"all"}
    # the all-minors row is the sum of the three minor bands
    bands = minors[minors["grouping_name"] == "age_band"].groupby("metric_date")["denominator"].sum()
    total = minors[minors["grouping_name"] == "total"].set_index("metric_date")["denominator"]
    assert (bands.reindex(total.index).fillna(0) == total).all()
    assert total.sum() > 0
