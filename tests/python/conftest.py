"""Shared fixtures: built warehouses that many tests read (built once per session).

Every build gets its own database file and dbt target path under pytest's tmp dir, so
tests never touch the developer's warehouse/ and can run beside other builds.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tsw.dbt_runner import BuildConfig, run_dbt
from tsw.paths import DEMO_SEEDS_DIR


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` over a read-only connection (never blocks or alters the build)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def query_df(db_path: Path, sql: str):
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).df()


def demo_scenario() -> dict:
    return json.loads((DEMO_SEEDS_DIR / "scenario.json").read_text())


# The two shared builds state linked suppression (layer 3, docs/privacy.md) explicitly, so
# the suite's privacy audit checks it whatever the project default; every other build
# (make demo, the nightly tests) uses the default, which is on too.
LINKED_SUPPRESSION_ON = {"linked_suppression": True}


def build(config: BuildConfig, *extra: str) -> None:
    args = ["build", *extra]
    if config.landing_dir is not None:
        args += ["--exclude", "tag:raw_demo"]
    run_dbt(args, config, stream=False)


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory) -> BuildConfig:
    """The committed demo seeds built (seed, run, dbt tests) as of the demo's as-of date."""
    root = tmp_path_factory.mktemp("demo")
    config = BuildConfig(
        db_path=root / "demo.duckdb",
        target_path=root / "target",
        as_of_date=date.fromisoformat(demo_scenario()["as_of_date"]),
        target="ci",
        extra_vars=LINKED_SUPPRESSION_ON,
    )
    build(config)
    return config


@pytest.fixture(scope="session")
def demo_db(demo_config) -> Path:
    return Path(demo_config.db_path)


@pytest.fixture(scope="session")
def landing_build(tmp_path_factory):
    """A small landing directory generated at another seed (CSV and Parquet mixed), built."""
    from tsw.generate import generate_dataset

    root = tmp_path_factory.mktemp("landing")
    landing = root / "landing"
    scenario = generate_dataset(
        landing,
        layout="landing",
        file_format="mixed",
        seed=7,
        users=400,
        days=40,
        start_date=date(2026, 3, 1),
        bad_rate=0.01,
    )
    config = BuildConfig(
        db_path=root / "landing.duckdb",
        target_path=root / "target",
        landing_dir=landing,
        as_of_date=date.fromisoformat(scenario["as_of_date"]),
        target="ci",
        extra_vars=LINKED_SUPPRESSION_ON,
    )
    build(config)
    return config, scenario
