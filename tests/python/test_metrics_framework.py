"""The metric framework on the demo build: grid, values and intervals, suppression.

Every expectation is computed here, independently of the models: the grid size from the
registry and segment seeds, values and Wilson intervals from the family rows with the
textbook formulas, and the suppression rules by walking the sibling sets in pandas.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from conftest import query, query_df
from tsw.paths import METRIC_REGISTRY_CSV, REFERENCE_SEEDS_DIR

SEGMENT_COLUMNS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]
CELL_KEY = ["metric_name", "metric_date", *SEGMENT_COLUMNS]
Z_95 = 1.959964
SMALL_CELL_THRESHOLD = 50  # dbt_project.yml var small_cell_threshold


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def registry() -> dict[str, dict[str, str]]:
    return {row["metric_name"]: row for row in read_csv(METRIC_REGISTRY_CSV)}


def segment_values(metric: dict[str, str]) -> dict[str, list[str]]:
    """Values each of the metric's segment columns takes in the grid (without 'all')."""
    values: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(REFERENCE_SEEDS_DIR / "ref_segment_values.csv"):
        values[row["segment_column"]].append(row["segment_value"])
    minor_bands = [
        row["age_band"]
        for row in read_csv(REFERENCE_SEEDS_DIR / "ref_age_bands.csv")
        if row["is_minor"].strip().lower() == "true"
    ]
    columns = metric["segment_columns"].split("|")
    result = {column: list(values[column]) for column in columns}
    if metric["is_minor_only"].strip().lower() == "true" and "age_band" in result:
        result["age_band"] = minor_bands
    return result


def cells_per_day(metric: dict[str, str]) -> int:
    """Total + each column alone + age_band crossed with each other column."""
    values = segment_values(metric)
    count = 1 + sum(len(v) for v in values.values())
    if "age_band" in values:
        count += sum(len(values["age_band"]) * len(v) for c, v in values.items() if c != "age_band")
    return count


def wilson(p: float, n: float) -> tuple[float, float]:
    denominator = 1 + Z_95**2 / n
    centre = (p + Z_95**2 / (2 * n)) / denominator
    half_width = Z_95 * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


@pytest.fixture(scope="module")
def unsuppressed(demo_db) -> pd.DataFrame:
    return query_df(demo_db, "select * from fct_metrics_daily_unsuppressed")


@pytest.fixture(scope="module")
def published(demo_db) -> pd.DataFrame:
    return query_df(demo_db, "select * from metrics_daily")


@pytest.fixture(scope="module")
def joined(demo_db, unsuppressed, published) -> pd.DataFrame:
    restricted = unsuppressed[
        [*CELL_KEY, "suppression_rule", "grouping_column_1", "grouping_column_2", "numerator", "denominator",
         "value", "sample_size", "ci_lower", "ci_upper"]
    ]
    joined = published.merge(restricted, on=CELL_KEY, how="inner", suffixes=("", "_restricted"), validate="1:1")
    # Cells linked suppression added (docs/privacy.md, layer 3): chosen to stop
    # differencing across groupings and metrics, not by layer 2's rules.
    linked = query_df(
        demo_db, f"select {', '.join(CELL_KEY)}, is_linked_suppression from int_metric_linked_suppression__daily"
    )
    joined = joined.merge(linked, on=CELL_KEY, how="left", validate="1:1")
    joined["is_linked_suppression"] = joined["is_linked_suppression"].fillna(False).astype(bool)
    return joined


def test_grid_size_is_registry_times_segment_values_times_days(demo_db, unsuppressed, published):
    first_day, as_of = query(
        demo_db,
        "select min(cast(occurred_at as date)), (select max(as_of_date) from metrics_daily) "
        "from stg_platform__impressions",
    )[0]
    days = (as_of - (first_day or as_of)).days + 1
    expected = {name: cells_per_day(metric) * days for name, metric in registry().items()}

    for table in (unsuppressed, published):
        actual = table.groupby("metric_name").size().to_dict()
        assert actual == expected
        assert not table.duplicated(CELL_KEY).any()


def cell_key(row) -> tuple:
    return (row["metric_name"], str(row["metric_date"])[:10], *(row[c] for c in SEGMENT_COLUMNS))


def test_values_and_intervals_recomputed_from_family_rows(demo_db, unsuppressed):
    family_rows = query(
        demo_db,
        f"select metric_name, cast(period_start as varchar), {', '.join(SEGMENT_COLUMNS)}, "
        "numerator, denominator, sum_weight_squared, value, ci_lower, ci_upper from int_metric_values "
        "where period_grain = 'day'",
    )
    family = {
        tuple(row[:8]): dict(zip(["numerator", "denominator", "sum_weight_squared", "value", "ci_lower", "ci_upper"], row[8:]))
        for row in family_rows
    }
    units = {name: metric["unit"] for name, metric in registry().items()}
    # A sample of the non-empty cells of every metric, and of the zero-filled ones.
    non_empty = unsuppressed[unsuppressed["sample_size"] > 0]
    assert len(non_empty) > 0, "the demo should have non-empty metric cells"
    empty = unsuppressed[unsuppressed["sample_size"] == 0]
    sample = pd.concat([
        non_empty.sample(frac=1.0, random_state=1).groupby("metric_name").head(300),
        empty.sample(n=min(len(empty), 2000), random_state=1),
    ])

    def part(source, name) -> float | None:
        if source is None or source[name] is None or pd.isna(source[name]):
            return None
        return float(source[name])

    for row in sample.to_dict("records"):
        unit = units[row["metric_name"]]
        key = cell_key(row)
        source = family.get(key)
        numerator = part(source, "numerator") or 0.0
        denominator = part(source, "denominator") or 0.0
        weights_squared = part(source, "sum_weight_squared")

        expected_lower = expected_upper = None
        if unit == "count":
            expected = numerator
        elif unit == "proportion":
            expected = numerator / denominator if denominator > 0 else None
            if expected is not None:
                n = denominator**2 / weights_squared if weights_squared is not None else denominator
                expected_lower, expected_upper = wilson(expected, n)
        elif unit in ("per_10k", "per_1k"):
            scale = 10000 if unit == "per_10k" else 1000
            expected = numerator * scale / denominator if denominator > 0 else None
        else:
            expected = part(source, "value")
            if unit == "coefficient":  # kappa carries its own interval
                expected_lower, expected_upper = part(source, "ci_lower"), part(source, "ci_upper")

        for name, want in (("value", expected), ("ci_lower", expected_lower), ("ci_upper", expected_upper)):
            got = row[name]
            if want is None:
                assert pd.isna(got), (name, key)
            else:
                assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (name, key, got, want)


def test_small_cells_are_suppressed_and_zero_cells_are_not(joined):
    small_cell = joined["suppression_rule"] == "small_cell"
    n = joined["sample_size_restricted"]
    small = small_cell & (n >= 1) & (n < SMALL_CELL_THRESHOLD)
    assert small.any(), "the demo should have small cells to suppress"
    assert joined.loc[small, "is_suppressed"].all()
    # An empty cell is hidden only by linked suppression, when a recovery uses no other cell.
    assert not joined.loc[(n == 0) & ~joined["is_linked_suppression"], "is_suppressed"].any()
    assert not joined.loc[~small_cell, "is_suppressed"].any()


def test_suppressed_cells_hide_every_part_and_others_show_the_restricted_values(joined):
    parts = ["numerator", "denominator", "value", "sample_size", "ci_lower", "ci_upper"]
    suppressed = joined[joined["is_suppressed"]]
    assert suppressed[parts].isna().all().all()

    shown = joined[~joined["is_suppressed"]]
    for part in parts:
        left, right = shown[part], shown[f"{part}_restricted"]
        both_null = left.isna() & right.isna()
        close = (left - right).abs() <= 1e-12 * right.abs().clip(lower=1.0)
        assert (both_null | close).all(), part


def test_no_sibling_set_has_exactly_one_suppressed_cell(joined):
    """Walk every sibling set: one metric, day and grouping, every segment column but one fixed."""
    lone_sets = []
    for column_slot in ("grouping_column_1", "grouping_column_2"):
        grouped = joined[joined[column_slot].notna()]
        for varied, cells in grouped.groupby(column_slot):
            fixed = ["metric_name", "metric_date", "grouping_column_1", "grouping_column_2",
                     *[c for c in SEGMENT_COLUMNS if c != varied]]
            sets = cells.assign(
                non_empty_shown=(~cells["is_suppressed"]) & (cells["sample_size_restricted"] > 0)
            ).groupby(fixed, dropna=False).agg(
                suppressed=("is_suppressed", "sum"), non_empty_shown=("non_empty_shown", "sum")
            )
            lone = sets[(sets["suppressed"] == 1) & (sets["non_empty_shown"] > 0)]
            lone_sets.extend(lone.index.tolist())
    assert lone_sets == []


def test_complementary_cells_are_the_smallest_siblings(joined):
    """A suppressed cell that is not small was picked as the smallest: in some sibling
    set it is no larger than every sibling left shown (non-empty)."""
    n = joined["sample_size_restricted"]
    small = (joined["suppression_rule"] == "small_cell") & (n >= 1) & (n < SMALL_CELL_THRESHOLD)
    cells = joined.assign(
        shown_size=n.where(~joined["is_suppressed"] & (n > 0)),
        justified=False,
    )
    for column_slot in ("grouping_column_1", "grouping_column_2"):
        for varied in cells[column_slot].dropna().unique():
            in_slot = cells[column_slot] == varied
            fixed = ["metric_name", "metric_date", "grouping_column_1", "grouping_column_2",
                     *[c for c in SEGMENT_COLUMNS if c != varied]]
            smallest_shown = cells[in_slot].groupby(fixed, dropna=False)["shown_size"].transform("min")
            ok = smallest_shown.isna() | (cells.loc[in_slot, "sample_size_restricted"] <= smallest_shown)
            cells.loc[in_slot, "justified"] |= ok
    complementary = cells[cells["is_suppressed"] & ~small & ~cells["is_linked_suppression"]]
    assert complementary["justified"].all(), complementary[~complementary["justified"]].head()


def test_unsuppressed_values_live_only_in_restricted_models(demo_config, published):
    import json

    manifest = json.loads((Path(demo_config.resolved_target_path()) / "manifest.json").read_text())
    restricted = {
        node_id
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and "restricted" in node.get("tags", [])
    }
    assert "model.tsw.fct_metrics_daily_unsuppressed" in restricted
    for exposure_id, exposure in manifest.get("exposures", {}).items():
        assert not restricted & set(exposure["depends_on"]["nodes"]), exposure_id
    published_model = manifest["nodes"]["model.tsw.metrics_daily"]
    assert "restricted" not in published_model.get("tags", [])
    assert list(published.columns) == [
        "metric_date", "metric_name", "metric_version", "unit", *SEGMENT_COLUMNS, "numerator",
        "denominator", "value", "sample_size", "ci_lower", "ci_upper", "is_final", "is_suppressed",
        "as_of_date",
    ]


def test_every_registry_metric_is_documented_as_registered():
    """docs/metrics.md's metric table says what the registry says."""
    lines = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text().splitlines()
    documented = {}
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in registry():
            documented[cells[0]] = cells
    assert set(documented) == set(registry())
    for name, metric in registry().items():
        _, unit, direction, maturity, suppression, columns, _ = documented[name]
        assert (unit, direction, maturity, suppression) == (
            metric["unit"], metric["direction"], metric["maturity_days"], metric["suppression_rule"]
        ), name
        assert [c.split(" ")[0] for c in columns.split(", ")] == metric["segment_columns"].split("|"), name
