"""The exposure family recovers the demo's planted truths (seeds/demo/scenario.json).

The generator samples each impression for review with a per-surface probability and
makes a sampled impression violating with a per-surface probability p_s
(truths.prevalence_by_surface); each active user-day files an organic report with a
per-age-band probability (truths.reports_per_active_user_day_by_age_band). The warehouse
never sees those parameters: it must find them again from the raw rows.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import demo_scenario, query_df

Z = 1.959964  # two-sided 95%, as the published intervals


@pytest.fixture(scope="module")
def truths() -> dict:
    return demo_scenario()["truths"]


def _final_rows(db_path, metric: str, grouping: str) -> pd.DataFrame:
    return query_df(
        db_path,
        f"""
        select *
        from fct_metrics_daily_unsuppressed
        where metric_name = '{metric}' and grouping_name = '{grouping}' and is_final
        """,
    )


def wilson(successes: int, n: int) -> tuple[float, float]:
    p = successes / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    scale = 1 + Z * Z / n
    return max(0.0, (centre - half) / scale), min(1.0, (centre + half) / scale)


def expected_wilson_coverage(p: float, n: int) -> float:
    """Exact probability that a Wilson 95% interval from Binomial(n, p) covers p."""
    total = 0.0
    for k in range(n + 1):
        lower, upper = wilson(k, n)
        if lower <= p <= upper:
            total += math.comb(n, k) * p**k * (1 - p) ** (n - k)
    return total


def test_planted_prevalence_inside_the_daily_interval(demo_db, truths):
    """Per surface and final day, the planted p_s lies inside the published interval.

    Threshold: a 95% interval covers the truth 95% of the time only on average. At the
    demo's ~9 labels per surface-day and p_s between 0.005 and 0.06, a Wilson interval
    covers exactly when few enough violations fall in, so its true coverage for each
    (n, p) is computable: we sum the binomial probabilities of the outcomes whose
    interval covers p_s, day by day, and require the observed coverage to be no worse
    than that expectation minus 3 binomial standard errors of a coverage proportion
    (and never below 85%). Weights are constant within a surface, so Kish n = labels and
    the published interval is exactly this Wilson interval.
    """
    planted = truths["prevalence_by_surface"]["p_violating"]
    rows = _final_rows(demo_db, "violating_view_rate", "surface")
    rows = rows[rows["sample_size"] > 0]
    assert len(rows) > 500, "the demo should have labels on most surface-days"

    rows["p"] = rows["surface"].map(planted)
    rows["covered"] = (rows["ci_lower"] <= rows["p"] + 1e-12) & (rows["p"] - 1e-12 <= rows["ci_upper"])
    rows["expected"] = [
        expected_wilson_coverage(p, int(round(n))) for p, n in zip(rows["p"], rows["interval_sample_size"])
    ]
    observed = rows["covered"].mean()
    expected = rows["expected"].mean()
    standard_error = math.sqrt((rows["expected"] * (1 - rows["expected"])).sum()) / len(rows)
    assert observed >= max(0.85, expected - 3 * standard_error), (
        f"planted prevalence inside the daily interval on {observed:.3f} of surface-days; "
        f"expected {expected:.3f} +/- {standard_error:.3f}\n"
        f"{rows.groupby('surface')['covered'].mean()}"
    )
    by_surface = rows.groupby("surface")["covered"].mean()
    assert (by_surface >= 0.85).all(), by_surface


def test_pooled_prevalence_close_to_planted(demo_db, truths):
    """Pooled over final days (summed numerators over summed denominators), each
    surface's estimate is within 3 standard errors of p_s, SE = sqrt(p_s(1-p_s)/labels)."""
    planted = truths["prevalence_by_surface"]["p_violating"]
    rows = _final_rows(demo_db, "violating_view_rate", "surface")
    pooled = rows.groupby("surface")[["numerator", "denominator", "sample_size"]].sum()
    assert set(pooled.index) == set(planted)
    for surface, row in pooled.iterrows():
        p = planted[surface]
        estimate = row["numerator"] / row["denominator"]
        standard_error = math.sqrt(p * (1 - p) / row["sample_size"])
        assert abs(estimate - p) <= 3 * standard_error, (surface, estimate, p, standard_error)


def test_pooled_all_surface_prevalence_is_impression_weighted(demo_db, truths):
    """The all-surface row weights each label by 1 / sampling_rate, so it estimates the
    impression-weighted mean of p_s, not the label-weighted one (surfaces are sampled at
    rates differing tenfold, so the two differ)."""
    planted = truths["prevalence_by_surface"]["p_violating"]
    total = _final_rows(demo_db, "violating_view_rate", "total")
    total = total[total["policy_category"] == "all"]
    impressions = _final_rows(demo_db, "impressions", "surface")
    labels = _final_rows(demo_db, "violating_view_rate", "surface")
    # the prevalence days: those final for violating_view_rate
    impressions = impressions[impressions["metric_date"].isin(set(total["metric_date"]))]

    shares = impressions.groupby("surface")["numerator"].sum()
    shares = shares / shares.sum()
    label_counts = labels.groupby("surface")["sample_size"].sum()
    truth = sum(shares[s] * planted[s] for s in planted)
    label_weighted = sum(label_counts[s] * planted[s] for s in planted) / label_counts.sum()
    variance = sum(shares[s] ** 2 * planted[s] * (1 - planted[s]) / label_counts[s] for s in planted)
    estimate = total["numerator"].sum() / total["denominator"].sum()
    assert abs(estimate - truth) <= 3 * math.sqrt(variance), (estimate, truth, math.sqrt(variance))
    # and the weights matter: the unweighted (label-weighted) mean is further away
    assert abs(estimate - truth) < abs(estimate - label_weighted), (estimate, truth, label_weighted)


def test_planted_category_mix_recovered(demo_db, truths):
    """Category rows split the violating weight by the label's category: pooled, the
    share of each category among violating weight is near the planted mix (3 SE with the
    number of violating labels as n), and the categories sum to the all-category row."""
    mix = truths["prevalence_by_surface"]["policy_category_mix_given_violating"]
    rows = _final_rows(demo_db, "violating_view_rate", "policy_category")
    total = _final_rows(demo_db, "violating_view_rate", "total")
    total = total[total["policy_category"] == "all"]
    by_category = rows.groupby("policy_category")["numerator"].sum()
    violating_weight = total["numerator"].sum()
    assert by_category.sum() == pytest.approx(violating_weight, rel=1e-9)
    violating_labels = sum(truths["prevalence_by_surface"]["realized_violating_labels"].values())
    for category, share in mix.items():
        estimate = by_category.get(category, 0.0) / violating_weight
        # weights inflate the variance by about the ratio of sum(w)^2 / sum(w^2) to n
        standard_error = math.sqrt(share * (1 - share) / violating_labels) * 2
        assert abs(estimate - share) <= 3 * standard_error, (category, estimate, share)


def test_planted_report_rates_by_age_band(demo_db, truths):
    """reports_per_10k_active_users by age band, pooled over final days, recovers the
    planted probability that an active user-day files a report.

    Tolerance: organic reports per band are Binomial(active user-days, p_b), so the pooled
    rate has SE = sqrt(p_b (1 - p_b) / active user-days); we allow 3 SE below and, above,
    3 SE plus the realized unwanted-contact reports the generator adds on top (a user
    reporting a stranger's message), which are genuine reports. The unknown band is left
    out: trusted flaggers, who are not users, report into it without being active users.
    """
    planted = truths["reports_per_active_user_day_by_age_band"]["p_report"]
    rows = _final_rows(demo_db, "reports_per_10k_active_users", "age_band")
    pooled = rows.groupby("age_band")[["numerator", "denominator"]].sum()
    unwanted = truths["unwanted_contact_rate_by_age_band"]
    for band, p in planted.items():
        if band == "unknown":
            continue
        active = pooled.loc[band, "denominator"]
        rate = pooled.loc[band, "numerator"] / active
        standard_error = math.sqrt(p * (1 - p) / active)
        # unwanted-contact reports on top: at most the realized unwanted contacts of the band
        extra = unwanted["realized_unwanted"].get(band, 0) / active
        assert p - 3 * standard_error <= rate <= p + 3 * standard_error + extra, (
            band, rate, p, standard_error, extra,
        )
