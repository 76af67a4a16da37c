"""The dbt side of linked suppression: shared by the daily and periodic Python models.

`linked_suppression(cells, registry, segment_values, age_bands, group_keys)` takes the
suppressed cells (unsuppressed parts, is_suppressed, can_be_suppressed) and the reference
seeds as DataFrames (the models call `dbt.ref` themselves: dbt reads their dependencies
from those literal calls), runs `tsw.privacy.protect` and returns the cells it adds
(`is_linked_suppression`), so metrics_daily / metrics_periodic suppress them too, and
the suppressed cells it could not protect (`unprotectable`: a dbt test fails on any).
"""

from __future__ import annotations

import pandas as pd

from tsw import privacy

CELL_KEY = ["metric_name", *privacy.SEGMENT_COLUMNS]
SIBLING_KEY = ["grouping_name", *privacy.SIBLING_COLUMNS]  # layer 2's sibling sets


def linked_suppression(
    cells: pd.DataFrame,
    registry: pd.DataFrame,
    segment_values: pd.DataFrame,
    age_bands: pd.DataFrame,
    group_keys: list[str],
) -> pd.DataFrame:
    key = [*group_keys, *CELL_KEY]
    cells = cells[[
        *key, "numerator", "denominator", "sample_size", "is_suppressed", "can_be_suppressed",
        "suppression_rule", *SIBLING_KEY,
    ]]
    shapes = privacy.metric_shapes(registry, segment_values, age_bands)
    # Only days (periods) with a suppressed user-based cell can leak.
    reviewed = cells.groupby(group_keys)["is_suppressed"].transform("any")
    protected = privacy.protect(cells[reviewed], shapes, group_keys)
    flagged = protected[protected["is_linked_suppression"] | protected["unprotectable"]]
    out = flagged[[*key, "is_linked_suppression", "unprotectable"]].copy()
    for column in CELL_KEY + [k for k in group_keys if k != "metric_date" and k != "period_start"]:
        out[column] = out[column].astype("string")
    return out.astype({"is_linked_suppression": "bool", "unprotectable": "bool"}) if len(out) else _empty(cells, key)


def _empty(cells: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    empty = cells.head(0)[key].copy()
    empty["is_linked_suppression"] = pd.Series(dtype="bool")
    empty["unprotectable"] = pd.Series(dtype="bool")
    return empty
