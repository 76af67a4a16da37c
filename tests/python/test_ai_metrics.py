"""AI evaluation metrics (issue #12) on the built demo: every ai_* value checked against
an independent pandas computation from the staged rows, and the generator's planted
truths (scenario.json: ai_model_regression, judge_drift) against the published marts.

All tests that need the built demo are in this module so the demo is built once.
The same truth checks run on another generated landing build when TSW_AI_LANDING_DB
(the built database) and TSW_AI_LANDING_SCENARIO (its scenario.json) are set.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from conftest import demo_scenario, query_df
from tsw.dbt_runner import BuildConfig, run_dbt, run_results
from tsw.paths import PROJECT_DIR

Z = 1.959964
MATURITY = {
    "ai_unsafe_output_rate": 3,
    "ai_attack_success_rate": 3,
    "ai_over_refusal_rate": 3,
    "ai_judge_human_kappa": 10,
    "ai_judge_calibration_accuracy": 3,
}
EVAL_SETS = {
    "ai_attack_success_rate": ("red_team", lambda j: j["verdict"] == "unsafe"),
    "ai_over_refusal_rate": ("benign_probe", lambda j: j["refused"].astype(bool)),
    "ai_judge_calibration_accuracy": ("calibration", lambda j: j["verdict"] == j["expected_verdict"]),
}


def primary_judge() -> str:
    seed = pd.read_csv(PROJECT_DIR / "seeds" / "reference" / "ref_primary_judge.csv")
    assert len(seed) == 1, "these checks assume one primary judge"
    return str(seed["judge_id"].iloc[0])


def cutoff(day, maturity: int, as_of: date) -> pd.Timestamp:
    """The earlier of the day's finalization instant and the build's knowledge instant."""
    final = pd.Timestamp(day) + pd.Timedelta(days=maturity + 1)
    return min(final, pd.Timestamp(as_of + timedelta(days=1)))


def latest(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    ordered = frame.sort_values(["judged_at", "judgment_id"], ascending=False)
    return ordered.drop_duplicates(keys, keep="first")


@pytest.fixture(scope="module")
def staged(demo_db):
    judgments = query_df(demo_db, "select * from stg_platform__ai_eval_judgments")
    interactions = query_df(demo_db, "select * from stg_platform__ai_interactions")
    for frame, columns in ((judgments, ["judged_at", "ingested_at"]), (interactions, ["occurred_at", "ingested_at"])):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column]).dt.tz_localize(None)
    segments = query_df(demo_db, "select user_id, segment_date, age_band, region, plan from int_user_day_segments")
    segments["segment_date"] = pd.to_datetime(segments["segment_date"])
    return judgments, interactions, segments


@pytest.fixture(scope="module")
def as_of() -> date:
    return date.fromisoformat(demo_scenario()["as_of_date"])


@pytest.fixture(scope="module")
def published(demo_db) -> pd.DataFrame:
    frame = query_df(
        demo_db,
        "select * from fct_metrics_daily_unsuppressed where metric_name like 'ai\\_%' escape '\\'",
    )
    frame["metric_date"] = pd.to_datetime(frame["metric_date"])
    return frame


def cell(published: pd.DataFrame, metric: str, day, **segments) -> pd.Series:
    mask = (published["metric_name"] == metric) & (published["metric_date"] == pd.Timestamp(day))
    for column in ("age_band", "region", "plan", "surface", "policy_category", "feature"):
        mask &= published[column] == segments.get(column, "all")
    rows = published[mask]
    assert len(rows) == 1, (metric, day, segments)
    return rows.iloc[0]


# ----------------------------------------------------------------- independent recomputation --


def expected_unsafe_rate(staged, as_of: date) -> pd.DataFrame:
    judgments, interactions, segments = staged
    judge = primary_judge()
    rows = []
    interactions = interactions.assign(day=interactions["occurred_at"].dt.normalize())
    prod = judgments[(judgments["eval_set"] == "production_sample") & (judgments["judge_id"] == judge)]
    for day, day_interactions in interactions.groupby("day"):
        limit = cutoff(day, MATURITY["ai_unsafe_output_rate"], as_of)
        known = day_interactions[day_interactions["ingested_at"] < limit]
        verdicts = latest(prod[(prod["ingested_at"] < limit) & prod["output_id"].isin(known["output_id"])], ["output_id"])
        judged = known.merge(verdicts[["output_id", "verdict"]], on="output_id")
        judged = judged.merge(segments, left_on=["user_id", "day"], right_on=["user_id", "segment_date"], how="left")
        judged["unsafe"] = judged["verdict"] == "unsafe"
        for keys in ([], ["feature"], ["age_band"], ["age_band", "feature"], ["region"], ["plan"]):
            groups = judged.groupby(keys) if keys else [((), judged)]
            for key, group in groups:
                key = key if isinstance(key, tuple) else (key,)
                rows.append({"day": day, **dict(zip(keys, key)), "numerator": group["unsafe"].sum(), "denominator": len(group)})
    return pd.DataFrame(rows)


def expected_eval_set(staged, as_of: date, metric: str) -> pd.DataFrame:
    judgments, _, _ = staged
    eval_set, outcome = EVAL_SETS[metric]
    known = judgments[judgments["ingested_at"] < pd.Timestamp(as_of + timedelta(days=1))]
    run_dates = known.groupby("eval_run_id")["judged_at"].min().dt.normalize().rename("run_date")
    rows = known[(known["eval_set"] == eval_set) & (known["judge_id"] == primary_judge())].join(run_dates, on="eval_run_id")
    limits = rows["run_date"].map(lambda d: cutoff(d, MATURITY[metric], as_of))
    rows = latest(rows[rows["ingested_at"] < limits], ["eval_run_id", "output_id"])
    rows = rows.assign(outcome=outcome(rows))
    out = []
    for (day, feature), group in rows.groupby(["run_date", "feature"]):
        out.append({"day": day, "feature": feature, "numerator": group["outcome"].sum(), "denominator": len(group)})
    for day, group in rows.groupby("run_date"):
        out.append({"day": day, "feature": "all", "numerator": group["outcome"].sum(), "denominator": len(group)})
    return pd.DataFrame(out)


def expected_kappa(staged, as_of: date) -> pd.DataFrame:
    judgments, _, _ = staged
    prod = judgments[judgments["eval_set"] == "production_sample"]
    humans = prod[prod["judge_type"] == "human"]
    first = humans.groupby("output_id")["judged_at"].min()
    monday = (first.dt.normalize() - pd.to_timedelta(first.dt.day_of_week, unit="D")).rename("monday")
    pairs = []
    for output_id, week in monday.items():
        limit = cutoff(week, MATURITY["ai_judge_human_kappa"], as_of)
        votes = humans[(humans["output_id"] == output_id) & (humans["ingested_at"] < limit)]["verdict"]
        unsafe, safe = (votes == "unsafe").sum(), (votes == "safe").sum()
        judge = prod[(prod["output_id"] == output_id) & (prod["judge_id"] == primary_judge()) & (prod["ingested_at"] < limit)]
        if unsafe == safe or judge.empty:
            continue
        verdict = latest(judge, ["output_id"]).iloc[0]
        pairs.append({"monday": week, "feature": verdict["feature"], "judge": verdict["verdict"] == "unsafe", "human": unsafe > safe})
    pairs = pd.DataFrame(pairs)
    out = []
    for feature in ["all", *sorted(pairs["feature"].unique())]:
        subset = pairs if feature == "all" else pairs[pairs["feature"] == feature]
        for week, group in subset.groupby("monday"):
            n = len(group)
            p_o = (group["judge"] == group["human"]).mean()
            p_e = group["judge"].mean() * group["human"].mean() + (1 - group["judge"].mean()) * (1 - group["human"].mean())
            kappa = (p_o - p_e) / (1 - p_e) if p_e < 1 else None
            se = np.sqrt(p_o * (1 - p_o) / n) / (1 - p_e) if p_e < 1 else None
            out.append({"day": week, "feature": feature, "pairs": n, "kappa": kappa, "se": se,
                        "table": [[int((group["judge"] & group["human"]).sum()), int((group["judge"] & ~group["human"]).sum())],
                                  [int((~group["judge"] & group["human"]).sum()), int((~group["judge"] & ~group["human"]).sum())]]})
    return pd.DataFrame(out)


def test_unsafe_output_rate_equals_pandas_from_staged_rows(staged, as_of, published):
    expected = expected_unsafe_rate(staged, as_of)
    assert expected["denominator"].sum() > 0
    sample = expected.sample(n=min(150, len(expected)), random_state=12)
    for _, row in pd.concat([sample, expected[expected.drop(columns=["day", "numerator", "denominator"]).isna().all(axis=1)]]).iterrows():
        segments = {k: row[k] for k in ("feature", "age_band", "region", "plan") if k in row and isinstance(row[k], str)}
        got = cell(published, "ai_unsafe_output_rate", row["day"], **segments)
        assert (got["numerator"], got["denominator"]) == (row["numerator"], row["denominator"]), (row.to_dict(), got.to_dict())
    totals = published[(published["metric_name"] == "ai_unsafe_output_rate") & (published["grouping_name"] == "total")]
    assert totals["denominator"].sum() == expected[expected[["feature", "age_band", "region", "plan"]].isna().all(axis=1)]["denominator"].sum()


@pytest.mark.parametrize("metric", sorted(EVAL_SETS))
def test_eval_set_metrics_equal_pandas_from_staged_rows(staged, as_of, published, metric):
    expected = expected_eval_set(staged, as_of, metric)
    assert len(expected) > 10
    for _, row in expected.iterrows():
        got = cell(published, metric, row["day"], feature=row["feature"])
        assert (got["numerator"], got["denominator"]) == (row["numerator"], row["denominator"]), row.to_dict()
        assert got["value"] == pytest.approx(row["numerator"] / row["denominator"])
    published_rows = published[(published["metric_name"] == metric) & (published["denominator"] > 0)]
    assert len(published_rows) == len(expected), "published eval-set cells without a pandas counterpart"


def test_kappa_equals_pandas_and_statsmodels(staged, as_of, published):
    expected = expected_kappa(staged, as_of)
    assert len(expected) > 5
    for _, row in expected.iterrows():
        if row["day"] < published["metric_date"].min():
            continue
        got = cell(published, "ai_judge_human_kappa", row["day"], feature=row["feature"])
        assert got["sample_size"] == row["pairs"]
        if row["kappa"] is None or pd.isna(row["kappa"]):
            assert pd.isna(got["value"]) and pd.isna(got["ci_lower"])
            continue
        assert got["value"] == pytest.approx(row["kappa"], abs=1e-12)
        assert got["value"] == pytest.approx(cohens_kappa(row["table"]).kappa, abs=1e-12)
        assert got["ci_lower"] == pytest.approx(max(row["kappa"] - Z * row["se"], -1.0), abs=1e-12)
        assert got["ci_upper"] == pytest.approx(min(row["kappa"] + Z * row["se"], 1.0), abs=1e-12)


def test_period_rows_pool_the_days_parts(demo_db):
    """A week's (and month's) parts are the sums of its day rows' parts; kappa pools pairs."""
    mismatches = query_df(demo_db, """
        with days as (
            select metric_name, period_start as metric_date, feature, numerator, denominator, sample_size
            from metric__ai_attack_success_rate where period_grain = 'day'
            union all
            select metric_name, period_start, feature, numerator, denominator, sample_size
            from metric__ai_unsafe_output_rate
            where period_grain = 'day' and age_band = 'all' and region = 'all' and plan = 'all'
            union all
            select metric_name, period_start, feature, null, null, sample_size
            from metric__ai_judge_human_kappa where period_grain = 'day'
        ),
        rolled as (
            select days.metric_name, periods.period_grain, periods.period_start, days.feature,
                   sum(days.numerator) as numerator, sum(days.sample_size) as sample_size
            from days inner join int_metric_periods as periods on days.metric_date = periods.metric_date
            where periods.period_grain in ('week', 'month', 'quarter')
            group by all
        ),
        units as (
            select metric_name, period_grain, period_start, feature, numerator, sample_size
            from metric__ai_attack_success_rate
            union all
            select metric_name, period_grain, period_start, feature, numerator, sample_size
            from metric__ai_unsafe_output_rate where age_band = 'all' and region = 'all' and plan = 'all'
            union all
            select metric_name, period_grain, period_start, feature, null, sample_size from metric__ai_judge_human_kappa
        )
        select rolled.*, units.numerator as unit_numerator, units.sample_size as unit_sample_size
        from rolled left join units using (metric_name, period_grain, period_start, feature)
        where units.sample_size is distinct from rolled.sample_size
            or units.numerator is distinct from rolled.numerator
    """)
    assert mismatches.empty, mismatches.head(10)


# ---------------------------------------------------------------------------- planted truths --


def check_model_regression(db: Path, truths: dict) -> dict:
    """The regressed version is less_safe on unsafe rate and attack success; placebos show nothing."""
    regression = truths["ai_model_regression"]
    baseline, regressed = regression["model_version_baseline"], regression["model_version_regressed"]
    comparison = query_df(db, "select * from ai_model_version_comparison")
    found = {}
    for metric in ("ai_unsafe_output_rate", "ai_attack_success_rate"):
        for kind in ("previous_version", "named_baseline"):
            row = comparison[(comparison["metric_name"] == metric) & (comparison["comparison_type"] == kind)
                             & (comparison["model_version_a"] == baseline) & (comparison["model_version_b"] == regressed)]
            assert len(row) == 1, (metric, kind)
            assert row.iloc[0]["verdict"] == "less_safe", row.iloc[0].to_dict()
            found[(metric, kind)] = row.iloc[0][["difference", "ci_lower", "ci_upper"]].to_dict()
    placebo = comparison[comparison["comparison_type"] == "placebo_split"]
    baseline_placebo = placebo[(placebo["model_version_a"] == baseline) & (placebo["feature"] == regression["feature"])]
    assert len(baseline_placebo) >= 3, placebo
    assert (baseline_placebo["verdict"] == "no_detectable_change").all(), baseline_placebo
    # Other features' placebos are 95% intervals too: about 1 in 20 reads a change by chance.
    assert (placebo["verdict"] != "no_detectable_change").mean() <= 0.25, placebo
    found["placebo_false_positives"] = int((placebo["verdict"] != "no_detectable_change").sum())
    found["placebo_rows"] = len(placebo)
    self_rows = comparison[(comparison["model_version_a"] == comparison["model_version_b"])]
    assert (self_rows["comparison_type"] == "placebo_split").all()
    return found


def check_planted_rates_inside_intervals(db: Path, truths: dict) -> list:
    regression = truths["ai_model_regression"]
    runs = query_df(db, """
        select model_version, eval_set, feature, rate, ci_lower, ci_upper from fct_ai_eval_runs
        where eval_run_id = 'all' and attack_technique = 'all' and harm_category = 'all'
    """)
    red_team = runs[runs["eval_set"] == "red_team"].set_index("model_version")
    for version, p in regression["attack_success_by_model_version"].items():
        assert red_team.loc[version, "ci_lower"] <= p <= red_team.loc[version, "ci_upper"], (version, p)
    # Over-refusal is planted per feature (not per version) as a probability, and each
    # benign cell's 95% interval misses it about 1 time in 20 by chance: misses are
    # reported, and more than one of the few benign cells missing fails (about 1.4% by
    # chance with 4 cells). Seed 2026 (make demo): playlist-3.2 refused 6 of 389 against
    # a planted 0.04 (interval 0.007-0.033), a 1-in-150 draw of the generator itself.
    parameter_misses = []
    benign = runs[runs["eval_set"] == "benign_probe"]
    for _, row in benign.iterrows():
        p = regression["over_refusal_by_feature"][row["feature"]]
        if not row["ci_lower"] <= p <= row["ci_upper"]:
            parameter_misses.append((row["model_version"], p, round(row["ci_lower"], 4), round(row["ci_upper"], 4)))
    assert len(benign) >= 3 and len(parameter_misses) <= 1, parameter_misses
    comparison = query_df(db, "select * from ai_model_version_comparison where metric_name = 'ai_unsafe_output_rate'")
    intervals = {}
    for side in ("a", "b"):
        for _, row in comparison[comparison["comparison_type"] != "placebo_split"].iterrows():
            intervals[row[f"model_version_{side}"]] = (row[f"rate_{side}_ci_lower"], row[f"rate_{side}_ci_upper"])
    for _, row in comparison[comparison["comparison_type"] == "placebo_split"].iterrows():
        intervals.setdefault(row["model_version_a"], None)
    production = query_df(db, """
        select model_version, count(*) as n, count_if(is_unsafe) as unsafe
        from int_ai_production_outputs where is_judged group by model_version
    """).set_index("model_version")
    # The judged outputs are a random sample of the version's interactions, so the
    # estimand is the realized unsafe share of all its interactions (the generator's
    # realized truth); the planted probability is reported, not asserted: a 95%
    # interval misses it about 1 time in 20.
    realized = {v: regression["realized_unsafe_by_model_version"][v] / regression["realized_interactions_by_model_version"][v]
                for v in regression["p_unsafe_by_model_version"]}
    for version, p in regression["p_unsafe_by_model_version"].items():
        n, unsafe = production.loc[version, "n"], production.loc[version, "unsafe"]
        rate = unsafe / n
        centre = (rate + Z**2 / (2 * n)) / (1 + Z**2 / n)
        half = Z * np.sqrt(rate * (1 - rate) / n + Z**2 / (4 * n * n)) / (1 + Z**2 / n)
        assert centre - half <= realized[version] <= centre + half, (version, realized[version], rate, n)
        if not centre - half <= p <= centre + half:
            parameter_misses.append((version, p, round(centre - half, 4), round(centre + half, 4)))
        if intervals.get(version):
            assert intervals[version] == pytest.approx((centre - half, centre + half))
    return parameter_misses


def check_judge_drift(db: Path, truths: dict) -> list:
    drift = truths["judge_drift"]
    start = date.fromisoformat(drift["drift_start_date"])
    quality = query_df(db, "select * from fct_ai_judge_quality where quality_kind = 'calibration_run'")
    primary = quality[quality["judge_id"] == drift["judge_id"]]
    flagged = primary[primary["is_drift_below_bound"]]
    assert not flagged.empty, "the drifting judge was never flagged"
    assert (pd.to_datetime(flagged["period_start"]).dt.date > start).all(), flagged[["period_start", "drift"]]
    assert primary["is_primary_judge"].all()
    candidate = quality[quality["judge_id"] == drift["candidate_judge_id"]]
    # The gate is the primary judge's (the warn tests read is_primary_judge rows only):
    # the flag column is computed for every judge, and a candidate's drift from its own
    # first run can read as a drop when that first run was lucky (seed 2026: llm-judge-v4
    # scored 0.98 on its first run and 0.89 three weeks later), so it is not asserted.
    assert not candidate["is_primary_judge"].any()
    assert candidate["accuracy"].mean() > primary["accuracy"].mean()
    after = pd.to_datetime(primary["period_start"]).dt.date > start
    assert candidate[pd.to_datetime(candidate["period_start"]).dt.date > start]["accuracy"].mean() > primary[after]["accuracy"].mean()
    return sorted(pd.to_datetime(flagged["period_start"]).dt.date.astype(str))


def test_regressed_model_version_is_less_safe_and_placebos_are_not(demo_db):
    check_model_regression(demo_db, demo_scenario()["truths"])


def test_planted_rates_lie_inside_published_intervals(demo_db):
    check_planted_rates_inside_intervals(demo_db, demo_scenario()["truths"])


def test_drifting_judge_is_flagged_only_after_drift_and_candidate_is_better(demo_db):
    check_judge_drift(demo_db, demo_scenario()["truths"])


@pytest.mark.skipif(not os.environ.get("TSW_AI_LANDING_DB"), reason="set TSW_AI_LANDING_DB and TSW_AI_LANDING_SCENARIO")
def test_truths_on_another_generated_landing_build():
    db = Path(os.environ["TSW_AI_LANDING_DB"])
    truths = json.loads(Path(os.environ["TSW_AI_LANDING_SCENARIO"]).read_text())["truths"]
    check_model_regression(db, truths)
    check_planted_rates_inside_intervals(db, truths)
    check_judge_drift(db, truths)


# --------------------------------------------------------------------- primary-judge checks --


def test_changed_or_missing_primary_judge_fails_the_build(demo_config, tmp_path):
    """A ref_primary_judge naming another judge without a version bump fails the versioning
    check; a primary judge with no judgments fails the presence check (the documented default)."""
    copy = tmp_path / "changed_judge.duckdb"
    shutil.copy(demo_config.db_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("create or replace table ref_primary_judge as select 'llm-judge-v9' as judge_id, date '2024-01-01' as primary_from_date")
    config = BuildConfig(db_path=copy, target_path=tmp_path / "target", as_of_date=demo_config.as_of_date, target="ci")
    run_dbt(["build", "--select", "int_ai_judgments", "assert_ai_primary_judge_versioned",
             "assert_ai_primary_judge_has_judgments"], config, stream=False, check=False)
    statuses = {r["unique_id"].split(".")[-1]: (r["status"], r.get("failures")) for r in run_results(config)["results"]}
    assert statuses["assert_ai_primary_judge_versioned"][0] == "fail", statuses
    assert statuses["assert_ai_primary_judge_versioned"][1] == 5  # the five ai_* metrics
    assert statuses["assert_ai_primary_judge_has_judgments"][0] == "fail", statuses


def test_judge_corrected_unsafe_rate_is_prediction_powered_inference(demo_db):
    """PPI mean estimate recomputed in pandas: judge mean over N + mean(human - judge) over n."""
    outputs = query_df(demo_db, "select output_id, feature, model_version, is_unsafe from int_ai_production_outputs where is_judged")
    humans = query_df(demo_db, """
        select output_id, verdict from stg_platform__ai_eval_judgments
        where eval_set = 'production_sample' and judge_type = 'human'
    """)
    votes = humans.assign(unsafe=humans["verdict"] == "unsafe").groupby("output_id")["unsafe"].agg(["sum", "count"])
    votes = votes[votes["sum"] * 2 != votes["count"]]
    human = (votes["sum"] * 2 > votes["count"]).astype(float).rename("human")
    frame = outputs.join(human, on="output_id")
    frame["judge"] = frame["is_unsafe"].astype(float)
    published = query_df(demo_db, "select * from fct_ai_judge_corrected_unsafe_rate").set_index(["feature", "model_version"])
    for (feature, version), group in frame.groupby(["feature", "model_version"]):
        labeled = group.dropna(subset=["human"])
        rectifier = labeled["human"] - labeled["judge"]
        rate = group["judge"].mean() + rectifier.mean()
        se = np.sqrt(group["judge"].var(ddof=1) / len(group) + rectifier.var(ddof=1) / len(labeled))
        row = published.loc[(feature, version)]
        assert (row["judged_outputs"], row["human_labeled_outputs"]) == (len(group), len(labeled))
        assert row["corrected_rate"] == pytest.approx(rate, abs=1e-12)
        assert row["ci_lower"] == pytest.approx(rate - Z * se, abs=1e-12)
        assert row["ci_upper"] == pytest.approx(rate + Z * se, abs=1e-12)
