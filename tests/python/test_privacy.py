"""Differencing: no suppressed non-zero cell can be recovered from a published table.

The audit (tsw.privacy) writes down every linear relation a reader knows (all groupings
of a metric-day, and the quantities metrics share) and solves for each suppressed part.
Planted cases prove it finds the leaks the review found (another grouping, a shared
denominator); the demo and landing builds prove the published tables have none, with
every determined value checked against the restricted truth.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tsw import privacy
from tsw.dbt_runner import run_dbt
from tsw.paths import REFERENCE_SEEDS_DIR

AGES = ["under_13", "13_15", "18_24"]


def _shapes(rows: list[dict]) -> dict[str, privacy.MetricShape]:
    registry = pd.DataFrame(rows)
    segment_values = pd.DataFrame(
        [{"segment_column": "age_band", "segment_value": a, "sort_order": i} for i, a in enumerate(AGES)]
        + [{"segment_column": "plan", "segment_value": p, "sort_order": i} for i, p in enumerate(["free", "premium"])]
    )
    age_bands = pd.DataFrame({"age_band": AGES, "is_minor": ["true", "true", "false"]})
    return privacy.metric_shapes(registry, segment_values, age_bands)


def _registry_row(name: str, unit: str, columns: str) -> dict:
    return {"metric_name": name, "unit": unit, "segment_columns": columns, "is_minor_only": "false"}


def _cell(metric: str, numerator, denominator=None, suppressed=False, **segments) -> dict:
    row = {"metric_date": "2026-06-01", "metric_name": metric}
    for column in privacy.SEGMENT_COLUMNS:
        row[column] = segments.get(column, "all")
    sample = denominator if denominator is not None else numerator
    row.update(
        true_numerator=numerator, true_denominator=denominator, true_sample_size=sample,
        numerator=None if suppressed else numerator,
        denominator=None if suppressed or denominator is None else denominator,
        sample_size=None if suppressed else sample,
        is_suppressed=suppressed,
    )
    return row


def test_shared_denominator_gives_a_suppressed_count_away():
    """active_users 30 and its complement 60 are suppressed, but the per-10k row of the
    60-user band publishes 60 as its denominator, and then 30 = total - 60 - 200."""
    shapes = _shapes([
        _registry_row("active_users", "count", "age_band"),
        _registry_row("reports_per_10k_active_users", "per_10k", "age_band"),
    ])
    cells = pd.DataFrame([
        _cell("active_users", 290),
        _cell("active_users", 30, suppressed=True, age_band="under_13"),
        _cell("active_users", 60, suppressed=True, age_band="13_15"),
        _cell("active_users", 200, age_band="18_24"),
        _cell("reports_per_10k_active_users", 9, 290),
        _cell("reports_per_10k_active_users", 1, 30, suppressed=True, age_band="under_13"),
        _cell("reports_per_10k_active_users", 2, 60, suppressed=True, age_band="13_15"),
        _cell("reports_per_10k_active_users", 6, 200, age_band="18_24"),
    ])
    leaks = privacy.recoverable(privacy.determined_parts(cells, shapes, ["metric_date"]))
    assert leaks.empty  # both rows of the 60-user band are suppressed: nothing leaks

    cells.loc[7, ["numerator", "denominator", "sample_size"]] = [None, None, None]
    cells.loc[6, ["numerator", "denominator", "sample_size"]] = [2, 60, 60]
    cells.loc[6, "is_suppressed"] = False
    cells.loc[7, "is_suppressed"] = True  # complementary inside the per-10k grouping only
    leaks = privacy.recoverable(privacy.determined_parts(cells, shapes, ["metric_date"]))
    recovered = {(r.metric_name, r.age_band, r.part): r.recovered for r in leaks.itertuples()}
    assert recovered[("active_users", "13_15", "numerator")] == pytest.approx(60)
    assert recovered[("active_users", "under_13", "numerator")] == pytest.approx(30)


def test_another_grouping_gives_a_suppressed_cell_away():
    """Inside age_band x plan every sibling set has two suppressed cells, but the
    age_band row of under_13 is published: under_13 x free = age row - under_13 x premium,
    and under_13 x premium follows from the premium column."""
    shapes = _shapes([_registry_row("first_contact_messages", "count", "age_band|plan")])
    rows = [
        _cell("first_contact_messages", 400),
        _cell("first_contact_messages", 100, age_band="under_13"),
        _cell("first_contact_messages", 100, age_band="13_15"),
        _cell("first_contact_messages", 200, age_band="18_24"),
        _cell("first_contact_messages", 150, plan="free"),
        _cell("first_contact_messages", 250, plan="premium"),
        _cell("first_contact_messages", 10, suppressed=True, age_band="under_13", plan="free"),
        _cell("first_contact_messages", 90, age_band="under_13", plan="premium"),
        _cell("first_contact_messages", 40, suppressed=True, age_band="13_15", plan="free"),
        _cell("first_contact_messages", 60, age_band="13_15", plan="premium"),
        _cell("first_contact_messages", 100, age_band="18_24", plan="free"),
        _cell("first_contact_messages", 100, age_band="18_24", plan="premium"),
    ]
    cells = pd.DataFrame(rows)
    audit = privacy.determined_parts(cells, shapes, ["metric_date"])
    leaks = privacy.recoverable(audit)
    assert set(leaks["plan"]) == {"free"} and set(leaks["age_band"]) == {"under_13", "13_15"}
    assert sorted(leaks["recovered"].round(6)) == [10, 10, 40, 40]  # numerator and sample_size

    protectable = cells.assign(
        numerator=cells["true_numerator"], sample_size=cells["true_sample_size"],
        can_be_suppressed=True,
    )
    protected = privacy.protect(protectable, shapes, ["metric_date"])
    assert protected["is_linked_suppression"].sum() >= 1
    published = protected.assign(
        true_numerator=protected["numerator"], true_sample_size=protected["sample_size"],
        numerator=protected["numerator"].where(~protected["is_suppressed"]),
        sample_size=protected["sample_size"].where(~protected["is_suppressed"]),
    )
    assert privacy.recoverable(privacy.determined_parts(published, shapes, ["metric_date"])).empty


def _with_groupings(cells: pd.DataFrame, columns: tuple[str, ...] = ("age_band", "plan")) -> pd.DataFrame:
    """Layer 2's sibling columns of planted cells: the grouping is the columns not `all`."""
    named = cells[list(columns)].ne("all")
    cells = cells.copy()
    cells["grouping_name"] = named.apply(lambda r: "_x_".join(c for c in columns if r[c]) or "overall", axis=1)
    values = cells[list(columns)].where(named)
    cells["segment_value_1"] = values.bfill(axis=1).iloc[:, 0]
    cells["segment_value_2"] = values.iloc[:, 1].where(values.iloc[:, 0].notna())
    return cells


def _lone_sibling_sets(cells: pd.DataFrame) -> list[tuple]:
    """Sibling sets (as the dbt test assert_no_lone_suppressed_sibling) with exactly one
    suppressed cell and a non-empty shown one."""
    lone = []
    for varying, other in (("segment_value_1", "segment_value_2"), ("segment_value_2", "segment_value_1")):
        rows = cells[cells[varying].notna()].assign(_other=lambda d: d[other].fillna("-"))
        for key, members in rows.groupby(["metric_name", "grouping_name", "_other"]):
            shown = members[~members["is_suppressed"] & (members["true_sample_size"] > 0)]
            if members["is_suppressed"].sum() == 1 and len(shown):
                lone.append(key)
    return lone


def _protectable(cells: pd.DataFrame) -> pd.DataFrame:
    return cells.assign(
        numerator=cells["true_numerator"], denominator=cells["true_denominator"],
        sample_size=cells["true_sample_size"], can_be_suppressed=cells["true_sample_size"] > 0,
    )


def _published(protected: pd.DataFrame) -> pd.DataFrame:
    shown = ~protected["is_suppressed"]
    return protected.assign(
        true_numerator=protected["numerator"], true_denominator=protected["denominator"],
        true_sample_size=protected["sample_size"],
        numerator=protected["numerator"].where(shown), denominator=protected["denominator"].where(shown),
        sample_size=protected["sample_size"].where(shown),
    )


def test_layer_two_is_closed_again_over_the_cells_layer_three_adds():
    """A cell layer 3 hides (here under_13 x free) can be alone in a sibling set of its own
    grouping, which a reader closes by subtraction from the set's total; protect() runs
    layer 2 again over every cell it adds, to a fixed point, with layer 2's choice
    (smallest sample size, then the lower value), as the dbt test
    assert_no_lone_suppressed_sibling requires."""
    fcm = "first_contact_messages"
    rows = [
        _cell(fcm, 345), _cell(fcm, 230, plan="free"), _cell(fcm, 115, plan="premium"),
        _cell(fcm, 95, age_band="under_13"), _cell(fcm, 100, age_band="13_15"), _cell(fcm, 150, age_band="18_24"),
        _cell(fcm, 60, age_band="under_13", plan="free"), _cell(fcm, 35, age_band="under_13", plan="premium"),
        _cell(fcm, 70, age_band="13_15", plan="free"), _cell(fcm, 30, age_band="13_15", plan="premium"),
        _cell(fcm, 100, age_band="18_24", plan="free"), _cell(fcm, 50, age_band="18_24", plan="premium"),
    ]
    cells = privacy._in_cell_order(_with_groupings(pd.DataFrame(rows)))
    sets = privacy._sibling_sets(cells)
    sets_of: dict[int, list[int]] = {}
    for s, members in enumerate(sets):
        for position in members.tolist():
            sets_of.setdefault(position, []).append(s)
    added = int(np.flatnonzero((cells["age_band"] == "under_13") & (cells["plan"] == "free"))[0])
    suppressed = np.zeros(len(cells), dtype=bool)
    suppressed[added] = True  # what layer 3 hid
    assert _lone_sibling_sets(cells.assign(is_suppressed=suppressed))
    closed = privacy._complete_siblings(
        sets, sets_of, suppressed, np.ones(len(cells), dtype=bool),
        cells["true_sample_size"].to_numpy(dtype=float), {added},
    )
    hidden = set(zip(cells.loc[suppressed, "age_band"], cells.loc[suppressed, "plan"]))
    # under_13 row: premium (35); free column: 13_15 (70 < 100); then 13_15 row: premium
    # (30); premium column then holds under_13 and 13_15: two, closed.
    assert hidden == {("under_13", "free"), ("under_13", "premium"), ("13_15", "free"), ("13_15", "premium")}
    assert len(closed) == 3
    assert not _lone_sibling_sets(cells.assign(is_suppressed=suppressed))


def test_a_determined_part_leaks_even_when_an_inexact_link_misses_the_truth():
    """unwanted_contact_rate's denominator is first-contact messages at 6 days' maturity,
    first_contact_messages counts them at 3: the reader's 300 - 200 - 72 = 28 is not the
    suppressed 30, but it discloses it all the same and must count as a leak."""
    shapes = _shapes([
        _registry_row("first_contact_messages", "count", "age_band"),
        _registry_row("unwanted_contact_rate", "proportion", "age_band"),
    ])
    cells = pd.DataFrame([
        _cell("first_contact_messages", 300),
        _cell("first_contact_messages", 30, suppressed=True, age_band="under_13"),
        _cell("first_contact_messages", 70, suppressed=True, age_band="13_15"),
        _cell("first_contact_messages", 200, age_band="18_24"),
        _cell("unwanted_contact_rate", 20, 305),
        _cell("unwanted_contact_rate", 3, 31, suppressed=True, age_band="under_13"),
        _cell("unwanted_contact_rate", 8, 72, age_band="13_15"),
        _cell("unwanted_contact_rate", 9, 202, age_band="18_24"),
    ])
    audit = privacy.determined_parts(cells, shapes, ["metric_date"])
    leaks = privacy.recoverable(audit)
    under_13 = leaks[(leaks["metric_name"] == "first_contact_messages") & (leaks["age_band"] == "under_13")]
    assert len(under_13) == 2  # numerator and sample size
    assert under_13["recovered"].round(6).tolist() == [28, 28] and under_13["truth"].tolist() == [30, 30]
    protected = privacy.protect(_protectable(cells), shapes, ["metric_date"])
    assert privacy.recoverable(privacy.determined_parts(_published(protected), shapes, ["metric_date"])).empty


def _timed_row(name: str, unit: str, columns: str, maturity: int) -> dict:
    return {**_registry_row(name, unit, columns), "maturity_days": maturity}


def test_a_longer_maturity_cell_never_hides_a_shorter_maturity_one():
    """report_action_rate (final after 10 days) is suppressed for under_13 and 13_15, whose
    denominators are the report counts reports_per_10k_active_users published (final
    after 3 days, its sample size is active users). Hiding that per-10k cell now would
    change a final cell, so layer 3 leaves it published: the report count is that
    metric's publication, reported as disclosed by a final cell, not as a leak, and the
    actioned reports (the rate's own numerator) stay undetermined."""
    shapes = _shapes([
        _timed_row("reports_per_10k_active_users", "per_10k", "age_band", 3),
        _timed_row("report_action_rate", "proportion", "age_band", 10),
    ])
    cells = pd.DataFrame([
        _cell("reports_per_10k_active_users", 9, 290),
        _cell("reports_per_10k_active_users", 2, 120, age_band="under_13"),
        _cell("reports_per_10k_active_users", 3, 80, age_band="13_15"),
        _cell("reports_per_10k_active_users", 4, 90, age_band="18_24"),
        _cell("report_action_rate", 4, 10),
        _cell("report_action_rate", 1, 2, suppressed=True, age_band="under_13"),
        _cell("report_action_rate", 1, 3, suppressed=True, age_band="13_15"),
        _cell("report_action_rate", 2, 5, age_band="18_24"),
    ])
    protected = privacy.protect(_protectable(cells), shapes, ["metric_date"])
    per_10k = protected[protected["metric_name"] == "reports_per_10k_active_users"]
    assert not per_10k["is_suppressed"].any()
    assert not protected["is_linked_suppression"].any() and not protected["unprotectable"].any()
    audit = privacy.determined_parts(_published(protected), shapes, ["metric_date"])
    assert privacy.recoverable(audit).empty
    disclosed = privacy.disclosed_by_final(audit)
    assert sorted(set(zip(disclosed["age_band"], disclosed["part"]))) == [
        ("13_15", "denominator"), ("13_15", "sample_size"), ("under_13", "denominator"), ("under_13", "sample_size"),
    ]
    assert (disclosed["metric_name"] == "report_action_rate").all()
    numerators = audit[(audit["metric_name"] == "report_action_rate") & (audit["part"] == "numerator")]
    assert len(numerators) == 2 and not numerators["is_determined"].any()


def test_a_longer_maturity_cell_is_hidden_to_protect_a_final_one():
    """first_contact_messages (3 days) hides under_13 and 13_15; unwanted_contact_rate (6
    days) would publish under_13's messages as its denominator. Its stage hides that cell
    (and what keeps it undetermined) without touching the final count's cells."""
    shapes = _shapes([
        _timed_row("first_contact_messages", "count", "age_band", 3),
        _timed_row("unwanted_contact_rate", "proportion", "age_band", 6),
    ])
    cells = pd.DataFrame([
        _cell("first_contact_messages", 300),
        _cell("first_contact_messages", 30, suppressed=True, age_band="under_13"),
        _cell("first_contact_messages", 70, suppressed=True, age_band="13_15"),
        _cell("first_contact_messages", 200, age_band="18_24"),
        _cell("unwanted_contact_rate", 20, 305),
        _cell("unwanted_contact_rate", 3, 31, age_band="under_13"),
        _cell("unwanted_contact_rate", 8, 72, age_band="13_15"),
        _cell("unwanted_contact_rate", 9, 202, age_band="18_24"),
    ])
    assert not privacy.recoverable(privacy.determined_parts(cells, shapes, ["metric_date"])).empty
    protected = privacy.protect(_protectable(cells), shapes, ["metric_date"])
    counts = protected[protected["metric_name"] == "first_contact_messages"]
    assert counts.set_index("age_band")["is_suppressed"].to_dict() == {
        "all": False, "under_13": True, "13_15": True, "18_24": False,
    }
    rates = protected[protected["metric_name"] == "unwanted_contact_rate"].set_index("age_band")
    assert rates.loc["under_13", "is_linked_suppression"]
    assert privacy.recoverable(privacy.determined_parts(_published(protected), shapes, ["metric_date"])).empty


def _first_days_with_suppression(db: Path, days: int) -> tuple[pd.DataFrame, dict]:
    """The layer 1-2 cells of a build's first `days` days with a suppressed cell, and the shapes."""
    with duckdb.connect(str(db), read_only=True) as con:
        cells = con.execute(f"""
            select * from int_metric_suppression__daily
            where metric_date in (
                select metric_date from int_metric_suppression__daily
                group by metric_date having bool_or(is_suppressed) order by metric_date limit {days}
            )
        """).df()
        registry = con.execute("select * from metric_registry").df()
        segment_values = con.execute("select * from ref_segment_values").df()
        age_bands = con.execute("select * from ref_age_bands").df()
    return cells, privacy.metric_shapes(registry, segment_values, age_bands)


def _perturbed_above(cells: pd.DataFrame, maturity: np.ndarray, stage: int, seed: int) -> pd.DataFrame:
    """Later rows for every metric that is not yet final at `stage`: new values and
    new layer 1-2 flags for the cells of longer maturity, the rest untouched."""
    rng = np.random.default_rng(seed)
    later = maturity > stage
    out = cells.copy()
    bump = rng.integers(0, 15, size=len(cells))
    for part in ("numerator", "denominator", "sample_size"):
        values = pd.to_numeric(out[part], errors="coerce")
        out[part] = np.where(later & values.notna().to_numpy(), values.fillna(0) + bump, values)
    flip = later & out["can_be_suppressed"].to_numpy(dtype=bool) & (rng.random(len(cells)) < 0.2)
    out["is_suppressed"] = out["is_suppressed"].to_numpy(dtype=bool) ^ flip
    return out


def test_a_final_cells_suppression_ignores_every_longer_maturity(demo_config):
    """The finality promise for layer 3: on demo days, changing the values and the layer 1-2
    flags of every metric of longer maturity than m (rows that arrive before those
    metrics are final) leaves the suppression of every cell of maturity <= m as it was.
    The same perturbation does change final cells when a day is solved at once (the
    decision before maturity order), so the test can fail."""
    cells, shapes = _first_days_with_suppression(demo_config.db_path, 3)
    keys = ["metric_date", "metric_name", *privacy.SEGMENT_COLUMNS]
    cells = cells.sort_values(keys, kind="stable").reset_index(drop=True)
    maturity = privacy.maturities(cells, shapes)
    stages = sorted(set(maturity.tolist()))[:-1]
    assert len(stages) >= 3

    def suppression(frame: pd.DataFrame, at_once: bool = False) -> pd.Series:
        if at_once:
            protected = pd.concat(
                [privacy._protect_group(privacy._in_cell_order(g), shapes) for _, g in frame.groupby("metric_date")]
            )
        else:
            protected = privacy.protect(frame, shapes, ["metric_date"])
        return protected.set_index(keys)["is_suppressed"].sort_index()

    base = suppression(cells)
    base_at_once = suppression(cells, at_once=True)
    changed_at_once = 0
    for seed, stage in enumerate(stages):
        final = pd.Series(maturity <= stage, index=cells.set_index(keys).index).sort_index()
        perturbed = _perturbed_above(cells, maturity, stage, seed)
        after = suppression(perturbed)
        assert (after[final] == base[final]).all(), (stage, after[final][after[final] != base[final]].head())
        after_at_once = suppression(perturbed, at_once=True)
        changed_at_once += int((after_at_once[final] != base_at_once[final]).sum())
    assert changed_at_once > 0  # solved at once, later rows move final cells


_PROTECT_IN_A_FRESH_PROCESS = """
import sys, duckdb
from tsw import privacy
with duckdb.connect(sys.argv[1], read_only=True) as con:
    cells = con.execute(
        "select * from int_metric_suppression__daily where metric_date in (select metric_date "
        "from int_metric_suppression__daily group by 1 having bool_or(is_suppressed) order by 1 limit 6)"
    ).df()
    shapes = privacy.metric_shapes(*(con.execute(f"select * from {t}").df()
                                     for t in ("metric_registry", "ref_segment_values", "ref_age_bands")))
out = privacy.protect(cells, shapes, ["metric_date"])
keys = ["metric_date", "metric_name", *privacy.SEGMENT_COLUMNS]
print(sorted(map(str, out.loc[out["is_suppressed"], keys].astype(str).agg("|".join, axis=1))))
"""


def test_protect_does_not_depend_on_the_hash_seed(demo_config):
    """Every nightly is a new process with its own string-hash seed: protect() must choose
    the same cells whatever it is (a set of age bands iterated in hash order once made
    two processes pick different cycles, and a nightly changed final cells)."""
    import subprocess
    import sys

    runs = [
        subprocess.run([sys.executable, "-c", _PROTECT_IN_A_FRESH_PROCESS, str(demo_config.db_path)],
                       env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True).stdout
        for seed in ("1", "2", "3")
    ]
    assert runs[0] and runs[0] == runs[1] == runs[2]


def test_a_leak_no_suppressible_cell_can_hide_is_reported_unprotectable():
    """A suppressed count whose complement is a cell the rule does not cover (here a cell
    marked not suppressible): protect() cannot hide it and says so, never silently."""
    shapes = _shapes([_registry_row("first_contact_messages", "count", "age_band")])
    cells = _protectable(pd.DataFrame([
        _cell("first_contact_messages", 300),
        _cell("first_contact_messages", 30, suppressed=True, age_band="under_13"),
        _cell("first_contact_messages", 70, age_band="13_15"),
        _cell("first_contact_messages", 200, age_band="18_24"),
    ]))
    cells["can_be_suppressed"] = False
    protected = privacy.protect(cells, shapes, ["metric_date"])
    assert protected.loc[protected["unprotectable"], "age_band"].tolist() == ["under_13"]
    assert not protected["is_linked_suppression"].any()


def _audit_build(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = ["metric_date", "metric_name", *privacy.SEGMENT_COLUMNS]
    with duckdb.connect(str(db), read_only=True) as con:
        cells = con.execute(f"""
            select {', '.join('p.' + k for k in keys)}, p.numerator, p.denominator, p.sample_size,
                p.is_suppressed, u.numerator as true_numerator, u.denominator as true_denominator,
                u.sample_size as true_sample_size
            from metrics_daily as p
            inner join fct_metrics_daily_unsuppressed as u using ({', '.join(keys)})
        """).df()
        registry = con.execute("select * from metric_registry").df()
        segment_values = con.execute("select * from ref_segment_values").df()
        age_bands = con.execute("select * from ref_age_bands").df()
    shapes = privacy.metric_shapes(registry, segment_values, age_bands)
    audit = privacy.determined_parts(cells, shapes, ["metric_date"])
    return audit, privacy.recoverable(audit)


def test_exact_links_hold_in_the_restricted_truth(demo_db):
    """Every link the audit treats as exact is an identity of the unsuppressed table."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        facts = con.execute("select * from fct_metrics_daily_unsuppressed").df()
        registry = con.execute("select * from metric_registry").df()
    units = dict(zip(registry["metric_name"], registry["unit"]))
    keys = ["metric_date", *privacy.SEGMENT_COLUMNS]
    for (metric, part), link in privacy.QUANTITY_LINKS.items():
        if not link.exact or link.quantity.startswith(f"{metric}.") or link.quantity not in units:
            continue  # inexact, the metric's own, or a quantity no metric publishes as a count
        source_metric = link.quantity
        mine = facts[facts["metric_name"] == metric]
        theirs = facts[facts["metric_name"] == source_metric][[*keys, "numerator"]]
        for column in link.ignores:
            mine = mine.assign(**{column: "all"})
        # A minor-only metric's `all` ages are the minor bands: compare the banded rows.
        mine = mine[mine["age_band"] != "all"] if units[metric] == "per_1k" or metric.startswith("minor_") else mine
        joined = mine.merge(theirs, on=keys, suffixes=("", "_source"))
        assert len(joined) > 0, (metric, part)
        assert (joined[part] == joined["numerator_source"]).all(), (metric, part, link)


def _rebuilt_without_linked_suppression(config, tmp_path: Path) -> Path:
    """A copy of a build whose metrics_daily is rebuilt with the var explicitly off."""
    copy = tmp_path / "unlinked.duckdb"
    shutil.copy(config.db_path, copy)
    unlinked = dataclasses.replace(
        config, db_path=copy, target_path=tmp_path / "target",
        extra_vars={**config.extra_vars, "linked_suppression": False},
    )
    run_dbt(["run", "--select", "metrics_daily"], unlinked, stream=False)
    return copy


def _linked_cells(db: Path) -> tuple[int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        added = con.execute(
            "select count_if(is_linked_suppression) from int_metric_linked_suppression__daily"
        ).fetchone()[0]
        suppressed = con.execute("select count_if(is_suppressed) from metrics_daily").fetchone()[0]
    return added, suppressed


def test_linked_suppression_leaves_the_demo_no_recoverable_cell(demo_db, demo_config, tmp_path):
    """The default demo build (linked suppression on) has no suppressed non-zero part a
    reader can solve for; with the var explicitly off the audit finds the leaks the review
    found (so it can fail)."""
    audit, leaks = _audit_build(demo_db)
    assert len(audit) > 1000
    assert leaks.empty, leaks.groupby(["metric_name", "part"]).size().to_string()
    unlinked_audit, unlinked_leaks = _audit_build(_rebuilt_without_linked_suppression(demo_config, tmp_path))
    assert len(unlinked_leaks) > 1000
    assert {"active_users", "reports_per_10k_active_users"} <= set(unlinked_leaks["metric_name"])
    added, suppressed = _linked_cells(demo_db)
    assert 0 < added < suppressed
    print(f"demo: linked suppression adds {added} cells ({suppressed} suppressed); "
          f"without it {len(unlinked_leaks)} parts leak")


def test_linked_suppression_leaves_no_recoverable_cell(landing_build, tmp_path):
    """The generated landing build (linked suppression on by default): a reader of
    metrics_daily recovers no suppressed non-zero part; without it, some."""
    config, _ = landing_build
    _, leaks = _audit_build(Path(config.db_path))
    _, leaks_unlinked = _audit_build(_rebuilt_without_linked_suppression(config, tmp_path))
    assert len(leaks_unlinked) > 0  # the small landing build leaks without it
    assert leaks.empty, leaks.groupby(["metric_name", "part"]).size().to_string()
    added, suppressed = _linked_cells(Path(config.db_path))
    assert 0 < added < suppressed
    print(f"landing: linked suppression adds {added} cells ({suppressed} suppressed)")


def test_cycle_closing_leaves_nothing_a_plain_lstsq_recovers(demo_config):
    """protect() (cycles of hidden cells, compiled per-quantity solves) leaves no suppressed
    non-zero part that the straightforward audit (every quantity, one least-squares solve
    over all published rows), reimplemented here independently, recovers, on a few demo
    days. (It need not hide fewer cells than the greedy it replaced, `_plain_protect`: on
    these toy seed days it hides a few more, see docs/privacy.md.)"""
    cells, shapes = _first_days_with_suppression(demo_config.db_path, 2)
    keys = ["metric_date", "metric_name", *privacy.SEGMENT_COLUMNS]
    fast = privacy.protect(cells, shapes, ["metric_date"])
    for day, group in cells.groupby("metric_date"):
        group = group.sort_values(keys[1:], kind="stable").reset_index(drop=True)
        got = fast[fast["metric_date"] == day].set_index(keys[1:]).loc[
            group.set_index(keys[1:]).index, "is_suppressed"].to_numpy()
        assert _plain_leaks(group, shapes, group["is_suppressed"].to_numpy())  # layers 1-2 leak
        assert not _plain_leaks(group, shapes, got, privacy.maturities(group, shapes)), day
        assert group["is_suppressed"].sum() < got.sum()


def _plain_leaks(group: pd.DataFrame, shapes, suppressed: np.ndarray,
                 maturity: np.ndarray | None = None) -> list[tuple[int, list[int]]]:
    """The straightforward audit: for every quantity, one least-squares solve of every
    suppressed part over all published rows and the margin constraints; returns each
    determined part with a non-zero truth (the group's unsuppressed parts) and the
    published cells its recovery uses. With `maturity` (each cell's metric maturity), a
    part that the published cells of strictly shorter maturity determine alone (a second
    solve over only those rows) is that earlier publication, not counted."""
    records = group.to_dict("records")
    systems = privacy._systems_for(group, shapes)
    leaks = []
    for system in systems.values():
        index, constraints = privacy._basis(system)

        def solve(published, unknown):
            rows = {row.tobytes(): (row, 0.0, None) for row in constraints}
            for position, part, sets in system.observations:
                value = records[position].get(part)
                if published[position] and value is not None and not pd.isna(value):
                    functional = privacy._functional(system, index, sets)
                    rows.setdefault(functional.tobytes(), (functional, float(value), position))
            if not rows:  # nothing published, no constraint: nothing is determined
                return rows, np.zeros((0, len(unknown))), np.full(len(unknown), np.inf)
            known = np.array([r[0] for r in rows.values()])
            targets = np.array([privacy._functional(system, index, sets) for _, _, sets in unknown]).T
            coefficients, *_ = np.linalg.lstsq(known.T, targets, rcond=None)
            residuals = np.linalg.norm(known.T @ coefficients - targets, axis=0)
            return rows, coefficients, residuals

        unknown = [(p, part, sets) for p, part, sets in system.observations if suppressed[p]]
        if not unknown:
            continue
        rows, coefficients, residuals = solve(~suppressed, unknown)
        values = np.array([r[1] for r in rows.values()])
        positions = [r[2] for r in rows.values()]
        for j, (position, part, sets) in enumerate(unknown):
            truth = records[position].get(part)
            recovered = float(coefficients[:, j] @ values)
            if residuals[j] >= 1e-6 or not privacy._is_leak(recovered, truth):
                continue
            if maturity is not None:
                shorter = ~suppressed & (maturity < maturity[position])
                if shorter.any() and solve(shorter, [(position, part, sets)])[2][0] < 1e-6:
                    continue
            used = [positions[i] for i in np.flatnonzero(np.abs(coefficients[:, j]) > 1e-9)]
            leaks.append((position, [p for p in used if p is not None]))
    return leaks


def _plain_protect(group: pd.DataFrame, shapes) -> np.ndarray:
    """The greedy layer 3 of branch privacy3, the slow, obvious way (kept as the baseline
    cycle closing is measured against): every pass, for every recoverable part, hide the
    smallest suppressible cell its recovery uses (an empty covered cell if none), then
    layer 2 again; until nothing is recoverable."""
    suppressed = group["is_suppressed"].to_numpy(dtype=bool).copy()
    suppressible = group["can_be_suppressed"].to_numpy(dtype=bool)
    covered = (group["suppression_rule"] == "small_cell").to_numpy(dtype=bool)
    sizes = group["sample_size"].fillna(0).to_numpy(dtype=float)
    while True:
        additions = set()
        for _, used in _plain_leaks(group, shapes, suppressed):
            choices = [p for p in used if suppressible[p] and not suppressed[p]]
            if not choices:  # only cells layers 1-2 never hide: an empty covered cell
                choices = [p for p in used if covered[p] and not suppressed[p]]
            if choices:
                additions.add(min(choices, key=lambda p: (sizes[p], p)))
        if not additions:
            return suppressed
        suppressed[list(additions)] = True
        _plain_layer_two(group, suppressed, suppressible, sizes)


def _plain_layer_two(group: pd.DataFrame, suppressed: np.ndarray, suppressible: np.ndarray, sizes) -> None:
    """Layer 2 the obvious way, every set every pass: a set with exactly one suppressed
    cell gets its smallest suppressible shown cell (then the lower varying value)."""
    while True:
        newly = set()
        for varying, other in (("segment_value_1", "segment_value_2"), ("segment_value_2", "segment_value_1")):
            rows = group[group[varying].notna()]
            keys = [rows["metric_name"], rows["grouping_name"], rows[other].fillna("-")]
            for _, members in rows.groupby(keys).groups.items():
                members = list(members)
                if sum(suppressed[m] for m in members) != 1:
                    continue
                free = [m for m in members if suppressible[m] and not suppressed[m]]
                if free:
                    newly.add(min(free, key=lambda m: (sizes[m], str(group.at[m, varying]))))
        if not newly:
            return
        suppressed[list(newly)] = True


def test_reference_seeds_describe_every_registry_column():
    segment_values = pd.read_csv(REFERENCE_SEEDS_DIR / "ref_segment_values.csv")
    assert set(privacy.SEGMENT_COLUMNS) <= set(segment_values["segment_column"])


def test_every_shared_quantity_is_declared(demo_db):
    """A part equal to another metric's part on (nearly) every common cell is a shared
    quantity: the audit must know it (QUANTITY_LINKS), or its leaks go unseen. This
    catches a new metric whose denominator is an existing metric's count."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        facts = con.execute(
            "select * from fct_metrics_daily_unsuppressed where suppression_rule = 'small_cell'"
        ).df()
        registry = con.execute("select metric_name, unit from metric_registry").df()
    units = dict(zip(registry["metric_name"], registry["unit"]))
    keys = ["metric_date", *privacy.SEGMENT_COLUMNS]
    parts = []
    for metric, rows in facts.groupby("metric_name"):
        for part in ("numerator", "denominator"):
            if rows[part].notna().any():
                parts.append((metric, part, rows[[*keys, part]].rename(columns={part: "v"})))
    undeclared = []
    for i, (metric_a, part_a, a) in enumerate(parts):
        for metric_b, part_b, b in parts[i + 1:]:
            if metric_a == metric_b:
                continue
            joined = a.merge(b, on=keys)
            joined = joined[(joined["v_x"] != 0) | (joined["v_y"] != 0)]
            banded = joined[joined["age_band"] != "all"]
            for sample in (joined, banded):
                if len(sample) >= 50 and (sample["v_x"] == sample["v_y"]).mean() >= 0.75:
                    link_a = privacy.quantity_link(metric_a, part_a, units[metric_a]).quantity
                    link_b = privacy.quantity_link(metric_b, part_b, units[metric_b]).quantity
                    if link_a != link_b:
                        undeclared.append((metric_a, part_a, metric_b, part_b))
                    break
    assert not undeclared, f"shared quantities missing from privacy.QUANTITY_LINKS: {undeclared}"
