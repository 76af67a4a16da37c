"""Filesystem locations shared by every command (project root, default warehouse files)."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROFILES_DIR = PROJECT_DIR / "profiles"
SEEDS_DIR = PROJECT_DIR / "seeds"
DEMO_SEEDS_DIR = SEEDS_DIR / "demo"
REFERENCE_SEEDS_DIR = SEEDS_DIR / "reference"
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "platform" / "_platform__sources.yml"
METRIC_REGISTRY_CSV = REFERENCE_SEEDS_DIR / "metric_registry.csv"
DOCS_DIR = PROJECT_DIR / "docs"

# Default warehouse layout (overridable on every command).
WAREHOUSE_DIR = PROJECT_DIR / "warehouse"
WORK_DB = WAREHOUSE_DIR / "work.duckdb"          # the database dbt builds into
SERVING_DIR = WAREHOUSE_DIR / "serving"          # what readers open (read-only)
