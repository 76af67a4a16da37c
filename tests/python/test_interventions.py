"""Intervention effects on the built demo: planted truths, fact consistency, and every
estimator against an independent computation on the same inputs (statsmodels
cluster-robust WLS, a numpy multivariate delta method, scipy's chi-square).

`check_planted_truths(db, scenario)` is also run on other builds (generated landing
directories at other seeds or scales) by test_interventions_scale.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from conftest import demo_scenario, query_df

TOLERANCE = 1e-6


def planted(scenario: dict, intervention_id: str) -> dict:
    return next(i for i in scenario["truths"]["interventions"] if i["intervention_id"] == intervention_id)


def effects(db) -> pd.DataFrame:
    return query_df(db, "select * from intervention_effects").set_index(["intervention_id", "metric_name", "analysis"])


def check_did_truths(db, scenario: dict) -> list[str]:
    """Failures of the DiD planted truths (empty = all hold)."""
    failures = []
    e = effects(db)
    stranger = planted(scenario, "int-001")
    row = e.loc[("int-001", stranger["metric"], "launch")]
    if row.verdict != "improved":
        failures.append(f"int-001 verdict {row.verdict}, expected improved")
    if not row.relative_ci_lower <= stranger["relative_effect"] <= row.relative_ci_upper:
        failures.append(
            f"int-001 planted {stranger['relative_effect']} outside [{row.relative_ci_lower:.3f}, {row.relative_ci_upper:.3f}]"
        )
    # the planted effect in the metric's unit: relative effect x the counterfactual post value
    absolute = stranger["relative_effect"] * row.counterfactual_post
    if not row.did_ci_lower <= absolute <= row.did_ci_upper:
        failures.append(f"int-001 planted {absolute:.3f} per 1k outside [{row.did_ci_lower:.3f}, {row.did_ci_upper:.3f}]")
    label = planted(scenario, "int-003")
    row = e.loc[("int-003", label["metric"], "launch")]
    if row.verdict != "no_detectable_change":
        failures.append(f"int-003 verdict {row.verdict}, expected no_detectable_change")
    for key, placebo in e.xs("placebo", level="analysis").iterrows():
        if placebo.verdict != "no_detectable_change":
            failures.append(f"placebo {key} verdict {placebo.verdict}")
    return failures


def check_experiment_truth(db, scenario: dict) -> list[str]:
    truth = planted(scenario, "int-002")
    x = query_df(db, "select * from intervention_experiment_effects where intervention_id = 'int-002'")
    if len(x) != 1:
        return [f"int-002: {len(x)} experiment rows"]
    row = x.iloc[0]
    effect = truth["p_treatment"] - truth["p_control"]
    failures = []
    if row.verdict != "improved":
        failures.append(f"int-002 verdict {row.verdict}, expected improved")
    if not row.cuped_ci_lower <= effect <= row.cuped_ci_upper:
        failures.append(f"int-002 planted {effect} outside [{row.cuped_ci_lower:.4f}, {row.cuped_ci_upper:.4f}]")
    if not row.ci_lower <= effect <= row.ci_upper:
        failures.append(f"int-002 planted {effect} outside raw [{row.ci_lower:.4f}, {row.ci_upper:.4f}]")
    if row.srm_detected:
        failures.append(f"int-002 SRM detected (p = {row.srm_p_value})")
    return failures


# ------------------------------------------------------------------------------ demo --


def test_demo_did_planted_truths(demo_db):
    assert check_did_truths(demo_db, demo_scenario()) == []


def test_targeted_period_sums_equal_the_metric_facts(demo_db):
    """The targeted minors' period parts are the sums of the metric's own daily parts."""
    rows = query_df(
        demo_db,
        """
        select
            e.analysis,
            e.targeted_pre_numerator, e.targeted_pre_denominator,
            e.targeted_post_numerator, e.targeted_post_denominator,
            sum(f.numerator) filter (where f.metric_date between e.pre_start and e.pre_end) as pre_numerator,
            sum(f.denominator) filter (where f.metric_date between e.pre_start and e.pre_end) as pre_denominator,
            sum(f.numerator) filter (where f.metric_date between e.post_start and e.post_end) as post_numerator,
            sum(f.denominator) filter (where f.metric_date between e.post_start and e.post_end) as post_denominator
        from intervention_effects as e
        inner join fct_metrics_daily_unsuppressed as f
            on f.metric_name = e.metric_name and f.age_band = 'all' and f.region = 'all'
        where e.metric_name like 'stranger_adult_to_minor_contacts_per_1k%'
        group by all
        """,
    )
    assert len(rows) == 4
    for r in rows.itertuples():
        assert (r.targeted_pre_numerator, r.targeted_pre_denominator) == (r.pre_numerator, r.pre_denominator)
        assert (r.targeted_post_numerator, r.targeted_post_denominator) == (r.post_numerator, r.post_denominator)
        assert r.targeted_pre_denominator > 0


def test_windows_are_clipped_and_counted(demo_db):
    w = query_df(demo_db, "select * from int_intervention_windows").set_index(["intervention_id", "metric_name", "analysis"])
    launch = w.xs("launch", level="analysis")
    assert (launch.pre_days_used == 28).all() and (launch.post_days_used <= 28).all()
    placebo = w.xs("placebo", level="analysis")
    # the placebo reads only the real pre period
    assert (placebo.post_end < placebo.launch_date).all()
    assert (placebo.pre_start == launch.pre_start.reindex(placebo.index)).all()


def _user_cells(db, period_only: bool = True) -> pd.DataFrame:
    where = "where cell in ('pre', 'post')" if period_only else ""
    return query_df(db, f"select * from int_intervention_user_cells {where}")


def _delta_method_did(cells: pd.DataFrame, scale: float) -> tuple[float, float]:
    """Multivariate delta method from the covariance matrix of per-user cell sums (numpy)."""
    names = ["targeted:pre", "targeted:post", "comparison:pre", "comparison:post"]
    wide_y = cells.pivot_table(index="user_id", columns="cell_id", values="numerator", aggfunc="sum").reindex(columns=names).fillna(0)
    wide_x = cells.pivot_table(index="user_id", columns="cell_id", values="denominator", aggfunc="sum").reindex(columns=names).fillna(0)
    n = len(wide_y)
    means = np.concatenate([wide_y.mean().to_numpy(), wide_x.mean().to_numpy()])
    values = np.hstack([wide_y.to_numpy(), wide_x.to_numpy()])
    sigma = np.cov(values, rowvar=False, ddof=0)
    my, mx = means[:4], means[4:]
    signs = np.array([-1.0, 1.0, 1.0, -1.0])
    estimate = scale * float(np.sum(signs * my / mx))
    gradient = scale * np.concatenate([signs / mx, -signs * my / mx**2])
    return estimate, float(np.sqrt(gradient @ sigma @ gradient / n))


def _statsmodels_did(cells: pd.DataFrame, scale: float) -> tuple[float, float]:
    """Saturated WLS of y/x on targeted x post with weights x, cluster-robust by user."""
    c = cells[cells.denominator > 0].copy()
    c["treated"] = (c.group_name == "targeted").astype(float)
    c["post"] = (c.cell == "post").astype(float)
    c["interaction"] = c.treated * c.post
    design = sm.add_constant(c[["treated", "post", "interaction"]])
    fit = sm.WLS(c.numerator / c.denominator, design, weights=c.denominator).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(c.user_id)[0], "use_correction": False}
    )
    return scale * float(fit.params["interaction"]), scale * float(fit.bse["interaction"])


def test_did_matches_statsmodels_and_the_delta_method(demo_db):
    cells = _user_cells(demo_db)
    contrasts = query_df(demo_db, "select * from int_intervention_contrasts where contrast_id = 'did'")
    scales = query_df(demo_db, "select intervention_id, metric_name, analysis, value_scale from int_intervention_windows")
    checked_statsmodels = 0
    for row in contrasts.merge(scales).itertuples():
        key = (cells.intervention_id == row.intervention_id) & (cells.metric_name == row.metric_name) & (cells.analysis == row.analysis)
        subset = cells[key]
        estimate, se = _delta_method_did(subset, row.value_scale)
        assert row.estimate == pytest.approx(estimate, abs=TOLERANCE)
        assert row.standard_error == pytest.approx(se, abs=TOLERANCE)
        # WLS drops rows without denominator, so it applies where those carry no numerator
        if not ((subset.denominator == 0) & (subset.numerator > 0)).any():
            sm_estimate, sm_se = _statsmodels_did(subset, row.value_scale)
            assert row.estimate == pytest.approx(sm_estimate, abs=TOLERANCE)
            assert row.standard_error == pytest.approx(sm_se, abs=TOLERANCE)
            checked_statsmodels += 1
    assert checked_statsmodels >= 4  # unwanted_contact_rate and violating_view_rate, launch and placebo


def test_event_study_and_pre_trend_match_statsmodels(demo_db):
    """Pre-trend slope = OLS slope of the weekly gaps; each gap from the week's cells."""
    cells = query_df(demo_db, "select * from int_intervention_cells")
    scales = query_df(demo_db, "select intervention_id, metric_name, analysis, value_scale from int_intervention_windows")
    contrasts = query_df(demo_db, "select * from int_intervention_contrasts where contrast_id = 'pre_trend'")
    for row in contrasts.merge(scales).itertuples():
        c = cells[(cells.intervention_id == row.intervention_id) & (cells.metric_name == row.metric_name) & (cells.analysis == row.analysis)]
        weeks = c[(c.event_week < 0) & (c.denominator > 0)]
        value = weeks.assign(v=row.value_scale * weeks.numerator / weeks.denominator).pivot_table(index="event_week", columns="group_name", values="v").dropna()
        gap = value["targeted"] - value["comparison"]
        fit = sm.OLS(gap.to_numpy(), sm.add_constant(gap.index.to_numpy(dtype=float))).fit()
        assert row.estimate == pytest.approx(float(fit.params[1]), abs=TOLERANCE)
    study = query_df(demo_db, "select * from intervention_event_study")
    assert set(study.event_week) <= {-4, -3, -2, -1, 1, 2, 3, 4}
    launch = study[study.analysis == "launch"]
    assert (launch.groupby(["intervention_id", "metric_name"]).size() == 8).all()


def test_experiment_matches_statsmodels_scipy_and_cuped(demo_db):
    users = query_df(demo_db, "select * from int_intervention_experiment_user_totals")
    x = query_df(demo_db, "select * from intervention_experiment_effects").iloc[0]
    assert (x.treatment_users, x.control_users) == (
        users[(users.variant == "treatment") & (users.period == "post")].user_id.nunique(),
        users[(users.variant == "control") & (users.period == "post")].user_id.nunique(),
    )
    truth = planted(demo_scenario(), "int-002")
    assert x.treatment_users + x.control_users == truth["assigned_users"]
    assert x.treatment_users == truth["treatment_users"]
    # sample-ratio mismatch: scipy's chi-square test against the expected split
    observed = [x.treatment_users, x.control_users]
    total = sum(observed)
    chi = stats.chisquare(observed, [total * x.expected_treatment_share, total * (1 - x.expected_treatment_share)])
    assert x.srm_chi_square == pytest.approx(chi.statistic, abs=TOLERANCE)
    assert x.srm_p_value == pytest.approx(chi.pvalue, abs=TOLERANCE)
    # raw difference: WLS of y/x on treatment with weights x, cluster-robust by user
    post = users[(users.period == "post") & (users.denominator > 0)]
    design = sm.add_constant((post.variant == "treatment").astype(float).rename("treatment"))
    fit = sm.WLS(post.numerator / post.denominator, design, weights=post.denominator).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(post.user_id)[0], "use_correction": False}
    )
    assert x.difference == pytest.approx(fit.params["treatment"], abs=TOLERANCE)
    assert x.standard_error == pytest.approx(fit.bse["treatment"], abs=TOLERANCE)
    # CUPED from per-user linearized contributions computed here with pandas
    def influence(period: str) -> pd.Series:
        p = users[users.period == period]
        totals = p.groupby("variant")[["numerator", "denominator"]].sum()
        ratio = totals.numerator / totals.denominator
        sign = p.variant.map({"treatment": 1.0, "control": -1.0})
        z = sign * (p.numerator - p.variant.map(ratio) * p.denominator) / p.variant.map(totals.denominator)
        return pd.Series(z.to_numpy(), index=p.user_id).groupby(level=0).sum()

    z_post, z_pre = influence("post"), influence("pre").reindex(influence("post").index).fillna(0)
    theta = float((z_post * z_pre).sum() / (z_pre**2).sum())
    pre = users[users.period == "pre"].groupby("variant")[["numerator", "denominator"]].sum()
    pre_difference = pre.numerator["treatment"] / pre.denominator["treatment"] - pre.numerator["control"] / pre.denominator["control"]
    assert x.cuped_theta == pytest.approx(theta, abs=TOLERANCE)
    assert x.cuped_difference == pytest.approx(fit.params["treatment"] - theta * pre_difference, abs=TOLERANCE)
    variance = (z_post**2).sum() - (z_post * z_pre).sum() ** 2 / (z_pre**2).sum()
    assert x.cuped_standard_error == pytest.approx(np.sqrt(variance), abs=TOLERANCE)


def test_published_interventions_hold_no_user_ids(demo_db):
    for table in ("intervention_effects", "intervention_event_study", "intervention_experiment_effects"):
        columns = query_df(demo_db, f"select * from {table} limit 0").columns
        assert not any("user_id" in c for c in columns), table


def test_readout_writes_a_page_per_intervention(demo_db, tmp_path):
    from tsw.readout import write

    written = write(demo_db, tmp_path)
    assert sorted(p.name for p in written) == ["int-001.html", "int-002.html", "int-003.html"]
    page = (tmp_path / "int-001.html").read_text()
    e = effects(demo_db).loc[("int-001", "stranger_adult_to_minor_contacts_per_1k", "launch")]
    assert "Verdict: <b>improved</b>" in page
    assert f"{e.did_estimate:+,.2f}" in page  # the DiD as published
    assert "Placebo launch on" in page and "Pre-trend test" in page and "Caveats" in page
    assert "Plotly.newPlot" in page  # the event-study chart, JavaScript inlined
    assert "Sample ratio" in (tmp_path / "int-002.html").read_text()
    assert (tmp_path / "index.html").exists()
