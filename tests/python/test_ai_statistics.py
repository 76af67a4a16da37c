"""The AI estimator macros (macros/statistics/ai_statistics.sql) against hand-computed
values and statsmodels as an oracle: Cohen's kappa and its catalog interval, Newcombe's
hybrid score interval, the paired (McNemar-style) difference interval, the verdict.

All cases are evaluated by one `dbt show --inline` call (no warehouse needed).
"""

from __future__ import annotations

import json
import math

import pytest
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import confint_proportions_2indep

from tsw.dbt_runner import BuildConfig, run_dbt

Z = 1.959964

# judge x human 2x2 tables: (both_unsafe, judge_only_unsafe, human_only_unsafe, both_safe)
KAPPA_TABLE = (20, 5, 10, 65)

CASES_SQL = """
with kappa_parts as (
    select
        cast(20 + 65 as double) / 100 as p_o,
        {{ kappa_expected_agreement('20', '5', '10', '65') }} as p_e,
        {{ kappa_expected_agreement('0', '0', '0', '10') }} as p_e_constant
)
select
    p_o,
    p_e,
    {{ cohens_kappa('p_o', 'p_e') }} as kappa,
    {{ kappa_standard_error('p_o', 'p_e', '100') }} as kappa_se,
    {{ kappa_interval_lower(cohens_kappa('p_o', 'p_e'), kappa_standard_error('p_o', 'p_e', '100')) }} as kappa_lo,
    {{ kappa_interval_upper(cohens_kappa('p_o', 'p_e'), kappa_standard_error('p_o', 'p_e', '100')) }} as kappa_hi,
    p_e_constant,
    {{ cohens_kappa('1.0', 'p_e_constant') }} as kappa_constant,
    {{ kappa_standard_error('1.0', 'p_e_constant', '10') }} as kappa_se_constant,
    {{ newcombe_difference_lower('0.8', '70', '0.6', '80') }} as newcombe_lo,
    {{ newcombe_difference_upper('0.8', '70', '0.6', '80') }} as newcombe_hi,
    {{ newcombe_difference_lower('0.05', '40', '0.0', '25') }} as newcombe_zero_lo,
    {{ newcombe_difference_upper('0.05', '40', '0.0', '25') }} as newcombe_zero_hi,
    {{ paired_difference_half_width('0.3', '0.5', '10') }} as paired_half_width,
    {{ paired_difference_half_width('0.0', '0.0', '1') }} as paired_half_width_one_case,
    {{ comparison_verdict('0.01', '0.2', "'lower_is_better'") }} as verdict_worse,
    {{ comparison_verdict('-0.2', '-0.01', "'lower_is_better'") }} as verdict_better,
    {{ comparison_verdict('-0.2', '0.01', "'lower_is_better'") }} as verdict_unclear,
    {{ comparison_verdict('0.01', '0.2', "'higher_is_better'") }} as verdict_accuracy_up
from kappa_parts
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("ai_statistics")
    config = BuildConfig(db_path=root / "scratch.duckdb", target_path=root / "target")
    result = run_dbt(["show", "--inline", CASES_SQL, "--output", "json", "--quiet"], config, stream=False)
    payload = result.stdout[result.stdout.index("{"):]
    return json.loads(payload)["show"][0]


def test_kappa_matches_hand_computation_and_statsmodels(cases):
    # p_o = 85/100; marginals judge unsafe 25/100, human unsafe 30/100:
    # p_e = .25 * .30 + .75 * .70 = .60; kappa = (.85 - .60) / .40 = .625
    assert cases["p_o"] == pytest.approx(0.85)
    assert cases["p_e"] == pytest.approx(0.60)
    assert cases["kappa"] == pytest.approx(0.625)
    a, b, c, d = KAPPA_TABLE
    oracle = cohens_kappa([[a, b], [c, d]])
    assert cases["kappa"] == pytest.approx(oracle.kappa)


def test_kappa_interval_is_the_catalog_formula(cases):
    # SE = sqrt(.85 * .15 / 100) / (1 - .60) = 0.0892679...
    se = math.sqrt(0.85 * 0.15 / 100) / 0.4
    assert cases["kappa_se"] == pytest.approx(0.08926786, abs=1e-8)
    assert cases["kappa_se"] == pytest.approx(se)
    assert cases["kappa_lo"] == pytest.approx(0.625 - Z * se)
    assert cases["kappa_hi"] == pytest.approx(0.625 + Z * se)


def test_kappa_is_null_when_expected_agreement_is_one(cases):
    assert cases["p_e_constant"] == pytest.approx(1.0)
    assert cases["kappa_constant"] is None
    assert cases["kappa_se_constant"] is None


def test_newcombe_matches_the_published_example_and_statsmodels(cases):
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (56/70 vs 48/80),
    # method 10: 0.0524 to 0.3339.
    assert cases["newcombe_lo"] == pytest.approx(0.0524, abs=5e-5)
    assert cases["newcombe_hi"] == pytest.approx(0.3339, abs=5e-5)
    lo, hi = confint_proportions_2indep(56, 70, 48, 80, method="newcomb", compare="diff")
    assert cases["newcombe_lo"] == pytest.approx(lo, abs=1e-6)
    assert cases["newcombe_hi"] == pytest.approx(hi, abs=1e-6)
    lo, hi = confint_proportions_2indep(2, 40, 0, 25, method="newcomb", compare="diff")
    assert cases["newcombe_zero_lo"] == pytest.approx(lo, abs=1e-6)
    assert cases["newcombe_zero_hi"] == pytest.approx(hi, abs=1e-6)


def test_paired_interval_is_mcnemar_wald(cases):
    # 10 test cases: 4 fail under a and succeed under b, 1 the reverse, 5 concordant.
    # d: mean .3, mean d^2 .5, var .41; half width 1.96 sqrt(.41 / 10) = 0.39686...
    assert cases["paired_half_width"] == pytest.approx(Z * math.sqrt(0.41 / 10))
    b, c, n = 4, 1, 10
    wald_mcnemar = Z * math.sqrt((b + c) - (b - c) ** 2 / n) / n
    assert cases["paired_half_width"] == pytest.approx(wald_mcnemar)
    assert cases["paired_half_width_one_case"] is None


def test_verdict_follows_direction_and_interval(cases):
    assert cases["verdict_worse"] == "less_safe"
    assert cases["verdict_better"] == "safer"
    assert cases["verdict_unclear"] == "no_detectable_change"
    assert cases["verdict_accuracy_up"] == "safer"
