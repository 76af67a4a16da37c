"""Differencing: no suppressed non-zero cell can be recovered from a published table.

The audit (tsw.privacy) writes down every linear relation a reader knows (all groupings
of a metric-day, and the quantities metrics share) and solves for each suppressed part.
Planted cases prove it finds the leaks the review found (another grouping, a shared
denominator); the demo and landing builds prove the published tables have none, with
every determined value checked against the restricted truth.
"""

from __future__ import annotations

import dataclasses
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


def test_without_linked_suppression_the_demo_leaks(demo_db):
    """The default build (var linked_suppression off) has the leaks the review found:
    the audit sees them (this is what the opt-in linked suppression removes)."""
    audit, leaks = _audit_build(demo_db)
    assert len(audit) > 1000
    assert len(leaks) > 0
    assert {"active_users", "reports_per_10k_active_users"} & set(leaks["metric_name"])


def test_linked_suppression_leaves_no_recoverable_cell(landing_build, tmp_path):
    """With linked suppression on, a reader of metrics_daily recovers no suppressed
    non-zero part; the number of extra cells it costs is measured."""
    config, _ = landing_build
    copy = tmp_path / "linked.duckdb"
    shutil.copy(config.db_path, copy)
    linked = dataclasses.replace(
        config, db_path=copy, target_path=tmp_path / "target",
        extra_vars={**config.extra_vars, "linked_suppression": True},
    )
    run_dbt(["run", "--select", "int_metric_linked_suppression__daily", "metrics_daily"], linked, stream=False)
    before, leaks_before = _audit_build(Path(config.db_path))
    after, leaks_after = _audit_build(copy)
    assert len(leaks_before) > 0  # the small landing build leaks without it
    assert leaks_after.empty, leaks_after.groupby(["metric_name", "part"]).size().to_string()
    with duckdb.connect(str(copy), read_only=True) as con:
        added = con.execute("select count(*) from int_metric_linked_suppression__daily").fetchone()[0]
        suppressed = con.execute("select count_if(is_suppressed) from metrics_daily").fetchone()[0]
    assert 0 < added < suppressed
    print(f"linked suppression: {added} extra cells of {suppressed} suppressed")


def test_the_fast_solver_suppresses_what_a_plain_lstsq_would(demo_config):
    """The compiled, per-quantity incremental solver of protect() picks the same cells as
    the straightforward algorithm (every pass: every quantity, one least-squares solve over
    all published rows), reimplemented here independently on a few demo days."""
    with duckdb.connect(str(demo_config.db_path), read_only=True) as con:
        cells = con.execute("""
            select * from int_metric_suppression__daily
            where metric_date in (
                select metric_date from int_metric_suppression__daily
                group by metric_date having bool_or(is_suppressed) order by metric_date limit 2
            )
        """).df()
        registry = con.execute("select * from metric_registry").df()
        segment_values = con.execute("select * from ref_segment_values").df()
        age_bands = con.execute("select * from ref_age_bands").df()
    shapes = privacy.metric_shapes(registry, segment_values, age_bands)
    keys = ["metric_date", "metric_name", *privacy.SEGMENT_COLUMNS]
    fast = privacy.protect(cells, shapes, ["metric_date"])
    for day, group in cells.groupby("metric_date"):
        group = group.sort_values(keys[1:], kind="stable").reset_index(drop=True)
        expected = _plain_protect(group, shapes)
        got = fast[fast["metric_date"] == day].set_index(keys[1:]).loc[
            group.set_index(keys[1:]).index, "is_suppressed"].to_numpy()
        assert (got == expected).all(), (day, int((got != expected).sum()))
        assert expected.sum() > group["is_suppressed"].sum()  # the day needed linked cells


def _plain_protect(group: pd.DataFrame, shapes) -> np.ndarray:
    """Layer 3 the slow, obvious way: re-solve every quantity from scratch every pass."""
    records = group.to_dict("records")
    systems = privacy._systems_for(group, shapes)
    suppressed = group["is_suppressed"].to_numpy(dtype=bool).copy()
    suppressible = group["can_be_suppressed"].to_numpy(dtype=bool)
    sizes = group["sample_size"].fillna(0).to_numpy(dtype=float)
    while True:
        additions = set()
        for system in systems.values():
            index, constraints = privacy._basis(system)
            rows = {row.tobytes(): (row, 0.0, None) for row in constraints}
            for position, part, sets in system.observations:
                value = records[position].get(part)
                if not suppressed[position] and value is not None and not pd.isna(value):
                    functional = privacy._functional(system, index, sets)
                    rows.setdefault(functional.tobytes(), (functional, float(value), position))
            unknown = [(p, part, sets) for p, part, sets in system.observations if suppressed[p]]
            if not unknown or not rows:
                continue
            known = np.array([r[0] for r in rows.values()])
            values = np.array([r[1] for r in rows.values()])
            positions = [r[2] for r in rows.values()]
            targets = np.array([privacy._functional(system, index, sets) for _, _, sets in unknown]).T
            coefficients, *_ = np.linalg.lstsq(known.T, targets, rcond=None)
            residuals = np.linalg.norm(known.T @ coefficients - targets, axis=0)
            for j, (position, part, _) in enumerate(unknown):
                truth = records[position].get(part)
                recovered = float(coefficients[:, j] @ values)
                if residuals[j] >= 1e-6 or not privacy._is_leak(recovered, truth):
                    continue
                used = [positions[i] for i in np.flatnonzero(np.abs(coefficients[:, j]) > 1e-9)]
                choices = [p for p in used if p is not None and suppressible[p] and not suppressed[p]]
                if choices:
                    additions.add(min(choices, key=lambda p: (sizes[p], p)))
        if not additions:
            return suppressed
        suppressed[list(additions)] = True


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
