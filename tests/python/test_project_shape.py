"""Project-shape rules over manifest.json: the real project obeys them, and each rule fires.

The synthetic manifests below are hand-written dicts in manifest.json's shape: one clean
project, then one copy per rule with exactly that rule broken.
"""

from __future__ import annotations

import copy
import json

import pytest

from tsw.dbt_runner import BuildConfig, run_dbt
from tsw.project_shape import check_manifest


def _model(name: str, path: str, parents: list[str] | None = None, *, materialized: str = "table",
           enforced: bool = False, description: str = "A model.") -> dict:
    return {
        "resource_type": "model",
        "package_name": "shop",
        "name": name,
        "original_file_path": path,
        "description": description,
        "config": {"materialized": materialized, "contract": {"enforced": enforced}, "tags": []},
        "depends_on": {"nodes": parents or []},
        "columns": {},
        "constraints": [],
        "tags": [],
    }


def _test(name: str, model_uid: str, column: str | None = None, **kwargs) -> dict:
    return {
        "resource_type": "test",
        "package_name": "shop",
        "name": f"{name}_{model_uid.split('.')[-1]}_{column or 'model'}",
        "attached_node": model_uid,
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": {"column_name": column, **kwargs}, "namespace": None},
        "depends_on": {"nodes": [model_uid]},
    }


def _clean_manifest() -> dict:
    models = {
        "model.shop.base_shop__orders": _model(
            "base_shop__orders", "models/staging/shop/base/base_shop__orders.sql", ["source.shop.shop.orders"],
            materialized="view"),
        "model.shop.stg_shop__orders": _model(
            "stg_shop__orders", "models/staging/shop/stg_shop__orders.sql", ["model.shop.base_shop__orders"]),
        "model.shop.stg_shop__customers": _model(
            "stg_shop__customers", "models/staging/shop/stg_shop__customers.sql", ["seed.shop.raw_customers"]),
        "model.shop.int_orders_joined": _model(
            "int_orders_joined", "models/intermediate/int_orders_joined.sql",
            ["model.shop.stg_shop__orders", "model.shop.stg_shop__customers"]),
        "model.shop.orders_daily": _model(
            "orders_daily", "models/marts/core/orders_daily.sql",
            ["model.shop.int_orders_joined", "seed.shop.ref_regions"], enforced=True),
        "model.shop.orders_daily_unsuppressed": _model(
            "orders_daily_unsuppressed", "models/marts/restricted/orders_daily_unsuppressed.sql",
            ["model.shop.int_orders_joined"]),
    }
    tests = {}
    for uid in models:
        if uid.endswith("stg_shop__customers"):
            unique, not_null = _test("unique", uid, "customer_id"), _test("not_null", uid, "customer_id")
            tests[f"test.shop.{unique['name']}"] = unique
            tests[f"test.shop.{not_null['name']}"] = not_null
        else:
            key = _test("unique_combination", uid, combination=["order_id"])
            tests[f"test.shop.{key['name']}"] = key
    seeds = {
        "seed.shop.raw_customers": {"resource_type": "seed", "package_name": "shop", "name": "raw_customers",
                                    "tags": ["raw_demo"], "config": {"tags": ["raw_demo"]}},
        "seed.shop.ref_regions": {"resource_type": "seed", "package_name": "shop", "name": "ref_regions",
                                  "tags": ["reference"], "config": {"tags": ["reference"]}},
    }
    return {
        "metadata": {"project_name": "shop"},
        "nodes": {**models, **tests, **seeds},
        "sources": {"source.shop.shop.orders": {"resource_type": "source", "name": "orders"}},
    }


def _rules(violations: list[str]) -> set[str]:
    return {v.split(":", 1)[0] for v in violations}


def test_clean_synthetic_manifest_has_no_violations():
    assert check_manifest(_clean_manifest()) == []


def _break_description(m: dict) -> None:
    m["nodes"]["model.shop.int_orders_joined"]["description"] = "  "


def _break_primary_key(m: dict) -> None:
    del m["nodes"]["test.shop.unique_combination_int_orders_joined_model"]


def _break_primary_key_unique_only(m: dict) -> None:
    del m["nodes"]["test.shop.not_null_stg_shop__customers_customer_id"]


def _break_primary_key_other_column(m: dict) -> None:
    m["nodes"]["test.shop.not_null_stg_shop__customers_customer_id"]["column_name"] = "email"


def _break_staging_on_staging(m: dict) -> None:
    m["nodes"]["model.shop.stg_shop__orders"]["depends_on"]["nodes"].append("model.shop.stg_shop__customers")


def _break_mart_reads_source(m: dict) -> None:
    m["nodes"]["model.shop.orders_daily"]["depends_on"]["nodes"].append("source.shop.shop.orders")


def _break_mart_reads_raw_seed(m: dict) -> None:
    m["nodes"]["model.shop.orders_daily_unsuppressed"]["depends_on"]["nodes"].append("seed.shop.raw_customers")


def _break_contract(m: dict) -> None:
    m["nodes"]["model.shop.orders_daily"]["config"]["contract"]["enforced"] = False


def _break_view_chain(m: dict) -> None:
    # base (view) -> v1 -> v2 -> v3 -> v4: five views in a row.
    parent = "model.shop.base_shop__orders"
    for i in range(1, 5):
        uid = f"model.shop.int_view_{i}"
        m["nodes"][uid] = _model(f"int_view_{i}", f"models/intermediate/int_view_{i}.sql", [parent],
                                 materialized="view" if i % 2 else "ephemeral")
        key = _test("unique_combination", uid, combination=["order_id"])
        m["nodes"][f"test.shop.{key['name']}"] = key
        parent = uid


BREAKS = [
    (_break_description, "model_description"),
    (_break_primary_key, "primary_key_test"),
    (_break_primary_key_unique_only, "primary_key_test"),
    (_break_primary_key_other_column, "primary_key_test"),
    (_break_staging_on_staging, "staging_on_staging"),
    (_break_mart_reads_source, "marts_on_raw"),
    (_break_mart_reads_raw_seed, "marts_on_raw"),
    (_break_contract, "mart_contract"),
    (_break_view_chain, "view_chain"),
]


@pytest.mark.parametrize("break_rule, rule", BREAKS, ids=[b[0].__name__.removeprefix("_break_") for b in BREAKS])
def test_each_rule_fires(break_rule, rule):
    manifest = copy.deepcopy(_clean_manifest())
    break_rule(manifest)
    violations = check_manifest(manifest)
    assert _rules(violations) == {rule}, violations
    assert len(violations) == 1, violations


def test_view_chain_threshold_is_inclusive():
    manifest = copy.deepcopy(_clean_manifest())
    _break_view_chain(manifest)
    assert check_manifest(manifest, max_view_chain=5) == []


def test_restricted_marts_need_no_contract_but_others_do():
    manifest = copy.deepcopy(_clean_manifest())
    restricted = manifest["nodes"]["model.shop.orders_daily_unsuppressed"]
    assert restricted["config"]["contract"]["enforced"] is False  # clean as is
    restricted["original_file_path"] = "models/marts/core/orders_daily_unsuppressed.sql"
    assert _rules(check_manifest(manifest)) == {"mart_contract"}


def test_real_project_manifest_has_no_violations(tmp_path):
    config = BuildConfig(db_path=tmp_path / "parse.duckdb", target_path=tmp_path / "target", target="ci")
    run_dbt(["parse"], config, stream=False)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    violations = check_manifest(manifest)
    for violation in violations:
        print(violation)
    assert not violations, f"{len(violations)} project-shape violation(s):\n" + "\n".join(violations)
