"""The contact-safety domain mart: consistency with the metric family and small-cell suppression.

fct_contact_safety_daily_unsuppressed (restricted) must sum, over its sender columns, to
unwanted_contact_rate's age_band x region cells; fct_contact_safety_daily (published)
must never show a cell of 1..49 first-contact messages, nor leave a sibling set with a
single suppressed cell. The suppression logic is also run on hand-made cells, through
the model's own compiled SQL, since the demo's cells are too small to exercise it.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
from conftest import query_df

# The metric units' day rows (int_metric_values, period_grain day) with their day as metric_date.
UNIT_DAY_ROWS = (
    "(select * exclude (period_grain, period_start), period_start as metric_date"
    " from int_metric_values where period_grain = 'day') as unit_rows"
)


CELL = ["contact_date", "recipient_age_band", "recipient_region", "sender_is_connection", "sender_age_group"]
THRESHOLD = 50  # dbt_project.yml var small_cell_threshold


def test_restricted_mart_sums_to_unwanted_contact_rate_cells(demo_db):
    mart = query_df(demo_db, """
        select contact_date as metric_date, recipient_age_band as age_band, recipient_region as region,
            sum(unwanted_contact_messages) as numerator, sum(first_contact_messages) as denominator
        from fct_contact_safety_daily_unsuppressed
        group by all
    """)
    family = query_df(demo_db, f"""
        select metric_date, age_band, region, numerator, denominator
        from {UNIT_DAY_ROWS}
        where metric_name = 'unwanted_contact_rate' and age_band <> 'all' and region <> 'all' and plan = 'all'
    """)
    assert not family.empty
    merged = mart.merge(family, on=["metric_date", "age_band", "region"], how="outer", suffixes=("_mart", "_family"))
    assert merged.notna().all().all(), merged[merged.isna().any(axis=1)].head()
    assert (merged["numerator_mart"] == merged["numerator_family"]).all()
    assert (merged["denominator_mart"] == merged["denominator_family"]).all()


def test_published_mart_suppresses_small_cells(demo_db):
    published = query_df(demo_db, "select * from fct_contact_safety_daily")
    restricted = query_df(demo_db, "select * from fct_contact_safety_daily_unsuppressed")
    assert len(published) == len(restricted) > 0
    merged = published.merge(restricted, on=CELL, suffixes=("", "_restricted"))
    assert len(merged) == len(published)
    small = merged["sample_size_restricted"].between(1, THRESHOLD - 1)
    assert merged.loc[small, "is_suppressed"].all(), "a small cell is published"
    hidden = merged[merged["is_suppressed"]]
    for column in ("first_contact_messages", "unwanted_contact_messages", "unwanted_contact_rate",
                   "ci_lower", "ci_upper", "sample_size"):
        assert hidden[column].isna().all(), f"{column} shown in a suppressed cell"
    shown = merged[~merged["is_suppressed"]]
    assert (shown["first_contact_messages"] == shown["first_contact_messages_restricted"]).all()
    assert (shown["unwanted_contact_messages"] == shown["unwanted_contact_messages_restricted"]).all()
    assert "recipient_id" not in published.columns and "sender_id" not in published.columns
    _assert_no_lonely_suppressed_cell(merged)


def _assert_no_lonely_suppressed_cell(cells: pd.DataFrame) -> None:
    """Each sibling set (one day, equal in every cell column but one) with more than one
    non-empty cell has zero or at least two suppressed cells."""
    for varying in CELL[1:]:
        fixed = [c for c in CELL if c != varying]
        sets = cells.groupby(fixed).agg(cells=("is_suppressed", "size"), suppressed=("is_suppressed", "sum"))
        lonely = sets[(sets["cells"] > 1) & (sets["suppressed"] == 1)]
        assert lonely.empty, f"a single suppressed cell along {varying}:\n{lonely.head()}"


def _run_published_sql(demo_config, cells: pd.DataFrame) -> pd.DataFrame:
    """The compiled fct_contact_safety_daily, reading hand-made restricted cells instead."""
    compiled = Path(demo_config.resolved_target_path()) / "compiled" / "tsw" / "models" / "marts" / "contact"
    sql = (compiled / "fct_contact_safety_daily.sql").read_text()
    sql, replaced = re.subn(r'"[^"]+"\."[^"]+"\."fct_contact_safety_daily_unsuppressed"', "crafted_cells", sql)
    assert replaced == 1, "expected one reference to the restricted model in the compiled SQL"
    with duckdb.connect() as con:
        con.register("crafted_input", cells)
        con.execute("create table crafted_cells as select * from crafted_input")
        return con.execute(sql).df()


def _crafted(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["recipient_age_band", "recipient_region", "sender_is_connection",
                                        "sender_age_group", "first_contact_messages"])
    frame.insert(0, "contact_date", pd.Timestamp("2026-06-01").date())
    frame["unwanted_contact_messages"] = frame["first_contact_messages"] // 10
    frame["unwanted_contact_rate"] = frame["unwanted_contact_messages"] / frame["first_contact_messages"]
    frame["ci_lower"] = 0.0
    frame["ci_upper"] = 1.0
    frame["sample_size"] = frame["first_contact_messages"]
    frame["metric_version"] = 1
    frame["is_final"] = True
    frame["finalization_instant"] = pd.Timestamp("2026-06-08")
    frame["as_of_date"] = pd.Timestamp("2026-08-28").date()
    return frame


def test_suppression_logic_on_hand_made_cells(demo_config):
    # One small cell among three age bands (eu, connection, adult): the smallest other
    # band (60) is suppressed with it, the largest (400) stays. A set with two small cells
    # (uk) needs nothing more. A lone cell (north_america, minor) is suppressed alone.
    cells = _crafted([
        ("13_15", "eu", True, "adult", 10),
        ("16_17", "eu", True, "adult", 60),
        ("18_24", "eu", True, "adult", 400),
        ("18_24", "uk", False, "unknown", 5),
        ("25_34", "uk", False, "unknown", 7),
        ("35_plus", "uk", False, "unknown", 300),
        ("25_34", "north_america", False, "minor", 3),
    ])
    out = _run_published_sql(demo_config, cells).set_index(["recipient_age_band", "recipient_region"])
    expected = {
        ("13_15", "eu"): True, ("16_17", "eu"): True, ("18_24", "eu"): False,
        ("18_24", "uk"): True, ("25_34", "uk"): True, ("35_plus", "uk"): False,
        ("25_34", "north_america"): True,
    }
    for key, suppressed in expected.items():
        assert bool(out.loc[key, "is_suppressed"]) is suppressed, f"{key}: is_suppressed should be {suppressed}"
    assert out.loc[("18_24", "eu"), "first_contact_messages"] == 400
    assert pd.isna(out.loc[("16_17", "eu"), "first_contact_messages"])
    assert pd.isna(out.loc[("16_17", "eu"), "sample_size"])


def test_complementary_suppression_repeats_until_stable(demo_config):
    # (13_15, eu, conn, adult) is small; its age-band sibling (16_17, eu, conn, adult) = 60
    # is suppressed in pass 1. That leaves the region set of 16_17 (eu vs uk) with one
    # suppressed cell, so (16_17, uk, conn, adult) = 70 follows in pass 2.
    cells = _crafted([
        ("13_15", "eu", True, "adult", 10),
        ("16_17", "eu", True, "adult", 60),
        ("16_17", "uk", True, "adult", 70),
        ("35_plus", "uk", True, "adult", 900),
    ])
    out = _run_published_sql(demo_config, cells).set_index(["recipient_age_band", "recipient_region"])
    assert bool(out.loc[("16_17", "eu"), "is_suppressed"])
    assert bool(out.loc[("16_17", "uk"), "is_suppressed"])
    cells_out = out.reset_index()
    cells_out["contact_date"] = pd.Timestamp("2026-06-01").date()
    _assert_no_lonely_suppressed_cell(cells_out)
