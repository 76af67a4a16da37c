"""The dbt side of linked suppression: shared by the daily and periodic Python models.

`linked_suppression(cells, registry, segment_values, age_bands, group_keys)` takes the
suppressed cells (unsuppressed parts, is_suppressed, can_be_suppressed) and the reference
seeds as DataFrames (the models call `dbt.ref` themselves: dbt reads their dependencies
from those literal calls), runs `tsw.privacy.protect` and returns the cells it adds, so
metrics_daily / metrics_periodic suppress them too.
"""

from __future__ import annotations

import pandas as pd

from tsw import privacy

CELL_KEY = ["metric_name", *privacy.SEGMENT_COLUMNS]


def linked_suppression(
    cells: pd.DataFrame,
    registry: pd.DataFrame,
    segment_values: pd.DataFrame,
    age_bands: pd.DataFrame,
    group_keys: list[str],
) -> pd.DataFrame:
    key = [*group_keys, *CELL_KEY]
    cells = cells[[*key, "numerator", "denominator", "sample_size", "is_suppressed", "can_be_suppressed"]]
    shapes = privacy.metric_shapes(registry, segment_values, age_bands)
    # Only days (periods) with a suppressed user-based cell can leak.
    reviewed = cells.groupby(group_keys)["is_suppressed"].transform("any")
    protected = privacy.protect(cells[reviewed], shapes, group_keys)
    added = protected[protected["is_linked_suppression"]][key].copy()
    added["is_linked_suppression"] = True
    for column in CELL_KEY + [k for k in group_keys if k != "metric_date" and k != "period_start"]:
        added[column] = added[column].astype("string")
    return added.astype({"is_linked_suppression": "bool"}) if len(added) else _empty(cells, key)


def _empty(cells: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    empty = cells.head(0)[key].copy()
    empty["is_linked_suppression"] = pd.Series(dtype="bool")
    return empty
