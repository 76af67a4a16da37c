"""Cycle closing (tsw.privacy_cycles) on small hand-made tables: the cheapest cycle of hidden
cells, checked by an independent least-squares audit, and the greedy cascade it replaces.

No build needed: every table is written here, the audit is test_privacy's plain
reimplementation (`_plain_leaks`: one lstsq per quantity over all published rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsw import privacy
import test_privacy as tp

AGES = ["under_13", "13_15", "18_24", "25_34"]
REGIONS = ["r1", "r2", "r3"]


def _shapes() -> dict[str, privacy.MetricShape]:
    registry = pd.DataFrame([
        {"metric_name": "active_users", "unit": "count", "segment_columns": "age_band|region", "is_minor_only": "false"},
        {"metric_name": "reports_per_10k_active_users", "unit": "per_10k", "segment_columns": "age_band|region",
         "is_minor_only": "false"},
        {"metric_name": "report_action_rate", "unit": "proportion", "segment_columns": "age_band|region",
         "is_minor_only": "false"},
    ])
    segment_values = pd.DataFrame(
        [{"segment_column": "age_band", "segment_value": a, "sort_order": i} for i, a in enumerate(AGES)]
        + [{"segment_column": "region", "segment_value": r, "sort_order": i} for i, r in enumerate(REGIONS)]
    )
    age_bands = pd.DataFrame({"age_band": AGES, "is_minor": ["true", "true", "false", "false"]})
    return privacy.metric_shapes(registry, segment_values, age_bands)


def _table(users, reports, actioned) -> pd.DataFrame:
    """Three linked metrics over age_band x region with their margins, after layers 1-2:
    active_users, reports per 10k active users (denominator = the active_users cell) and
    report_action_rate (denominator = the reports, at a longer maturity)."""
    users, reports, actioned = (np.array(m) for m in (users, reports, actioned))
    rows = []
    for a in ["all", *AGES]:
        for r in ["all", *REGIONS]:
            rows_of = slice(None) if a == "all" else AGES.index(a)
            cols_of = slice(None) if r == "all" else REGIONS.index(r)
            u, n, k = (int(np.sum(m[rows_of, cols_of])) for m in (users, reports, actioned))
            rows += [
                tp._cell("active_users", u, age_band=a, region=r),
                tp._cell("reports_per_10k_active_users", n, u, age_band=a, region=r),
                tp._cell("report_action_rate", k, n, age_band=a, region=r),
            ]
    cells = tp._protectable(tp._with_groupings(pd.DataFrame(rows), ("age_band", "region")))
    cells["suppression_rule"] = "small_cell"
    cells["is_suppressed"] = (cells["sample_size"] >= 1) & (cells["sample_size"] < 50)  # layer 1
    cells = privacy._in_cell_order(cells)
    sets = privacy._sibling_sets(cells)
    sets_of: dict[int, list[int]] = {}
    for s, members in enumerate(sets):
        for position in members.tolist():
            sets_of.setdefault(position, []).append(s)
    suppressed = cells["is_suppressed"].to_numpy().copy()
    privacy._complete_siblings(  # layer 2
        sets, sets_of, suppressed, cells["can_be_suppressed"].to_numpy(),
        cells["sample_size"].to_numpy(dtype=float), set(np.flatnonzero(suppressed).tolist()),
    )
    return cells.assign(is_suppressed=suppressed)


def _hidden(cells: pd.DataFrame, mask, metric: str) -> set[tuple[str, str]]:
    rows = cells[np.asarray(mask, dtype=bool) & (cells["metric_name"] == metric).to_numpy()]
    return set(zip(rows["age_band"], rows["region"]))


# Layers 1-2 hide report_action_rate where its reports are < 50 and the active_users cells
# under 50 users (none here): a reader still reads the reports off reports_per_10k, and
# that row's denominator is the active_users cell, published.
USERS = [[214, 301, 325], [346, 124, 290], [151, 185, 185], [255, 260, 251]]
REPORTS = [[3, 56, 10], [23, 34, 9], [38, 0, 55], [53, 3, 2]]
ACTIONED = [[2, 22, 2], [6, 12, 5], [20, 0, 35], [35, 1, 0]]


def test_cycle_closing_protects_what_the_greedy_cascade_loses():
    """The privacy3 greedy (hide the smallest cell each recovery uses, repeat) ends up hiding
    every active_users cell of the table, its total too; closing cycles hides rectangles
    of the linked metrics together and leaves nothing a plain least squares recovers."""
    shapes = _shapes()
    cells = _table(USERS, REPORTS, ACTIONED)
    assert len(tp._plain_leaks(cells, shapes, cells["is_suppressed"].to_numpy())) > 0  # layers 1-2 leak

    greedy = tp._plain_protect(cells.copy(), shapes)
    protected = privacy.protect(cells.copy(), shapes, ["metric_date"])
    cycles = protected["is_suppressed"].to_numpy()

    assert not tp._plain_leaks(cells, shapes, cycles)
    assert not protected["unprotectable"].any()
    # The greedy cascades through the links: all 20 active_users cells, the total included.
    assert len(_hidden(cells, greedy, "active_users")) == 20
    assert ("all", "all") in _hidden(cells, greedy, "active_users")
    # Cycles: far fewer cells, no grand total, and each linked metric's hidden cells of the
    # table are closed (every hidden interior cell has a hidden partner in its row and column).
    assert cycles.sum() < greedy.sum() / 2
    for metric in ("active_users", "reports_per_10k_active_users", "report_action_rate"):
        hidden = _hidden(cells, cycles, metric)
        assert ("all", "all") not in hidden
        interior = {(a, r) for a, r in hidden if a != "all" and r != "all"}
        for a, r in interior:
            assert sum(1 for b, s in interior if b == a) >= 2, (metric, a, r)
            assert sum(1 for b, s in interior if s == r) >= 2, (metric, a, r)


def test_an_interior_cell_gets_the_cheapest_rectangle():
    """One hidden interior cell, determined by its row and column margins: protect() hides the
    rectangle through it with the smallest other cells (under_13 x r1 with 13_15 and r2:
    10 + 60 + 55 users against any other choice), nothing else."""
    shapes = {"active_users": _shapes()["active_users"]}
    rows = []
    grid = {"under_13": [20, 80, 300], "13_15": [60, 55, 310], "18_24": [400, 500, 600], "25_34": [450, 520, 610]}
    for a in ["all", *AGES]:
        for r in ["all", *REGIONS]:
            values = [grid[b][REGIONS.index(s)] for b in AGES if a in ("all", b) for s in REGIONS if r in ("all", s)]
            rows.append(tp._cell("active_users", sum(values), age_band=a, region=r))
    cells = tp._protectable(tp._with_groupings(pd.DataFrame(rows), ("age_band", "region")))
    cells["suppression_rule"] = "small_cell"
    cells["is_suppressed"] = (cells["age_band"] == "under_13") & (cells["region"] == "r1")
    cells = privacy._in_cell_order(cells)
    assert tp._plain_leaks(cells, shapes, cells["is_suppressed"].to_numpy())
    protected = privacy.protect(cells.copy(), shapes, ["metric_date"])
    assert _hidden(protected, protected["is_suppressed"], "active_users") == {
        ("under_13", "r1"), ("under_13", "r2"), ("13_15", "r1"), ("13_15", "r2"),
    }
    assert not tp._plain_leaks(cells, shapes, protected["is_suppressed"].to_numpy())


def test_an_age_margin_is_paired_in_every_table():
    """A hidden age band total (under_13 alone) of a quantity with two tables (age x region,
    age x plan) is moved by one vector in both: protect() pairs it with another band and
    hides a pair of columns in each table, and the shared margin stays undetermined."""
    registry = pd.DataFrame([{"metric_name": "impressions", "unit": "count", "segment_columns": "age_band|region|plan",
                              "is_minor_only": "false"}])
    segment_values = pd.DataFrame(
        [{"segment_column": "age_band", "segment_value": a, "sort_order": i} for i, a in enumerate(AGES)]
        + [{"segment_column": "region", "segment_value": r, "sort_order": i} for i, r in enumerate(REGIONS)]
        + [{"segment_column": "plan", "segment_value": p, "sort_order": i} for i, p in enumerate(["free", "premium"])]
    )
    age_bands = pd.DataFrame({"age_band": AGES, "is_minor": ["true", "true", "false", "false"]})
    shapes = privacy.metric_shapes(registry, segment_values, age_bands)
    rng = np.random.default_rng(7)
    by_region = {a: rng.integers(100, 400, size=3) for a in AGES}
    rows = [tp._cell("impressions", int(sum(v.sum() for v in by_region.values())))]
    for a in AGES:
        total = int(by_region[a].sum())
        rows.append(tp._cell("impressions", total, age_band=a))
        for r, v in zip(REGIONS, by_region[a]):
            rows.append(tp._cell("impressions", int(v), age_band=a, region=r))
        free = total // 3
        rows += [tp._cell("impressions", free, age_band=a, plan="free"),
                 tp._cell("impressions", total - free, age_band=a, plan="premium")]
    for r in REGIONS:
        rows.append(tp._cell("impressions", int(sum(by_region[a][REGIONS.index(r)] for a in AGES)), region=r))
    for p in ("free", "premium"):
        rows.append(tp._cell("impressions", int(sum(
            (by_region[a].sum() // 3) if p == "free" else by_region[a].sum() - by_region[a].sum() // 3 for a in AGES
        )), plan=p))
    cells = pd.DataFrame(rows)
    cells = tp._protectable(cells)
    cells["suppression_rule"] = "small_cell"
    cells["is_suppressed"] = (cells["age_band"] == "under_13") & (cells["region"] == "all") & (cells["plan"] == "all")
    cells = privacy._in_cell_order(cells)
    assert tp._plain_leaks(cells, shapes, cells["is_suppressed"].to_numpy())
    protected = privacy.protect(cells.copy(), shapes, ["metric_date"])
    mask = protected["is_suppressed"].to_numpy()
    assert not tp._plain_leaks(cells, shapes, mask)
    margins = protected[mask & (protected["region"] == "all") & (protected["plan"] == "all")]
    assert len(margins) == 2 and "under_13" in set(margins["age_band"]) and "all" not in set(margins["age_band"])
    for column in ("region", "plan"):
        interior = protected[mask & (protected[column] != "all") & (protected["age_band"] != "all")]
        assert len(interior) == 4, column  # two bands x two values of the column
