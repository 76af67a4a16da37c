"""The same dbt project on Spark (issue 16): the committed demo seeds built on DuckDB and on
local Spark (dbt-spark session method, `make setup-spark`) with the same vars and as-of
date give the same published metrics, cell by cell.

`make test-spark` runs it (marker `spark`); `make test` does not: the Spark build of the
demo takes minutes on 2 cores and needs the ~450 MB PySpark of requirements-spark.lock.
Spark writes its tables as Parquet under its warehouse directory; they are read here with
DuckDB's Parquet reader, never collected through Spark.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import demo_scenario
from tsw.dbt_runner import BuildConfig, run_dbt

pytest.importorskip("dbt.adapters.spark", reason="the Spark extras are not installed: make setup-spark")

pytestmark = pytest.mark.spark

# Relative tolerance on doubles: the engines sum and divide in different orders, so the last
# bits of a sum of doubles may differ (docs/spec_decisions.md, 16.x).
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12

SEGMENT_COLUMNS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]
DAILY_KEY = ["metric_name", "metric_date", *SEGMENT_COLUMNS]
PERIODIC_KEY = ["metric_name", "period_grain", "period_start", *SEGMENT_COLUMNS]
TABLE_KEYS = {
    "metrics_daily": DAILY_KEY,
    "metrics_periodic": PERIODIC_KEY,
    # Every metric cell before suppression (restricted marts): the metric units' values,
    # intervals, sample sizes and finality, upstream of the suppression.
    "fct_metrics_daily_unsuppressed": DAILY_KEY,
    "fct_metrics_periodic_unsuppressed": PERIODIC_KEY,
}
PUBLISHED_SELECTOR = ["+metrics_daily", "+metrics_periodic"]
# Spark builds up to the unsuppressed cells: the complementary suppression (a recursive CTE
# with window functions) does not run on Spark yet (docs/spec_decisions.md, 16.8).
SPARK_SELECTOR = ["+fct_metrics_daily_unsuppressed", "+fct_metrics_periodic_unsuppressed"]
NOT_ON_SPARK_YET = {"metrics_daily", "metrics_periodic"}


def spark_table_dir(warehouse: Path, table: str) -> Path:
    return warehouse / "tsw.db" / table


def cell_differences(duckdb_path: Path, warehouse: Path, table: str) -> tuple[int, int, list[tuple]]:
    """(cells compared, differing cells, a sample of differences) of one table on both engines.

    Rows are matched on the table's key; a row on one engine only counts every one of its
    value cells as differing. Doubles match within the relative tolerance, other types exactly
    (null only matches null).
    """
    key = TABLE_KEYS[table]
    con = duckdb.connect()
    # Spark writes its (session-zone UTC) timestamps as instants: read them back in UTC.
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{duckdb_path}' as duck (read_only)")
    parquet_glob = str(spark_table_dir(warehouse, table) / "*.parquet")
    con.execute(f"create view spark_rows as select * from read_parquet('{parquet_glob}')")
    columns = {name: data_type for name, data_type, *_ in con.execute(f"describe duck.{table}").fetchall()}
    spark_columns = {name for name, *_ in con.execute("describe spark_rows").fetchall()}
    missing = sorted(set(columns) - spark_columns)
    assert not missing, f"{table} on Spark lacks columns {missing}"
    values = [name for name in columns if name not in key]
    join = " and ".join(f"d.{column} is not distinct from s.{column}" for column in key)
    checks = []
    for column in values:
        if columns[column] == "DOUBLE":
            checks.append(
                f"not (d.{column} is null and s.{column} is null or "
                f"abs(d.{column} - s.{column}) <= greatest({ABSOLUTE_TOLERANCE}, "
                f"{RELATIVE_TOLERANCE} * greatest(abs(d.{column}), abs(s.{column}))))"
            )
        else:
            checks.append(f"d.{column} is distinct from cast(s.{column} as {columns[column]})")
    differs = ", ".join(
        f"coalesce({check}, true) as diff__{column}" for check, column in zip(checks, values, strict=True)
    )
    con.execute(
        f"""
        create view compared as
        select
            {", ".join(f"coalesce(d.{column}, s.{column}) as {column}" for column in key)},
            d.metric_name is null as only_spark,
            s.metric_name is null as only_duckdb,
            {differs},
            {", ".join(f"d.{column} as duckdb__{column}, s.{column} as spark__{column}" for column in values)}
        from duck.{table} as d
        full outer join spark_rows as s on {join}
        """
    )
    diff_sum = " + ".join(f"cast(diff__{column} as integer)" for column in values)
    rows, differing = con.execute(f"select count(*), coalesce(sum({diff_sum}), 0) from compared").fetchone()
    sample = con.execute(
        f"select * from compared where {' or '.join(f'diff__{column}' for column in values)} limit 5"
    ).fetchall()
    return rows * len(values), int(differing), sample


@pytest.fixture(scope="module")
def parity_builds(tmp_path_factory) -> tuple[Path, Path]:
    """The demo seeds built on DuckDB (the published tables and their parents, with their
    tests) and on Spark (seeds and the models up to the unsuppressed cells), both as of the
    demo's as-of date."""
    root = tmp_path_factory.mktemp("spark_parity")
    as_of = date.fromisoformat(demo_scenario()["as_of_date"])
    # Layer 3 (two Python models) cannot run on dbt-spark's session method: both engines
    # build layers 1-2 only (docs/spec_decisions.md, 16.6).
    layers_one_two = {"linked_suppression": False}
    duck = BuildConfig(db_path=root / "duck.duckdb", target_path=root / "target_duck", as_of_date=as_of, target="ci",
                       extra_vars=layers_one_two)
    run_dbt(["build", "--select", *PUBLISHED_SELECTOR], duck, stream=False)
    warehouse = root / "spark_warehouse"
    spark = BuildConfig(
        db_path=root / "spark_unused.duckdb", target_path=root / "target_spark", as_of_date=as_of, target="spark",
        extra_vars=layers_one_two,
    )
    previous = os.environ.get("TSW_SPARK_WAREHOUSE")
    os.environ["TSW_SPARK_WAREHOUSE"] = str(warehouse)
    try:
        run_dbt(["seed"], spark, stream=False)
        run_dbt(["run", "--select", *SPARK_SELECTOR], spark, stream=False)
    finally:
        if previous is None:
            os.environ.pop("TSW_SPARK_WAREHOUSE", None)
        else:
            os.environ["TSW_SPARK_WAREHOUSE"] = previous
    return duck.db_path, warehouse


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(
            table,
            marks=pytest.mark.xfail(
                strict=True, reason="complementary suppression not on Spark yet (spec decision 16.8)"
            ),
        )
        if table in NOT_ON_SPARK_YET
        else table
        for table in sorted(TABLE_KEYS)
    ],
)
def test_metrics_equal_on_duckdb_and_spark(parity_builds, table):
    duckdb_path, warehouse = parity_builds
    assert spark_table_dir(warehouse, table).is_dir(), f"{table} was not built on Spark"
    cells, differing, sample = cell_differences(duckdb_path, warehouse, table)
    assert cells > 0
    assert differing == 0, f"{table}: {differing} of {cells} cells differ, e.g. {sample}"

