"""Project-shape checks over dbt's manifest.json (our own version of dbt-project-evaluator's rules).

`check_manifest(manifest)` returns one human-readable violation per broken rule and node:

* `model_description`: every model of the project has a description.
* `primary_key_test`: every model has a primary-key test: `unique_combination`, or `unique`
  plus `not_null` (test or constraint) on the same column, or a `primary_key` constraint.
* `staging_on_staging`: no `stg_*` model refers to another `stg_*` model (`base_*` is fine).
* `marts_on_raw`: no model under `models/marts/` reads a source or a raw seed (tagged
  `raw_demo`/`raw_*`, or named `raw_*`) directly.
* `mart_contract`: analyst-facing models (`models/marts/` except `models/marts/restricted/`)
  have an enforced contract.
* `view_chain`: no chain of more than `max_view_chain` consecutive views (or ephemerals).

Run as `python -m tsw.project_shape target/manifest.json` to print violations (exit 1 if any).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

MARTS_DIR = "models/marts/"
RESTRICTED_DIR = "models/marts/restricted/"
MAX_VIEW_CHAIN = 4
PRIMARY_KEY_TESTS = {"unique_combination", "unique_combination_of_columns"}
VIEW_LIKE = {"view", "ephemeral"}


def _project_models(manifest: dict) -> dict[str, dict]:
    project = manifest.get("metadata", {}).get("project_name")
    return {
        uid: node
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model" and (project is None or node.get("package_name") == project)
    }


def _path(node: dict) -> str:
    return str(node.get("original_file_path", "")).replace("\\", "/")


def _materialized(node: dict) -> str:
    return str(node.get("config", {}).get("materialized", ""))


def _parents(node: dict) -> list[str]:
    return list(node.get("depends_on", {}).get("nodes", []))


def _tests_by_model(manifest: dict) -> dict[str, list[dict]]:
    by_model: dict[str, list[dict]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "test" or not node.get("test_metadata"):
            continue
        attached = node.get("attached_node")
        targets = [attached] if attached else [p for p in _parents(node) if p.startswith("model.")][:1]
        for target in targets:
            by_model.setdefault(target, []).append(node)
    return by_model


def _constraint_types(constraints: Iterable[dict]) -> set[str]:
    return {str(c.get("type")) for c in constraints or []}


def _has_primary_key(model: dict, tests: list[dict]) -> bool:
    if "primary_key" in _constraint_types(model.get("constraints", [])):
        return True
    unique_columns: set[str] = set()
    not_null_columns: set[str] = set()
    for test in tests:
        meta = test["test_metadata"]
        name = meta.get("name")
        column = test.get("column_name") or meta.get("kwargs", {}).get("column_name")
        if name in PRIMARY_KEY_TESTS:
            return True
        if name == "unique" and column:
            unique_columns.add(column)
        if name == "not_null" and column:
            not_null_columns.add(column)
    for column_name, column in model.get("columns", {}).items():
        types = _constraint_types(column.get("constraints", []))
        if "primary_key" in types:
            return True
        if "not_null" in types:
            not_null_columns.add(column_name)
    return bool(unique_columns & not_null_columns)


def _is_raw_seed(node: dict) -> bool:
    tags = set(node.get("tags", [])) | set(node.get("config", {}).get("tags", []))
    return (
        node.get("resource_type") == "seed"
        and (str(node.get("name", "")).startswith("raw_") or any(t == "raw_demo" or t.startswith("raw_") for t in tags))
    )


def _view_chains(models: dict[str, dict], max_chain: int) -> list[list[str]]:
    """Maximal chains of consecutive views longer than max_chain (each as a list of names, upstream first)."""
    views = {uid for uid, node in models.items() if _materialized(node) in VIEW_LIKE}
    longest: dict[str, list[str]] = {}

    def chain_to(uid: str, visiting: frozenset[str] = frozenset()) -> list[str]:
        if uid in longest:
            return longest[uid]
        best: list[str] = []
        for parent in _parents(models[uid]):
            if parent in views and parent not in visiting:
                candidate = chain_to(parent, visiting | {uid})
                if len(candidate) > len(best):
                    best = candidate
        longest[uid] = [*best, uid]
        return longest[uid]

    has_view_child = {p for uid in views for p in _parents(models[uid]) if p in views}
    chains = []
    for uid in sorted(views - has_view_child):
        chain = chain_to(uid)
        if len(chain) > max_chain:
            chains.append([models[u]["name"] for u in chain])
    return chains


def check_manifest(manifest: dict, *, max_view_chain: int = MAX_VIEW_CHAIN) -> list[str]:
    """Every violation of the project-shape rules, as `rule: node: explanation` lines."""
    nodes = manifest.get("nodes", {})
    models = _project_models(manifest)
    tests = _tests_by_model(manifest)
    violations: list[str] = []

    for uid, model in sorted(models.items()):
        name = model.get("name", uid)
        path = _path(model)
        if not str(model.get("description") or "").strip():
            violations.append(f"model_description: {name} ({path}) has no description")
        if not _has_primary_key(model, tests.get(uid, [])):
            violations.append(
                f"primary_key_test: {name} has no primary-key test "
                "(unique_combination, or unique + not_null on one column)"
            )
        parents = _parents(model)
        if name.startswith("stg_"):
            for parent in parents:
                parent_node = nodes.get(parent, {})
                if parent.startswith("model.") and str(parent_node.get("name", "")).startswith("stg_"):
                    violations.append(f"staging_on_staging: {name} refers to staging model {parent_node['name']}")
        if path.startswith(MARTS_DIR):
            for parent in parents:
                if parent.startswith("source."):
                    violations.append(f"marts_on_raw: mart {name} reads source {parent} directly")
                elif parent.startswith("seed.") and _is_raw_seed(nodes.get(parent, {})):
                    violations.append(f"marts_on_raw: mart {name} reads raw seed {nodes[parent]['name']} directly")
            if not path.startswith(RESTRICTED_DIR):
                if not model.get("config", {}).get("contract", {}).get("enforced", False):
                    violations.append(f"mart_contract: analyst-facing mart {name} has no enforced contract")

    for chain in _view_chains(models, max_view_chain):
        violations.append(
            f"view_chain: {len(chain)} consecutive views (max {max_view_chain}): {' -> '.join(chain)}"
        )
    return violations


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tsw.project_shape path/to/manifest.json", file=sys.stderr)
        return 2
    violations = check_manifest(json.loads(Path(args[0]).read_text()))
    for violation in violations:
        print(violation)
    print(f"{len(violations)} project-shape violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
