"""Our generic dbt tests (tests/generic/) pass on good data and fail on bad data.

A throwaway dbt project is written to a tmp dir: the repository's macros/ and
tests/generic/ copied in, small seeds with good and deliberately broken data, and a
YAML attaching each generic test to both. One `dbt build` runs everything; each test's
expected outcome is written next to it here (by hand, from the fixture data), and the
run's results must match: `pass` on good data, `fail` (or `warn`, for the anomaly test)
on bad data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from tsw.paths import PROJECT_DIR

AS_OF = date(2026, 8, 28)


def _csv(header: list[str], rows: list[tuple]) -> str:
    def cell(value) -> str:
        return "" if value is None else str(value)

    return "\n".join([",".join(header), *(",".join(cell(v) for v in row) for row in rows)]) + "\n"


def _seeds() -> dict[str, tuple[str, dict[str, str]]]:
    """name -> (csv text, column types)."""
    seeds: dict[str, tuple[str, dict[str, str]]] = {}

    # accepted_range: a count of 5 is out of [0, 1] but excluded by the row condition.
    rate_types = {"unit": "varchar", "value": "double"}
    seeds["rates_good"] = (
        _csv(["unit", "value"],
             [("proportion", 0), ("proportion", 0.4), ("proportion", 1), ("proportion", None), ("count", 5)]),
        rate_types,
    )
    seeds["rates_bad"] = (_csv(["unit", "value"], [("proportion", 0.4), ("proportion", 1.5)]), rate_types)

    # numerator_not_above_denominator
    part_types = {"numerator": "double", "denominator": "double"}
    seeds["parts_good"] = (_csv(["numerator", "denominator"], [(0, 0), (3, 10), (10, 10), (None, 4)]), part_types)
    seeds["parts_bad"] = (_csv(["numerator", "denominator"], [(3, 10), (11, 10)]), part_types)

    # spine_completeness / row_count_equal: 3 days x segments a, b.
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(3)]
    grid = [(d.isoformat(), s) for d in days for s in ("a", "b")]
    cell_types = {"cell_date": "date", "segment": "varchar"}
    seeds["grid"] = (_csv(["cell_date", "segment"], grid), cell_types)
    seeds["cells_good"] = (_csv(["cell_date", "segment"], grid), cell_types)
    seeds["cells_missing"] = (_csv(["cell_date", "segment"], grid[:-1]), cell_types)
    seeds["cells_duplicated"] = (_csv(["cell_date", "segment"], [*grid, grid[2]]), cell_types)
    seeds["cells_extra"] = (_csv(["cell_date", "segment"], [*grid, (days[0].isoformat(), "z")]), cell_types)

    # rollup_additivity: all = 10 = a 4 + b 6 (age_band) = x 7 + y 3 (region).
    rollup_header = ["metric_name", "metric_date", "age_band", "region", "numerator"]
    rollup_types = {"metric_date": "date", "numerator": "double"}
    good_rollup = [
        ("m", "2026-01-01", "all", "all", 10),
        ("m", "2026-01-01", "a", "all", 4),
        ("m", "2026-01-01", "b", "all", 6),
        ("m", "2026-01-01", "all", "x", 7),
        ("m", "2026-01-01", "all", "y", 3),
        ("m", "2026-01-01", "a", "x", 4),  # a crossed cell is neither total nor breakdown
        ("n", "2026-01-01", "all", "all", 0),
        ("n", "2026-01-01", "a", "all", 0),
        ("n", "2026-01-01", "all", "x", 0),
        ("o", "2026-01-01", "all", "all", 5),  # a metric not broken down at all
    ]
    seeds["rollup_good"] = (_csv(rollup_header, good_rollup), rollup_types)
    bad_rollup = [row if row[3] != "y" else (*row[:4], 4) for row in good_rollup]  # region sums to 11
    seeds["rollup_bad"] = (_csv(rollup_header, bad_rollup), rollup_types)
    orphan_rollup = [*good_rollup, ("p", "2026-01-01", "a", "all", 2)]  # a breakdown without its `all` row
    seeds["rollup_orphan"] = (_csv(rollup_header, orphan_rollup), rollup_types)

    # recency against the as-of date.
    dated_types = {"loaded_at": "timestamp"}
    fresh = [("2026-08-01 10:00:00",), (f"{AS_OF.isoformat()} 23:59:59",)]
    stale = [(f"{(AS_OF - timedelta(days=5)).isoformat()} 12:00:00",)]
    seeds["dated_fresh"] = (_csv(["loaded_at"], fresh), dated_types)
    seeds["dated_stale"] = (_csv(["loaded_at"], stale), dated_types)

    # zscore_anomaly: 42 days of a noisy level per series; the last day is normal or a spike.
    series_types = {"series_date": "date", "value": "double"}
    start = AS_OF - timedelta(days=41)
    noise = [0, 3, -2, 1, -3, 2, -1]

    def series(last_value: float, weekly: bool = False, last_days: int = 1) -> list[tuple]:
        rows = []
        for i in range(42):
            day = start + timedelta(days=i)
            level = 200.0 if (weekly and day.isoweekday() == AS_OF.isoweekday()) else 100.0
            value = last_value if i > 41 - last_days else level + noise[(i * 3) % 7]
            rows.append(("s1", day.isoformat(), value))
            rows.append(("s2", day.isoformat(), 50 + noise[i % 7]))  # a quiet second series
        return rows

    header = ["series_id", "series_date", "value"]
    seeds["series_normal"] = (_csv(header, series(101)), {**series_types, "series_id": "varchar"})
    seeds["series_spike"] = (_csv(header, series(160)), {**series_types, "series_id": "varchar"})
    # Five spiked days: only a baseline that excludes the tested days sees them (with them
    # in a 28-day window they would sit about 2.1 standard deviations out).
    seeds["series_spike_5_days"] = (_csv(header, series(160, last_days=5)), {**series_types, "series_id": "varchar"})
    # Series end on different days (as final days do for metrics of different maturities):
    # s2 stops a day early, with a spike on its own last day.
    staggered = [row for row in series(101) if not (row[0] == "s2" and row[1] == AS_OF.isoformat())]
    staggered = [(sid, day, 80 if (sid == "s2" and day == (AS_OF - timedelta(days=1)).isoformat()) else value)
                 for sid, day, value in staggered]
    seeds["series_staggered"] = (_csv(header, staggered), {**series_types, "series_id": "varchar"})
    # Weekly seasonality: the tested weekday always sits at ~200, other days at ~100.
    seeds["series_weekly"] = (_csv(header, series(201, weekly=True)), {**series_types, "series_id": "varchar"})
    return seeds


def _test(name: str, generic: str, arguments: dict, config: dict | None = None) -> dict:
    body: dict = {"name": name, "arguments": arguments}
    if config:
        body["config"] = config
    return {generic: body}


# (seed, column or None, test name, generic test, arguments, config, expected status)
CASES: list[tuple[str, str | None, str, str, dict, dict | None, str]] = [
    ("rates_good", "value", "range_good", "accepted_range",
     {"min_value": 0, "max_value": 1, "row_condition": "unit = 'proportion'"}, None, "pass"),
    ("rates_bad", "value", "range_bad", "accepted_range",
     {"min_value": 0, "max_value": 1, "row_condition": "unit = 'proportion'"}, None, "fail"),
    ("rates_good", "value", "range_exclusive_bound", "accepted_range",
     {"min_value": 0, "max_value": 1, "inclusive": False, "row_condition": "unit = 'proportion'"}, None, "fail"),
    ("rates_good", "value", "range_unfiltered", "accepted_range", {"max_value": 1}, None, "fail"),
    ("parts_good", None, "parts_good", "numerator_not_above_denominator",
     {"numerator": "numerator", "denominator": "denominator"}, None, "pass"),
    ("parts_bad", None, "parts_bad", "numerator_not_above_denominator",
     {"numerator": "numerator", "denominator": "denominator"}, None, "fail"),
    ("cells_good", None, "spine_relation_good", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "spine": "ref('grid')"}, None, "pass"),
    ("cells_missing", None, "spine_relation_missing", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "spine": "ref('grid')"}, None, "fail"),
    ("cells_duplicated", None, "spine_relation_duplicated", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "spine": "ref('grid')"}, None, "fail"),
    ("cells_extra", None, "spine_relation_extra", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "spine": "ref('grid')"}, None, "fail"),
    ("cells_extra", None, "spine_relation_extra_allowed", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "spine": "ref('grid')", "allow_extra": True},
     None, "pass"),
    ("cells_good", None, "spine_values_good", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "segment_values": {"segment": ["a", "b"]}},
     None, "pass"),
    ("cells_missing", None, "spine_values_missing", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "segment_values": {"segment": ["a", "b"]},
      "end_date": "2026-01-03"}, None, "fail"),
    ("cells_good", None, "spine_values_longer_range", "spine_completeness",
     {"date_column": "cell_date", "segment_columns": ["segment"], "segment_values": {"segment": ["a", "b"]},
      "start_date": "2025-12-31"}, None, "fail"),
    ("rollup_good", None, "rollup_good", "rollup_additivity",
     {"measure": "numerator", "columns": ["age_band", "region"], "partition_by": ["metric_name", "metric_date"]},
     None, "pass"),
    ("rollup_bad", None, "rollup_bad", "rollup_additivity",
     {"measure": "numerator", "columns": ["age_band", "region"], "partition_by": ["metric_name", "metric_date"]},
     None, "fail"),
    ("rollup_orphan", None, "rollup_breakdown_without_total", "rollup_additivity",
     {"measure": "numerator", "columns": ["age_band", "region"], "partition_by": ["metric_name", "metric_date"]},
     None, "fail"),
    ("rollup_good", None, "rollup_required_breakdown", "rollup_additivity",
     {"measure": "numerator", "columns": ["age_band", "region"], "partition_by": ["metric_name", "metric_date"],
      "require_breakdown": True}, None, "fail"),
    ("rollup_bad", None, "rollup_bad_column_not_checked", "rollup_additivity",
     {"measure": "numerator", "columns": ["age_band"], "segment_columns": ["age_band", "region"],
      "partition_by": ["metric_name", "metric_date"]}, None, "pass"),
    ("cells_good", None, "row_count_good", "row_count_equal", {"compare_model": "ref('grid')"}, None, "pass"),
    ("cells_missing", None, "row_count_missing", "row_count_equal", {"compare_model": "ref('grid')"}, None, "fail"),
    ("cells_extra", None, "row_count_filtered", "row_count_equal",
     {"compare_model": "ref('grid')", "model_condition": "segment != 'z'"}, None, "pass"),
    ("cells_good", None, "row_count_filtered_compare", "row_count_equal",
     {"compare_model": "ref('grid')", "compare_condition": "segment = 'a'"}, None, "fail"),
    ("dated_fresh", "loaded_at", "recency_fresh", "recency", {"max_age_days": 0}, None, "pass"),
    ("dated_stale", "loaded_at", "recency_stale", "recency", {"max_age_days": 1}, None, "fail"),
    ("dated_stale", "loaded_at", "recency_stale_allowed", "recency", {"max_age_days": 5}, None, "pass"),
    ("series_normal", "value", "zscore_normal", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"]}, None, "pass"),
    ("series_spike", "value", "zscore_spike", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"]}, None, "warn"),
    ("series_spike_5_days", "value", "zscore_5_days_under_test", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "days_under_test": 5}, None, "warn"),
    ("series_staggered", "value", "zscore_each_series_own_last_day", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"]}, None, "warn"),
    ("series_staggered", "value", "zscore_common_end_date", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "end_date": AS_OF.isoformat()}, None, "pass"),
    ("series_spike", "value", "zscore_spike_as_error", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"]}, {"severity": "error"}, "fail"),
    ("series_spike", "value", "zscore_spike_low_sensitivity", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "sensitivity": 100}, None, "pass"),
    ("series_spike", "value", "zscore_spike_not_tested_day", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "end_date": (AS_OF - timedelta(days=1)).isoformat()},
     None, "pass"),
    ("series_spike", "value", "zscore_spike_short_history", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "min_history": 100}, None, "pass"),
    ("series_weekly", "value", "zscore_weekly_seasonal", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "seasonality": "day_of_week",
      "window_days": 35, "sensitivity": 2}, 
     None, "pass"),
    # Without seasonality the weekday peak is about 2.4 standard deviations out: a warning at 2.
    ("series_weekly", "value", "zscore_weekly_not_seasonal", "zscore_anomaly",
     {"date_column": "series_date", "group_by": ["series_id"], "sensitivity": 2}, None, "warn"),
]


def _properties() -> dict:
    seeds: dict[str, dict] = {}
    for seed, column, name, generic, arguments, config, _ in CASES:
        entry = seeds.setdefault(seed, {"name": seed, "columns": [], "data_tests": []})
        test = _test(name, generic, arguments, config)
        if column is None:
            entry["data_tests"].append(test)
        else:
            column_entry = next((c for c in entry["columns"] if c["name"] == column), None)
            if column_entry is None:
                column_entry = {"name": column, "data_tests": []}
                entry["columns"].append(column_entry)
            column_entry["data_tests"].append(test)
    return {"version": 2, "seeds": list(seeds.values())}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> dict[str, str]:
    """Build the throwaway project once; test name -> status."""
    root = tmp_path_factory.mktemp("generic_tests")
    project = root / "project"
    shutil.copytree(PROJECT_DIR / "macros", project / "macros")
    shutil.copytree(PROJECT_DIR / "tests" / "generic", project / "tests" / "generic")
    (project / "seeds").mkdir()
    seed_configs = {}
    for name, (text, column_types) in _seeds().items():
        (project / "seeds" / f"{name}.csv").write_text(text)
        seed_configs[name] = {"+column_types": column_types}
    (project / "dbt_project.yml").write_text(yaml.safe_dump({
        "name": "generic_test_fixtures",
        "version": "1.0.0",
        "config-version": 2,
        "profile": "generic_test_fixtures",
        "macro-paths": ["macros"],
        "test-paths": ["tests"],
        "seed-paths": ["seeds"],
        "vars": {"as_of_date": None},
        "seeds": {"generic_test_fixtures": seed_configs},
    }))
    (project / "seeds" / "_fixtures.yml").write_text(yaml.safe_dump(_properties(), sort_keys=False))
    (project / "profiles.yml").write_text(yaml.safe_dump({
        "generic_test_fixtures": {
            "target": "fixture",
            "outputs": {"fixture": {"type": "duckdb", "path": str(root / "fixtures.duckdb"), "threads": 1}},
        }
    }))
    env = {**os.environ, "DBT_TARGET_PATH": str(root / "target"), "DBT_LOG_PATH": str(root / "logs"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, "build", "--project-dir", str(project), "--profiles-dir", str(project),
         "--vars", json.dumps({"as_of_date": AS_OF.isoformat()})],
        cwd=project, env=env, capture_output=True, text=True,
    )
    results_path = root / "target" / "run_results.json"
    assert results_path.exists(), f"dbt did not run:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    results = json.loads(results_path.read_text())["results"]
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results if r["unique_id"].startswith("test.")}
    errors = {name: status for name, status in statuses.items() if status == "error"}
    assert not errors, f"tests errored (SQL or compile problem): {errors}\n{proc.stdout[-4000:]}"
    return statuses


@pytest.mark.parametrize("case", CASES, ids=[case[2] for case in CASES])
def test_generic_test_outcome(fixture_run, case):
    seed, _, name, generic, _, _, expected = case
    assert name in fixture_run, f"{name} did not run; ran: {sorted(fixture_run)}"
    assert fixture_run[name] == expected, f"{generic} on {seed}: expected {expected}, got {fixture_run[name]}"


def test_every_generic_test_is_proven(fixture_run):
    """Each generic test we own is shown both passing and failing (or warning)."""
    ours = {p.stem for p in (PROJECT_DIR / "tests" / "generic").glob("*.sql")} - {"test_unique_combination"}
    proven = {case[3] for case in CASES if case[6] == "pass"} & {case[3] for case in CASES if case[6] != "pass"}
    assert ours <= proven, f"generic tests without a pass and a fail case: {sorted(ours - proven)}"
