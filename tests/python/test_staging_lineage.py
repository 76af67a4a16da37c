"""Raw tables are dbt sources: the manifest shows sources -> staging -> marts (issue #11)."""

from __future__ import annotations

import json
from pathlib import Path

from tsw.contract import load_contract
from tsw.dbt_runner import BuildConfig, run_dbt


def upstream(manifest: dict, node_id: str) -> set[str]:
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        node = manifest["nodes"].get(todo.pop())
        for parent in (node or {}).get("depends_on", {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_staging_model_depends_on_its_source(tmp_path):
    config = BuildConfig(db_path=tmp_path / "parse.duckdb", target_path=tmp_path / "target", target="ci")
    run_dbt(["parse"], config, stream=False)
    manifest = json.loads((Path(config.target_path) / "manifest.json").read_text())
    tables = list(load_contract())
    for table in tables:
        source_id = f"source.tsw.platform.{table}"
        assert source_id in manifest["sources"]
        for model in (f"base_platform__{table}", f"stg_platform__{table}"):
            assert source_id in upstream(manifest, f"model.tsw.{model}"), model
    for model in ("quarantine_rows", "dq_raw_reconciliation"):
        parents = upstream(manifest, f"model.tsw.{model}")
        assert {f"source.tsw.platform.{t}" for t in tables} <= parents, model
    # and the marts sit downstream of the sources
    assert any(p.startswith("source.tsw.platform.") for p in upstream(manifest, "model.tsw.metrics_daily"))
