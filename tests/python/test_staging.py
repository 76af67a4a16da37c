"""Staging on the demo seeds and a generated landing directory, checked against the
generator's planted truths; the unique_combination generic test; the raw_rows errors."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import demo_scenario, query

from tsw.contract import load_contract
from tsw.dbt_runner import BuildConfig, run_dbt

TYPES = {"text": "VARCHAR", "enum": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "boolean": "BOOLEAN",
         "decimal": "DOUBLE"}
PARTS = ["raw_rows", "not_yet_known_rows", "quarantined_rows", "duplicate_rows", "staged_rows"]
# scenario.json names the duplicates it knows the build will see `duplicate_rows_known`
TRUTH_PARTS = ["raw_rows", "not_yet_known_rows", "quarantined_rows", "duplicate_rows_known", "staged_rows"]


def reconciliation(db: Path) -> dict[str, dict]:
    rows = query(db, f"select table_name, {', '.join(PARTS)}, is_reconciled from dq_raw_reconciliation")
    return {r[0]: dict(zip([*PARTS, "is_reconciled"], r[1:])) for r in rows}


def assert_balances(db: Path) -> None:
    found = reconciliation(db)
    assert set(found) == set(load_contract())
    for table, parts in found.items():
        moved = parts["staged_rows"] + parts["duplicate_rows"] + parts["quarantined_rows"] + parts["not_yet_known_rows"]
        assert parts["raw_rows"] == moved, table
        assert parts["is_reconciled"] is True, table


def assert_matches_truth(db: Path, scenario: dict) -> None:
    found = reconciliation(db)
    for table, truth in scenario["truths"]["tables"].items():
        expected = [truth[part] for part in TRUTH_PARTS]
        assert [found[table][part] for part in PARTS] == expected, table


def test_demo_reconciles(demo_db):
    assert_balances(demo_db)


def test_demo_counts_match_the_generators_truth(demo_db):
    assert_matches_truth(demo_db, demo_scenario())


def test_demo_raw_rows_are_the_seed_rows(demo_db):
    # counted independently of dbt: the committed CSV files themselves
    from tsw.paths import DEMO_SEEDS_DIR

    found = reconciliation(demo_db)
    for table in load_contract():
        with open(DEMO_SEEDS_DIR / f"raw_{table}.csv", newline="") as handle:
            assert found[table]["raw_rows"] == sum(1 for _ in csv.DictReader(handle)), table


def test_demo_quarantine_matches_planted_bad_input(demo_db):
    planted = {
        (table, reason): count
        for table, reasons in demo_scenario()["truths"]["bad_input"].items()
        for reason, count in reasons.items()
        if count
    }
    found = {
        (table, reason): count
        for table, reason, count in query(
            demo_db, "select table_name, reason_code, count(*) from quarantine_rows group by all"
        )
    }
    assert found == planted


def test_landing_build_reconciles(landing_build):
    config, scenario = landing_build
    assert_balances(Path(config.db_path))
    assert_matches_truth(Path(config.db_path), scenario)


def test_staging_columns_are_the_contract(demo_db):
    for name, table in load_contract().items():
        described = query(demo_db, f"select column_name, column_type from (describe stg_platform__{name})")
        assert described == [(c.name, TYPES[c.data_type]) for c in table.columns], name


def test_quarantine_row_keys_are_the_raw_keys(demo_db):
    rows = query(demo_db, "select table_name, row_key, raw_values from quarantine_rows")
    assert rows
    contract = load_contract()
    for table, row_key, raw_values in rows:
        raw = json.loads(raw_values)
        assert row_key == "|".join(raw[c] or "" for c in contract[table].key)


# --- the unique_combination generic test -----------------------------------------------


@pytest.fixture(scope="module")
def scratch_config(tmp_path_factory) -> BuildConfig:
    root = tmp_path_factory.mktemp("staging_scratch")
    return BuildConfig(db_path=root / "scratch.duckdb", target_path=root / "target", as_of_date=date(2026, 3, 20),
                       target="ci")


def show_inline(config: BuildConfig, sql: str) -> list[dict]:
    result = run_dbt(["show", "--inline", sql, "--output", "json", "--log-format", "json"], config, stream=False)
    for line in result.stdout.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        preview = event.get("data", {}).get("preview")
        if preview is not None:
            return json.loads(preview) if isinstance(preview, str) else preview
    raise AssertionError(f"no preview in dbt show output:\n{result.stdout[-2000:]}")


def test_unique_combination_flags_duplicates_and_null_keys(scratch_config):
    rows = show_inline(
        scratch_config,
        "{{ test_unique_combination(model='(select * from (values (1, 2), (1, 2), (null, 3), (4, 5)) as t(a, b))', "
        "combination=['a', 'b']) }}",
    )
    assert Counter((r["a"], r["b"]) for r in rows) == Counter({(1, 2): 1, (None, 3): 1})


def test_unique_combination_passes_a_true_key(scratch_config):
    rows = show_inline(
        scratch_config,
        "{{ test_unique_combination(model='(select * from (values (1, 2), (1, 3), (2, 2)) as t(a, b))', "
        "combination=['a', 'b']) }}",
    )
    assert rows == []


# --- raw_rows: errors that name the table and column -------------------------------------


def write_users(folder: Path, columns: list[str], kind: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    row = {"user_id": "u1", "created_at": "2026-03-01T00:00:00Z", "signup_platform": "ios",
           "ingested_at": "2026-03-01T01:00:00Z"}
    if kind == "csv":
        with open(folder / "a.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerow({c: row[c] for c in columns})
    else:
        pq.write_table(pa.table({c: [row[c]] for c in columns}), folder / "b.parquet")


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_file_missing_a_contract_column_is_a_clear_error(tmp_path, kind):
    landing = tmp_path / "landing"
    write_users(landing / "users", ["user_id", "created_at", "signup_platform", "ingested_at"], "csv")
    write_users(landing / "users", ["user_id", "created_at", "ingested_at"], kind)
    config = BuildConfig(db_path=tmp_path / "x.duckdb", target_path=tmp_path / "target", landing_dir=landing,
                         as_of_date=date(2026, 3, 20), target="ci")
    result = run_dbt(["compile", "--select", "base_platform__users"], config, stream=False, check=False)
    assert result.returncode != 0
    assert "raw table 'users'" in result.stdout
    assert "no column 'signup_platform'" in result.stdout


def test_landing_without_landing_dir_is_a_clear_error(tmp_path):
    config = BuildConfig(db_path=tmp_path / "x.duckdb", target_path=tmp_path / "target",
                         extra_vars={"raw_source": "landing"}, as_of_date=date(2026, 3, 20), target="ci")
    result = run_dbt(["compile", "--select", "base_platform__users"], config, stream=False, check=False)
    assert result.returncode != 0
    assert "landing_dir is not set" in result.stdout
    assert "users" in result.stdout
