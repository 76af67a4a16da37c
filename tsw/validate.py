"""The Great Expectations checkpoint over the analyst-facing marts (`tsw validate`).

Great Expectations' SQL datasource fails on DuckDB (duckdb-engine), so each table is read
into a pandas DataFrame over a read-only DuckDB connection and validated through GE's
pandas route: one ephemeral context, a pandas datasource with one dataframe asset per
table, one expectation suite per table, and one checkpoint run per table (a checkpoint
feeds one dataframe to its validations), all writing into one Data Docs site.

Suites (expectations derived from the spec, the metric registry and the reference seeds,
never from the data under test):

* `metrics_daily_schema`: the table's DuckDB columns and types are exactly the spec's
  Published interface.
* `metrics_daily`: keys complete and unique, metric names/units/versions from the
  registry, segment values from ref_segment_values (and `all` for columns a metric does not
  break down by), value ranges (proportions and their Wilson bounds in [0, 1], bounds
  bracketing the value, counts and parts >= 0, numerator <= denominator), small-cell
  suppression (no unsuppressed small cell; suppressed cells nulled; unsuppressable metrics
  never suppressed), one as-of date which is also the last metric day, and the row count
  equal to the zero-filled grid (registry x segment values x days).
* `fct_enforcement_actions_daily`, `fct_contact_safety_daily`: when present (otherwise a
  note): keys, ranges, parts, suppression, and the enforcement mart's actions summing to the
  published enforcement_actions totals.

`validate_database(...)` (and `run_checkpoint(database, data_docs_dir)`, the nightly job's
call) returns a `ValidationResult` (success, one outcome per expectation, notes, the Data
Docs index); `tsw validate` exits 1 when any expectation fails, so the nightly job can
block publication on it.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from tsw.paths import PROJECT_DIR, REFERENCE_SEEDS_DIR, WAREHOUSE_DIR


DEFAULT_DATA_DOCS_DIR = WAREHOUSE_DIR / "data_docs"
DATA_DOCS_SITE = "tsw_data_docs"

SEGMENT_COLUMNS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]
ALL = "all"
UNITS = ["count", "proportion", "per_10k", "per_1k", "hours", "coefficient"]

# The spec's Published interface (metrics.md): column -> accepted DuckDB types.
METRICS_DAILY_COLUMNS: dict[str, list[str]] = {
    "metric_date": ["DATE"],
    "metric_name": ["VARCHAR"],
    "metric_version": ["INTEGER"],
    "unit": ["VARCHAR"],
    **{column: ["VARCHAR"] for column in SEGMENT_COLUMNS},
    "numerator": ["DOUBLE"],
    "denominator": ["DOUBLE"],
    "value": ["DOUBLE"],
    "sample_size": ["BIGINT"],
    "ci_lower": ["DOUBLE"],
    "ci_upper": ["DOUBLE"],
    "is_final": ["BOOLEAN"],
    "is_suppressed": ["BOOLEAN"],
    "as_of_date": ["DATE"],
}
METRICS_DAILY_KEY = ["metric_name", "metric_date", *SEGMENT_COLUMNS]

PERIODIC = "metrics_periodic"
PERIOD_GRAINS = ["week", "month", "quarter", "half_year"]
METRICS_PERIODIC_KEY = ["metric_name", "period_grain", "period_start", *SEGMENT_COLUMNS]
ENFORCEMENT_MART = "fct_enforcement_actions_daily"
CONTACT_MART = "fct_contact_safety_daily"
ENFORCEMENT_KEY = ["decided_date", "region", "policy_category", "action", "detection_source"]
ENFORCEMENT_COUNTS = ["decisions", "actions", "automated_decisions", "automated_actions"]
CONTACT_KEY = ["contact_date", "recipient_age_band", "recipient_region", "sender_is_connection", "sender_age_group"]
CONTACT_COUNTS = ["first_contact_messages", "unwanted_contact_messages", "sample_size"]

# Floating-point comparisons (bounds bracketing a value, parts of a weighted proportion)
# are made on values rounded to these decimals, so rounding noise is not a failure.
VALUE_DECIMALS = 9
PARTS_DECIMALS = 6


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class Reference:
    """What the suites are derived from: the metric registry and the reference seeds."""

    metrics: list[dict[str, Any]]
    segment_values: dict[str, list[str]]
    minor_age_bands: list[str]
    small_cell_threshold: int = 50

    @classmethod
    def from_project(cls, reference_dir: Path = REFERENCE_SEEDS_DIR) -> Reference:
        metrics = [
            {
                "metric_name": row["metric_name"],
                "metric_version": int(row["metric_version"]),
                "unit": row["unit"],
                "suppression_rule": row["suppression_rule"],
                "segment_columns": [c for c in row["segment_columns"].split("|") if c],
                "is_minor_only": row["is_minor_only"].strip().lower() == "true",
            }
            for row in _read_csv(reference_dir / "metric_registry.csv")
        ]
        segment_values: dict[str, list[str]] = {}
        for row in _read_csv(reference_dir / "ref_segment_values.csv"):
            segment_values.setdefault(row["segment_column"], []).append(row["segment_value"])
        minors = [r["age_band"] for r in _read_csv(reference_dir / "ref_age_bands.csv") if r["is_minor"] == "true"]
        return cls(metrics, segment_values, minors, _small_cell_threshold())

    def metric_names(self, predicate=lambda m: True) -> list[str]:
        return [m["metric_name"] for m in self.metrics if predicate(m)]

    def values_of(self, metric: dict[str, Any], column: str) -> list[str]:
        if column == "age_band" and metric["is_minor_only"]:
            return list(self.minor_age_bands)
        return list(self.segment_values.get(column, []))

    def grid_cells_per_day(self) -> int:
        """Published cells per day: per metric, the total, each column alone, age_band x each other."""
        cells = 0
        for metric in self.metrics:
            columns = metric["segment_columns"]
            groupings: list[list[str]] = [[], *([c] for c in columns)]
            if "age_band" in columns:
                groupings += [["age_band", c] for c in columns if c != "age_band"]
            cells += sum(math.prod(len(self.values_of(metric, c)) for c in grouping) for grouping in groupings)
        return cells


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _small_cell_threshold() -> int:
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return int(project.get("vars", {}).get("small_cell_threshold", 50))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    expectation: str
    column: str | None
    success: bool
    detail: str

    def __str__(self) -> str:
        status = "ok  " if self.success else "FAIL"
        target = f"{self.column}: " if self.column else ""
        return f"{status} {self.suite}: {self.expectation} {target}{self.detail}".rstrip()


@dataclass
class ValidationResult:
    success: bool
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_docs_index: Path | None = None
    checkpoint_results: list[Any] = field(default_factory=list)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def failed_expectations(self, suite: str | None = None) -> set[str]:
        return {o.expectation for o in self.failures if suite is None or o.suite == suite}

    def summary(self) -> str:
        lines = [*(f"note: {n}" for n in self.notes), *(str(o) for o in self.failures)]
        verdict = "PASSED" if self.success else "FAILED"
        lines.append(
            f"validation {verdict}: {len(self.outcomes) - len(self.failures)}/{len(self.outcomes)} expectations met"
            + (f"; Data Docs: {self.data_docs_index}" if self.data_docs_index else "")
        )
        return "\n".join(lines)


# --------------------------------------------------------------------------- suites


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def _metrics_daily_expectations(df: pd.DataFrame, ref: Reference) -> list:
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    E = gx.expectations
    proportion = Column("unit") == "proportion"
    unsuppressed = Column("is_suppressed") == False  # noqa: E712 (a pandas query, not Python truthiness)
    suppressed = Column("is_suppressed") == True  # noqa: E712
    small_cell_metrics = ref.metric_names(lambda m: m["suppression_rule"] == "small_cell")
    unsuppressable = ref.metric_names(lambda m: m["suppression_rule"] != "small_cell")

    expectations = [
        E.ExpectTableColumnsToMatchSet(column_set=list(METRICS_DAILY_COLUMNS), exact_match=True),
        E.ExpectCompoundColumnsToBeUnique(column_list=METRICS_DAILY_KEY),
        *(E.ExpectColumnValuesToNotBeNull(column=c) for c in
          [*METRICS_DAILY_KEY, "metric_version", "unit", "is_final", "is_suppressed", "as_of_date"]),
        E.ExpectColumnValuesToNotBeNull(column="sample_size", row_condition=unsuppressed),
        E.ExpectColumnValuesToNotBeNull(column="value", row_condition=unsuppressed & (Column("unit") == "count")),
        # Registry: names, and each name's unit and version.
        E.ExpectColumnValuesToBeInSet(column="metric_name", value_set=ref.metric_names()),
        E.ExpectColumnValuesToBeInSet(column="unit", value_set=UNITS),
        # Each name with its registry unit and version (per value rather than a pair set:
        # GE checks column pairs row by row in Python, far too slow for the grid).
        *(E.ExpectColumnValuesToBeInSet(
            column="metric_name",
            value_set=ref.metric_names(lambda m, u=unit: m["unit"] == u),
            row_condition=Column("unit") == unit,
        ) for unit in UNITS),
        *(E.ExpectColumnValuesToBeInSet(
            column="metric_name",
            value_set=ref.metric_names(lambda m, v=version: m["metric_version"] == v),
            row_condition=Column("metric_version") == version,
        ) for version in sorted({m["metric_version"] for m in ref.metrics})),
        E.ExpectColumnValuesToBeInSet(
            column="metric_version", value_set=sorted({m["metric_version"] for m in ref.metrics})
        ),
        # Ranges.
        E.ExpectColumnValuesToBeBetween(column="sample_size", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="numerator", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="denominator", min_value=0),
        E.ExpectColumnValuesToBeBetween(column="value", min_value=0, row_condition=Column("unit") != "coefficient"),
        E.ExpectColumnValuesToBeBetween(
            column="value", min_value=-1, max_value=1, row_condition=Column("unit") == "coefficient"
        ),
        *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1, row_condition=proportion)
          for c in ["value", "ci_lower", "ci_upper"]),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value", column_B="ci_lower", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ci_upper", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="denominator", column_B="numerator", or_equal=True,
            ignore_row_if="either_value_is_missing", row_condition=proportion,
        ),
        # Small cells (metrics.md): never an unsuppressed small cell; suppressed cells nulled;
        # metrics without small-cell suppression never suppressed.
        E.ExpectColumnValuesToBeInSet(
            column="is_suppressed",
            value_set=[True],
            row_condition=Column("metric_name").is_in(small_cell_metrics)
            & (Column("sample_size") >= 1)
            & (Column("sample_size") < ref.small_cell_threshold),
        ),
        *(E.ExpectColumnValuesToBeNull(column=c, row_condition=suppressed)
          for c in ["numerator", "denominator", "value", "ci_lower", "ci_upper"]),
        E.ExpectColumnValuesToBeInSet(
            column="is_suppressed", value_set=[False], row_condition=Column("metric_name").is_in(unsuppressable or [""])
        ),
        E.ExpectColumnValuesToBeInSet(
            column="is_suppressed", value_set=[False], row_condition=Column("sample_size") == 0
        ),
    ]
    # Segment values: from the reference seeds, and `all` wherever a metric does not break down.
    for column in SEGMENT_COLUMNS:
        allowed = sorted({v for m in ref.metrics for v in ref.values_of(m, column)} | {ALL})
        expectations.append(E.ExpectColumnValuesToBeInSet(column=column, value_set=allowed))
        without = ref.metric_names(lambda m, c=column: c not in m["segment_columns"])
        if without:
            expectations.append(E.ExpectColumnValuesToBeInSet(
                column=column, value_set=[ALL], row_condition=Column("metric_name").is_in(without)
            ))
    minor_only = ref.metric_names(lambda m: m["is_minor_only"])
    if minor_only:
        expectations.append(E.ExpectColumnValuesToBeInSet(
            column="age_band",
            value_set=[*ref.minor_age_bands, ALL],
            row_condition=Column("metric_name").is_in(minor_only),
        ))
    # One build: one as-of date, which is the last metric day; the grid's row count.
    expectations.append(E.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1))
    expected_rows = _expected_metrics_daily_rows(df, ref)
    if expected_rows is None:
        expectations.append(E.ExpectTableRowCountToBeBetween(min_value=1))
    else:
        expectations.append(E.ExpectTableRowCountToBeBetween(min_value=expected_rows, max_value=expected_rows))
        as_of = df["as_of_date"].dropna()
        if as_of.nunique() == 1:
            # GE compares pandas timestamps with datetimes (not dates).
            last_day = datetime.combine(pd.Timestamp(as_of.iloc[0]).date(), time())
            expectations.append(
                E.ExpectColumnMaxToBeBetween(column="metric_date", min_value=last_day, max_value=last_day)
            )
    return expectations


def _metrics_periodic_expectations(df: pd.DataFrame, daily: pd.DataFrame | None, ref: Reference) -> list:
    """metrics_periodic: the row rules of metrics_daily, its own columns and key, every period of the daily range."""
    E = _gx().expectations
    table_wide = (E.ExpectTableColumnsToMatchSet, E.ExpectCompoundColumnsToBeUnique, E.ExpectTableRowCountToBeBetween,
                  E.ExpectColumnMaxToBeBetween)
    rows = [e for e in _metrics_daily_expectations(df.iloc[0:0], ref) if not isinstance(e, table_wide)]
    columns = [*METRICS_DAILY_COLUMNS, "period_grain", "period_start", "period_end", "is_partial_period"]
    expectations = [
        *rows,
        E.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True),
        E.ExpectCompoundColumnsToBeUnique(column_list=METRICS_PERIODIC_KEY),
        E.ExpectColumnDistinctValuesToEqualSet(column="period_grain", value_set=PERIOD_GRAINS),
        *(E.ExpectColumnValuesToNotBeNull(column=c) for c in ["period_end", "is_partial_period"]),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="period_end", column_B="period_start", or_equal=True),
    ]
    periods = _expected_periods(daily)
    if periods is not None:
        rows_expected = ref.grid_cells_per_day() * periods
        expectations.append(E.ExpectTableRowCountToBeBetween(min_value=rows_expected, max_value=rows_expected))
    return expectations


def _expected_periods(daily: pd.DataFrame | None) -> int | None:
    """Calendar periods (ISO weeks, months, quarters, half-years) touching metrics_daily's day range."""
    if daily is None or "metric_date" not in daily or daily["metric_date"].dropna().empty:
        return None
    days = pd.date_range(pd.to_datetime(daily["metric_date"]).min(), pd.to_datetime(daily["metric_date"]).max())
    return (len(set(zip(days.isocalendar().year, days.isocalendar().week))) + len(set(days.to_period("M")))
            + len(set(days.to_period("Q"))) + len(set(zip(days.year, (days.month - 1) // 6))))


def _expected_metrics_daily_rows(df: pd.DataFrame, ref: Reference) -> int | None:
    """The zero-filled grid's size: cells per day x days from the first to the last metric day."""
    if "metric_date" not in df or df["metric_date"].dropna().empty:
        return None
    dates = pd.to_datetime(df["metric_date"].dropna())
    days = (dates.max() - dates.min()).days + 1
    return ref.grid_cells_per_day() * days


def _metrics_daily_schema_expectations(ref: Reference) -> list:
    E = _gx().expectations
    return [
        E.ExpectColumnDistinctValuesToEqualSet(column="column_name", value_set=list(METRICS_DAILY_COLUMNS)),
        E.ExpectColumnValuesToBeUnique(column="column_name"),
        E.ExpectColumnPairValuesToBeInSet(
            column_A="column_name",
            column_B="data_type",
            value_pairs_set=[(c, t) for c, types in METRICS_DAILY_COLUMNS.items() for t in types],
        ),
    ]


def _enforcement_expectations(df: pd.DataFrame, ref: Reference, published_actions: float | None) -> list:
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    E = gx.expectations
    regions = [*ref.segment_values.get("region", []), ALL]
    expectations = [
        E.ExpectTableColumnsToMatchSet(column_set=[*ENFORCEMENT_KEY, *ENFORCEMENT_COUNTS, "is_final", "as_of_date"],
                                       exact_match=False),
        E.ExpectCompoundColumnsToBeUnique(column_list=ENFORCEMENT_KEY),
        *(E.ExpectColumnValuesToNotBeNull(column=c) for c in [*ENFORCEMENT_KEY, *ENFORCEMENT_COUNTS, "is_final"]),
        *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in ENFORCEMENT_COUNTS),
        E.ExpectColumnValuesToBeInSet(column="region", value_set=regions),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="decisions", column_B="actions", or_equal=True),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="actions", column_B="automated_actions", or_equal=True),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="decisions", column_B="automated_decisions", or_equal=True),
        E.ExpectColumnValuesToBeInSet(column="actions", value_set=[0], row_condition=Column("action") == "no_action"),
        E.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1),
    ]
    if published_actions is not None:
        # Same decisions, same knowledge cut: the mart's actions add up to the published totals.
        expectations.append(E.ExpectColumnSumToBeBetween(
            column="actions", min_value=published_actions, max_value=published_actions
        ))
    return expectations


def _contact_expectations(ref: Reference) -> list:
    gx = _gx()
    from great_expectations.expectations.row_conditions import Column

    E = gx.expectations
    suppressed = Column("is_suppressed") == True  # noqa: E712
    return [
        E.ExpectTableColumnsToMatchSet(
            column_set=[*CONTACT_KEY, *CONTACT_COUNTS, "unwanted_contact_rate", "ci_lower", "ci_upper",
                        "is_final", "is_suppressed", "as_of_date"],
            exact_match=False,
        ),
        E.ExpectCompoundColumnsToBeUnique(column_list=CONTACT_KEY),
        *(E.ExpectColumnValuesToNotBeNull(column=c) for c in [*CONTACT_KEY, "is_final", "is_suppressed"]),
        *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in CONTACT_COUNTS),
        *(E.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
          for c in ["unwanted_contact_rate", "ci_lower", "ci_upper"]),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="first_contact_messages", column_B="unwanted_contact_messages", or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="unwanted_contact_rate", column_B="ci_lower", or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ci_upper", column_B="unwanted_contact_rate", or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        E.ExpectColumnValuesToBeInSet(column="recipient_region", value_set=ref.segment_values.get("region", [])),
        E.ExpectColumnValuesToBeInSet(column="recipient_age_band", value_set=ref.segment_values.get("age_band", [])),
        E.ExpectColumnValuesToBeInSet(column="sender_age_group", value_set=["adult", "minor", "unknown"]),
        E.ExpectColumnValuesToNotBeInSet(
            column="first_contact_messages", value_set=list(range(1, ref.small_cell_threshold))
        ),
        *(E.ExpectColumnValuesToBeNull(column=c, row_condition=suppressed)
          for c in [*CONTACT_COUNTS, "unwanted_contact_rate", "ci_lower", "ci_upper"]),
    ]


# --------------------------------------------------------------------------- loading


def _find_table(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ? "
        "order by table_schema = 'main' desc, table_schema",
        [name],
    ).fetchall()
    return f'"{rows[0][0]}"."{name}"' if rows else None


def load_tables(database: Path) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """(tables, schemas) of the validated marts present in `database`, over a read-only connection."""
    tables: dict[str, pd.DataFrame] = {}
    schemas: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for name in ["metrics_daily", PERIODIC, ENFORCEMENT_MART, CONTACT_MART]:
            relation = _find_table(con, name)
            if relation is None:
                continue
            tables[name] = con.execute(f"select * from {relation}").df()
            schemas[name] = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = ? and table_schema = ? order by ordinal_position",
                [name, relation.split(".")[0].strip('"')],
            ).df()
    return tables, schemas


# --------------------------------------------------------------------------- checkpoint


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """The frame GE sees: floats rounded so that rounding noise is not a failure."""
    rounding = {c: VALUE_DECIMALS for c in ["value", "ci_lower", "ci_upper", "unwanted_contact_rate"] if c in df}
    rounding |= {c: PARTS_DECIMALS for c in ["numerator", "denominator"] if c in df}
    return df.round(rounding)


def validate_frames(
    tables: dict[str, pd.DataFrame],
    schemas: dict[str, pd.DataFrame] | None = None,
    *,
    reference: Reference | None = None,
    data_docs_dir: Path | None = DEFAULT_DATA_DOCS_DIR,
) -> ValidationResult:
    """Run the checkpoint over already-loaded tables (name -> DataFrame)."""
    ref = reference or Reference.from_project()
    schemas = schemas or {}
    notes: list[str] = []
    runs: list[tuple[str, pd.DataFrame, list]] = []

    metrics = tables.get("metrics_daily")
    if metrics is None:
        notes.append("metrics_daily is missing: nothing to publish")
    else:
        frame = _prepare(metrics)
        suite = _metrics_daily_expectations(metrics, ref)
        runs.append(("metrics_daily", frame, suite))
        if "metrics_daily" in schemas:
            runs.append(("metrics_daily_schema", schemas["metrics_daily"], _metrics_daily_schema_expectations(ref)))

    periodic = tables.get(PERIODIC)
    if periodic is not None:
        runs.append((PERIODIC, _prepare(periodic), _metrics_periodic_expectations(periodic, metrics, ref)))

    enforcement = tables.get(ENFORCEMENT_MART)
    if enforcement is None:
        notes.append(f"{ENFORCEMENT_MART} is absent from the database: not validated")
    else:
        published = None
        if metrics is not None and {"metric_name", *SEGMENT_COLUMNS, "value"} <= set(metrics.columns):
            total_rows = metrics[metrics["metric_name"] == "enforcement_actions"]
            for column in SEGMENT_COLUMNS:
                total_rows = total_rows[total_rows[column] == ALL]
            if not total_rows.empty and total_rows["value"].notna().all():
                published = float(total_rows["value"].sum())
        runs.append((ENFORCEMENT_MART, _prepare(enforcement), _enforcement_expectations(enforcement, ref, published)))

    contact = tables.get(CONTACT_MART)
    if contact is None:
        notes.append(f"{CONTACT_MART} is absent from the database: not validated")
    else:
        runs.append((CONTACT_MART, _prepare(contact), _contact_expectations(ref)))

    result = _run_checkpoints(runs, data_docs_dir)
    result.notes = notes + result.notes
    if metrics is None:
        result.success = False
    return result


def _run_checkpoints(runs: list[tuple[str, pd.DataFrame, list]], data_docs_dir: Path | None) -> ValidationResult:
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    actions = []
    if data_docs_dir is not None:
        data_docs_dir = Path(data_docs_dir).resolve()
        data_docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name=DATA_DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(data_docs_dir)},
            },
        )
    datasource = context.data_sources.add_pandas("tsw_marts")
    result = ValidationResult(success=True)
    for name, frame, expectations in runs:
        batch = datasource.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("whole_table")
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=f"tsw_{name}", validation_definitions=[definition], actions=actions)
        )
        checkpoint_result = checkpoint.run(batch_parameters={"dataframe": frame})
        result.checkpoint_results.append(checkpoint_result)
        result.success = result.success and bool(checkpoint_result.success)
        for validation in checkpoint_result.run_results.values():
            for outcome in validation.results:
                result.outcomes.append(_outcome(name, outcome))
    if data_docs_dir is not None:
        # One build of the site after every run (an UpdateDataDocsAction per checkpoint
        # would re-render the whole site once per table).
        context.build_data_docs(site_names=[DATA_DOCS_SITE])
        from tsw.ge_offline import make_offline  # local assets instead of CDNs: readable offline

        make_offline(data_docs_dir)
        index = data_docs_dir / "index.html"
        result.data_docs_index = index if index.exists() else None
    return result


def _outcome(suite: str, outcome: Any) -> ExpectationOutcome:
    config = outcome.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or (
        f"{kwargs['column_A']}, {kwargs['column_B']}" if "column_A" in kwargs else None
    )
    details = outcome.result or {}
    parts = []
    if details.get("unexpected_count"):
        parts.append(f"{details['unexpected_count']} unexpected")
        sample = details.get("partial_unexpected_list") or []
        if sample:
            parts.append(f"e.g. {sample[:3]}")
    if "observed_value" in details and not outcome.success:
        observed = details["observed_value"]
        parts.append(f"observed {observed if len(str(observed)) < 200 else str(observed)[:200] + '...'}")
    if outcome.exception_info and outcome.exception_info.get("raised_exception"):
        parts.append(f"error: {str(outcome.exception_info.get('exception_message'))[:200]}")
    if kwargs.get("row_condition") is not None:
        parts.append(f"where {_condition_text(kwargs['row_condition'])}")
    return ExpectationOutcome(suite, config.type, column, bool(outcome.success), "; ".join(parts))


def _condition_text(condition: Any) -> str:
    """A row condition (GE's serialized Condition) as a short readable predicate."""
    if isinstance(condition, dict):
        if condition.get("type") in ("and", "or"):
            return f" {condition['type']} ".join(_condition_text(c) for c in condition.get("conditions", []))
        if "column" in condition and "operator" in condition:
            parameter = condition.get("parameter")
            if isinstance(parameter, list) and len(parameter) > 4:
                parameter = f"[{', '.join(map(str, parameter[:4]))}, ... ({len(parameter)} values)]"
            return f"{condition['column'].get('name')} {condition['operator']} {parameter}"
    return str(condition)


def validate_database(
    database: Path,
    *,
    data_docs_dir: Path | None = DEFAULT_DATA_DOCS_DIR,
    reference: Reference | None = None,
) -> ValidationResult:
    """Validate the analyst-facing marts of a built DuckDB file (opened read-only)."""
    tables, schemas = load_tables(Path(database))
    return validate_frames(tables, schemas, reference=reference, data_docs_dir=data_docs_dir)


def run_checkpoint(database: Path, data_docs_dir: Path | None = DEFAULT_DATA_DOCS_DIR) -> ValidationResult:
    """The nightly job's entry point: validate `database`, write Data Docs to `data_docs_dir`."""
    return validate_database(database, data_docs_dir=data_docs_dir)


# --------------------------------------------------------------------------- command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", type=Path, default=WAREHOUSE_DIR / "work.duckdb",
        help="The built DuckDB file to validate (opened read-only). Default: warehouse/work.duckdb.",
    )
    parser.add_argument(
        "--data-docs", type=Path, default=DEFAULT_DATA_DOCS_DIR,
        help="Folder the Great Expectations Data Docs (HTML) are written to. Default: warehouse/data_docs/.",
    )
    parser.add_argument("--no-data-docs", action="store_true", help="Do not write Data Docs.")


def run(args: argparse.Namespace) -> int:
    database = Path(args.database)
    if not database.exists():
        print(f"tsw validate: no database at {database}", file=sys.stderr)
        return 2
    result = validate_database(database, data_docs_dir=None if args.no_data_docs else args.data_docs)
    print(result.summary())
    return 0 if result.success else 1
