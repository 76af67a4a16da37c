"""The Great Expectations checkpoint (tsw.validate) passes on good marts and fails on broken ones.

Small DuckDB files are written here from a hand-made registry: a complete, zero-filled
metrics_daily built in Python (independently of the dbt models), the two domain marts, and
copies with one defect each. Every defect must make exactly the expectation that guards it
fail. If the demo warehouse builds, its marts must pass too.
"""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from tsw import validate
from tsw.validate import Reference, validate_database

AS_OF = date(2026, 8, 28)
DAYS = [AS_OF - timedelta(days=i) for i in range(2, -1, -1)]

REFERENCE = Reference(
    metrics=[
        {"metric_name": "msgs", "metric_version": 1, "unit": "count", "suppression_rule": "small_cell",
         "segment_columns": ["age_band", "region"], "is_minor_only": False},
        {"metric_name": "enforcement_actions", "metric_version": 2, "unit": "count", "suppression_rule": "none",
         "segment_columns": ["region", "policy_category"], "is_minor_only": False},
        {"metric_name": "minor_rate", "metric_version": 1, "unit": "proportion", "suppression_rule": "small_cell",
         "segment_columns": ["age_band", "surface"], "is_minor_only": True},
    ],
    segment_values={
        "age_band": ["under_13", "13_15", "18_24", "unknown"],
        "region": ["eu", "uk", "unknown"],
        "plan": ["free", "unknown"],
        "surface": ["home", "search"],
        "policy_category": ["spam", "unknown"],
        "feature": ["ai_dj"],
    },
    minor_age_bands=["under_13", "13_15"],
    small_cell_threshold=50,
)
SEGMENTS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]


def _wilson(successes: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _grid_rows() -> list[dict]:
    """Every published cell, by hand: total, each column alone, age_band x each other column."""
    rows = []
    for metric in REFERENCE.metrics:
        columns = metric["segment_columns"]
        groupings = [[], *([c] for c in columns)]
        if "age_band" in columns:
            groupings += [["age_band", c] for c in columns if c != "age_band"]
        for day in DAYS:
            for grouping in groupings:
                values = [
                    REFERENCE.minor_age_bands if (c == "age_band" and metric["is_minor_only"])
                    else REFERENCE.segment_values[c]
                    for c in grouping
                ]
                for combo in itertools.product(*values):
                    cell = dict.fromkeys(SEGMENTS, "all") | dict(zip(grouping, combo))
                    rows.append(_row(metric, day, cell))
    return rows


def _row(metric: dict, day: date, cell: dict) -> dict:
    row = {"metric_date": day, "metric_name": metric["metric_name"], "metric_version": metric["metric_version"],
           "unit": metric["unit"], **cell, "is_final": day + timedelta(days=3) <= AS_OF, "is_suppressed": False,
           "as_of_date": AS_OF, "ci_lower": None, "ci_upper": None}
    if metric["unit"] == "count":
        n = 10 if metric["metric_name"] == "enforcement_actions" else 120
        row |= {"numerator": float(n), "denominator": None, "value": float(n), "sample_size": n}
    else:
        low, high = _wilson(30, 100)
        row |= {"numerator": 30.0, "denominator": 100.0, "value": 0.3, "sample_size": 100,
                "ci_lower": low, "ci_upper": high}
    return row


COLUMN_TYPES = {
    "metric_date": "date", "metric_name": "varchar", "metric_version": "integer", "unit": "varchar",
    **dict.fromkeys(SEGMENTS, "varchar"), "numerator": "double", "denominator": "double", "value": "double",
    "sample_size": "bigint", "ci_lower": "double", "ci_upper": "double", "is_final": "boolean",
    "is_suppressed": "boolean", "as_of_date": "date",
}


def good_metrics_daily() -> pd.DataFrame:
    df = pd.DataFrame(_grid_rows())
    # A suppressed small cell (everything withheld) and a zero cell (not suppressed).
    small = (df["metric_name"] == "msgs") & (df["region"] == "uk") & (df["age_band"] == "13_15")
    df.loc[small, ["numerator", "value", "sample_size"]] = None
    df.loc[small, "is_suppressed"] = True
    zero = (df["metric_name"] == "minor_rate") & (df["surface"] == "search") & (df["age_band"] == "all")
    df.loc[zero, ["numerator", "denominator", "sample_size"]] = [0.0, 0.0, 0]
    df.loc[zero, ["value", "ci_lower", "ci_upper"]] = None
    return df


def good_enforcement() -> pd.DataFrame:
    rows = []
    for day in DAYS:  # 10 actions a day, as the published enforcement_actions total says
        rows.append({"decided_date": day, "region": "eu", "policy_category": "spam", "action": "remove",
                     "detection_source": "user_report", "decisions": 7, "actions": 7, "automated_decisions": 2,
                     "automated_actions": 2, "is_final": True, "as_of_date": AS_OF})
        rows.append({"decided_date": day, "region": "uk", "policy_category": "unknown", "action": "warn",
                     "detection_source": "automated_classifier", "decisions": 3, "actions": 3,
                     "automated_decisions": 3, "automated_actions": 3, "is_final": True, "as_of_date": AS_OF})
        rows.append({"decided_date": day, "region": "uk", "policy_category": "none", "action": "no_action",
                     "detection_source": "user_report", "decisions": 4, "actions": 0, "automated_decisions": 0,
                     "automated_actions": 0, "is_final": True, "as_of_date": AS_OF})
    return pd.DataFrame(rows)


def good_contact() -> pd.DataFrame:
    low, high = _wilson(6, 60)
    rows = []
    for day in DAYS:
        rows.append({"contact_date": day, "recipient_age_band": "13_15", "recipient_region": "eu",
                     "sender_is_connection": False, "sender_age_group": "adult", "first_contact_messages": 60,
                     "unwanted_contact_messages": 6, "unwanted_contact_rate": 0.1, "ci_lower": low, "ci_upper": high,
                     "sample_size": 60, "is_final": True, "is_suppressed": False, "as_of_date": AS_OF})
        rows.append({"contact_date": day, "recipient_age_band": "18_24", "recipient_region": "uk",
                     "sender_is_connection": True, "sender_age_group": "unknown", "first_contact_messages": None,
                     "unwanted_contact_messages": None, "unwanted_contact_rate": None, "ci_lower": None,
                     "ci_upper": None, "sample_size": None, "is_final": True, "is_suppressed": True,
                     "as_of_date": AS_OF})
    return pd.DataFrame(rows)


def write_db(path: Path, metrics: pd.DataFrame | None, enforcement: pd.DataFrame | None = None,
             contact: pd.DataFrame | None = None, types: dict[str, str] | None = None) -> Path:
    types = {**COLUMN_TYPES, **(types or {})}
    with duckdb.connect(str(path)) as con:
        if metrics is not None:
            con.register("metrics_frame", metrics)
            select = ", ".join(f"cast({c} as {types.get(c, 'varchar')}) as {c}" for c in metrics.columns)
            con.execute(f"create table metrics_daily as select {select} from metrics_frame")
        if enforcement is not None:
            con.register("enforcement_frame", enforcement)
            con.execute("create table fct_enforcement_actions_daily as select * from enforcement_frame")
        if contact is not None:
            con.register("contact_frame", contact)
            con.execute(
                "create table fct_contact_safety_daily as select * replace ("
                "cast(first_contact_messages as bigint) as first_contact_messages, "
                "cast(unwanted_contact_messages as bigint) as unwanted_contact_messages, "
                "cast(sample_size as bigint) as sample_size) from contact_frame"
            )
    return path


def _failed(result) -> set[tuple[str, str, str | None]]:
    return {(o.suite, o.expectation, o.column) for o in result.failures}


@pytest.fixture(scope="module")
def good_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("validate_good")
    return write_db(root / "good.duckdb", good_metrics_daily(), good_enforcement(), good_contact())


def test_grid_size_matches_hand_built_grid():
    assert REFERENCE.grid_cells_per_day() * len(DAYS) == len(_grid_rows())
    # By hand: msgs 1 + 4 + 3 + 4*3 = 20; enforcement_actions 1 + 3 + 2 = 6; minor_rate 1 + 2 + 2 + 2*2 = 9.
    assert REFERENCE.grid_cells_per_day() == 35


def test_good_marts_pass_and_write_data_docs(good_db, tmp_path):
    docs = tmp_path / "docs"
    result = validate_database(good_db, data_docs_dir=docs, reference=REFERENCE)
    assert result.success, result.summary()
    assert result.notes == []
    suites = {o.suite for o in result.outcomes}
    assert suites == {"metrics_daily", "metrics_daily_schema", "fct_enforcement_actions_daily",
                      "fct_contact_safety_daily"}
    assert len(result.outcomes) > 40
    assert result.data_docs_index == docs / "index.html"
    assert (docs / "index.html").read_text().count("metrics_daily") > 0


@pytest.fixture(scope="module")
def broken_result(tmp_path_factory):
    """One copy of every mart with several independent defects, each in its own rows."""
    metrics = good_metrics_daily()
    rate = metrics.index[(metrics["metric_name"] == "minor_rate") & (metrics["age_band"] == "under_13")
                         & (metrics["surface"] == "all")][0]
    metrics.loc[rate, "value"] = 1.5  # a rate above 1 (also above its interval)
    small = metrics.index[(metrics["metric_name"] == "msgs") & (metrics["region"] == "eu")
                          & (metrics["age_band"] == "all")][0]
    metrics.loc[small, ["numerator", "value", "sample_size"]] = [12.0, 12.0, 12]  # unsuppressed small cell
    version = metrics.index[(metrics["metric_name"] == "msgs") & (metrics["region"] == "uk")
                            & (metrics["age_band"] == "all")][0]
    metrics.loc[version, "metric_version"] = 2  # a version the registry gives another metric
    metrics = metrics.drop(index=metrics.index[-1])  # one grid cell missing
    enforcement = good_enforcement()
    enforcement.loc[0, "automated_actions"] = 9  # more automated actions than actions
    enforcement.loc[3, ["decisions", "actions"]] = [8, 8]  # one action the published total does not have
    contact = good_contact()
    contact.loc[0, "recipient_region"] = "atlantis"
    root = tmp_path_factory.mktemp("validate_broken")
    db = write_db(root / "broken.duckdb", metrics, enforcement, contact, types={"metric_version": "bigint"})
    return validate_database(db, data_docs_dir=None, reference=REFERENCE)


def test_broken_marts_fail_on_exactly_their_defects(broken_result):
    assert not broken_result.success
    rate_failures = {
        ("metrics_daily", "expect_column_values_to_be_between", "value"),  # 1.5 not in [0, 1]
        ("metrics_daily", "expect_column_pair_values_a_to_be_greater_than_b", "ci_upper, value"),
    }
    expected = rate_failures | {
        ("metrics_daily", "expect_column_values_to_be_in_set", "is_suppressed"),  # small cell shown
        ("metrics_daily", "expect_column_values_to_be_in_set", "metric_name"),  # msgs is not at version 2
        ("metrics_daily", "expect_table_row_count_to_be_between", None),  # a missing cell
        ("metrics_daily_schema", "expect_column_pair_values_to_be_in_set", "column_name, data_type"),  # bigint
        ("fct_enforcement_actions_daily", "expect_column_pair_values_a_to_be_greater_than_b",
         "actions, automated_actions"),
        ("fct_enforcement_actions_daily", "expect_column_sum_to_be_between", "actions"),  # lost a published action
        ("fct_contact_safety_daily", "expect_column_values_to_be_in_set", "recipient_region"),
    }
    assert _failed(broken_result) == expected


def test_rate_above_one_is_reported_with_its_row(broken_result):
    failure = next(o for o in broken_result.failures
                   if o.expectation == "expect_column_values_to_be_between" and o.column == "value")
    assert "1.5" in failure.detail and "1 unexpected" in failure.detail


@pytest.mark.parametrize("defect", ["missing_column", "no_metrics_daily", "unknown_metric", "two_as_of_dates"])
def test_cli_exits_non_zero_on_defect(defect, tmp_path, capsys, monkeypatch):
    metrics = good_metrics_daily()
    if defect == "missing_column":
        metrics = metrics.drop(columns=["ci_upper"])
    elif defect == "unknown_metric":
        metrics.loc[0, "metric_name"] = "made_up_metric"
    elif defect == "two_as_of_dates":
        metrics.loc[0, "as_of_date"] = AS_OF - timedelta(days=1)
    db = write_db(tmp_path / "bad.duckdb", None if defect == "no_metrics_daily" else metrics)
    if defect == "no_metrics_daily":
        with duckdb.connect(str(db)) as con:
            con.execute("create table something_else as select 1 as x")
    monkeypatch.setattr(validate.Reference, "from_project", classmethod(lambda cls, *a, **k: REFERENCE))
    code = validate.run(SimpleNamespace(database=db, data_docs=tmp_path / "docs", no_data_docs=False))
    out = capsys.readouterr().out
    assert code == 1, out
    assert "validation FAILED" in out


def test_cli_exits_zero_on_good_database_and_notes_absent_marts(tmp_path, capsys, monkeypatch):
    db = write_db(tmp_path / "only_metrics.duckdb", good_metrics_daily())
    monkeypatch.setattr(validate.Reference, "from_project", classmethod(lambda cls, *a, **k: REFERENCE))
    code = validate.run(SimpleNamespace(database=db, data_docs=tmp_path / "docs", no_data_docs=True))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fct_enforcement_actions_daily is absent" in out and "fct_contact_safety_daily is absent" in out
    assert not (tmp_path / "docs").exists()


def test_demo_marts_pass(demo_db, tmp_path):
    result = validate_database(demo_db, data_docs_dir=tmp_path / "docs")
    assert result.success, result.summary()
