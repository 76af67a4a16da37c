"""An independent computation of the exposure metric family, for tests only.

Written from metrics.md and docs/architecture.md ("Knowledge time") directly in pandas,
without reading any exposure model: it starts from the staged tables
(stg_platform__*), the appeal copies of base_platform__appeals, the point-in-time
segments of int_user_day_segments and the metric registry, and recomputes every cell of
the requested days, the way an analyst would by hand: filter each table by the metric
day's finalization instant, attribute, then group. Distinct users are counted with
pandas' nunique per grouping (the slow, obviously-correct way), not summed from
user-day rows as the models do.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

# The metric units' day rows (int_metric_values, period_grain day) with their day as metric_date.
UNIT_DAY_ROWS = (
    "(select * exclude (period_grain, period_start), period_start as metric_date"
    " from int_metric_values where period_grain = 'day') as unit_rows"
)


EXPOSURE_METRICS = [
    "active_users",
    "impressions",
    "violating_view_rate",
    "actioned_content_view_rate",
    "minor_age_restricted_exposure_rate",
    "reports_per_10k_active_users",
]
SEGMENT_COLUMNS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]
KEY = ["metric_name", "metric_date", *SEGMENT_COLUMNS]
ACTIONED = {"remove", "restrict_visibility", "age_restrict"}
MINOR_BANDS = {"under_13", "13_15", "16_17"}


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def load_inputs(db_path: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {
            "impressions": _frame(con, "select * from stg_platform__impressions"),
            "labels": _frame(con, "select * from stg_platform__prevalence_labels"),
            "decisions": _frame(con, "select * from stg_platform__moderation_decisions"),
            "reports": _frame(con, "select * from stg_platform__user_reports"),
            "appeal_copies": _frame(
                con, "select * from base_platform__appeals where reject_reason is null"
            ),
            "segments": _frame(
                con,
                """
                select user_id, cast(segment_date as timestamp) as segment_date, age_band, region, plan,
                    country_code, is_minor
                from int_user_day_segments
                """,
            ),
            "registry": _frame(con, "select * from metric_registry"),
            "segment_values": _frame(con, "select * from ref_segment_values"),
        }


def groupings(columns: list[str]) -> list[tuple[str, ...]]:
    """metrics.md: the total, each column alone, age_band crossed with each other column."""
    sets: list[tuple[str, ...]] = [()]
    sets += [(column,) for column in columns]
    if "age_band" in columns:
        sets += [("age_band", column) for column in columns if column != "age_band"]
    return sets


def cutoff(day: date, maturity_days: int) -> datetime:
    return datetime.combine(day + timedelta(days=int(maturity_days) + 1), datetime.min.time())


def _with_segments(frame: pd.DataFrame, user_column: str, segments: pd.DataFrame) -> pd.DataFrame:
    merged = frame.merge(
        segments,
        left_on=[user_column, "day"],
        right_on=["user_id", "segment_date"],
        how="left",
        suffixes=("", "_segment"),
    )
    for column in ["age_band", "region", "plan"]:
        merged[column] = merged[column].fillna("unknown")
    merged["is_minor"] = merged["is_minor"].fillna(False).astype(bool)
    return merged


def _rows(metric: str, day: date, grouping: tuple[str, ...], table: pd.DataFrame) -> pd.DataFrame:
    """Attach metric, day and 'all' for every segment column not in the grouping."""
    table = table.copy()
    table["metric_name"] = metric
    table["metric_date"] = pd.Timestamp(day)
    for column in SEGMENT_COLUMNS:
        if column not in grouping:
            table[column] = "all"
    return table


def _group(frame: pd.DataFrame, grouping: tuple[str, ...], **aggregations) -> pd.DataFrame:
    if grouping:
        return frame.groupby(list(grouping), dropna=False).agg(**aggregations).reset_index()
    if frame.empty:
        return pd.DataFrame(columns=list(aggregations))
    return frame.groupby(lambda _: 0).agg(**aggregations).reset_index(drop=True)


def _known_impressions(inputs, day: date, maturity: int) -> pd.DataFrame:
    impressions = inputs["impressions"]
    known = impressions[
        (impressions["occurred_at"].dt.date == day) & (impressions["ingested_at"] < cutoff(day, maturity))
    ].copy()
    known["day"] = pd.Timestamp(day)
    return _with_segments(known, "user_id", inputs["segments"])


def _appeal_lift_times(inputs, at: datetime) -> dict[str, pd.Timestamp]:
    """decision_id -> earliest resolved_at of an appeal whose latest copy known at `at` is overturned."""
    copies = inputs["appeal_copies"]
    copies = copies[copies["ingested_at"] < at]
    latest = copies.sort_values(["appeal_id", "ingested_at", "dedup_rank"], ascending=[True, False, True])
    latest = latest.drop_duplicates("appeal_id")
    overturned = latest[(latest["outcome"] == "overturned") & latest["resolved_at"].notna()]
    return overturned.groupby("decision_id")["resolved_at"].min().to_dict()


def metric_cells(inputs: dict[str, pd.DataFrame], metric: str, day: date) -> pd.DataFrame:
    registry = inputs["registry"].set_index("metric_name")
    maturity = int(registry.loc[metric, "maturity_days"])
    columns = registry.loc[metric, "segment_columns"].split("|")
    at = cutoff(day, maturity)
    out: list[pd.DataFrame] = []

    if metric in ("active_users", "impressions"):
        known = _known_impressions(inputs, day, maturity)
        for grouping in groupings(columns):
            if metric == "active_users":
                table = _group(known, grouping, numerator=("user_id", "nunique"))
            else:
                table = _group(known, grouping, numerator=("event_id", "count"))
            table["sample_size"] = table["numerator"]
            out.append(_rows(metric, day, grouping, table))

    elif metric == "actioned_content_view_rate":
        known = _known_impressions(inputs, day, maturity)
        decisions = inputs["decisions"]
        actions = decisions[
            (decisions["target_type"] == "content")
            & decisions["action"].isin(ACTIONED)
            & (decisions["ingested_at"] < at)
        ][["target_id", "decided_at"]]
        pairs = known[["event_id", "content_id", "occurred_at"]].merge(
            actions, left_on="content_id", right_on="target_id"
        )
        hit = pairs[
            (pairs["decided_at"] >= pairs["occurred_at"])
            & (pairs["decided_at"] <= pairs["occurred_at"] + pd.Timedelta(hours=168))
        ]
        known["y"] = known["event_id"].isin(set(hit["event_id"])).astype(float)
        for grouping in groupings(columns):
            table = _group(known, grouping, numerator=("y", "sum"), denominator=("y", "count"))
            table["sample_size"] = table["denominator"]
            out.append(_rows(metric, day, grouping, table))

    elif metric == "minor_age_restricted_exposure_rate":
        known = _known_impressions(inputs, day, maturity)
        known = known[known["is_minor"]].copy()
        decisions = inputs["decisions"]
        restrictions = decisions[
            (decisions["target_type"] == "content")
            & (decisions["action"] == "age_restrict")
            & (decisions["ingested_at"] < at)
        ][["decision_id", "target_id", "decided_at", "territorial_scope"]].copy()
        lifted = _appeal_lift_times(inputs, at)
        restrictions["lifted_at"] = pd.to_datetime(restrictions["decision_id"].map(lifted))
        pairs = known[["event_id", "content_id", "occurred_at", "country_code"]].merge(
            restrictions, left_on="content_id", right_on="target_id"
        )

        scopes = pairs["territorial_scope"].astype(str).str.strip()
        listed = [
            isinstance(country, str) and country.upper() in {code.strip().upper() for code in scope.split("|")}
            for scope, country in zip(scopes, pairs["country_code"])
        ]
        in_force = (
            (pairs["decided_at"] <= pairs["occurred_at"])
            & ~(pairs["lifted_at"].notna() & (pairs["lifted_at"] <= pairs["occurred_at"]))
            & ((scopes.str.lower() == "global") | pd.Series(listed, index=pairs.index, dtype=bool))
        )
        exposed = set(pairs.loc[in_force, "event_id"])
        known["y"] = known["event_id"].isin(exposed).astype(float)
        for grouping in groupings(columns):
            table = _group(known, grouping, numerator=("y", "sum"), denominator=("y", "count"))
            table["sample_size"] = table["denominator"]
            out.append(_rows(metric, day, grouping, table))

    elif metric == "violating_view_rate":
        known = _known_impressions(inputs, day, maturity)
        labels = inputs["labels"]
        labels = labels[labels["ingested_at"] < at]
        labels = labels[labels["event_id"].isin(set(known["event_id"]))]
        chosen = labels.sort_values(["event_id", "labeled_at", "label_id"], ascending=[True, False, False])
        chosen = chosen.drop_duplicates("event_id")
        labeled = known.merge(
            chosen[["event_id", "sampling_rate", "is_violating", "policy_category"]], on="event_id"
        )
        labeled["w"] = 1.0 / labeled["sampling_rate"]
        labeled["w2"] = labeled["w"] ** 2
        labeled["wy"] = labeled["w"] * labeled["is_violating"].astype(float)
        labeled["category"] = labeled["policy_category"].fillna("unknown")
        categories = inputs["segment_values"]
        categories = categories[categories["segment_column"] == "policy_category"]["segment_value"].tolist()
        for grouping in groupings(columns):
            cell = tuple(column for column in grouping if column != "policy_category")
            cells = _group(
                labeled,
                cell,
                numerator=("wy", "sum"),
                denominator=("w", "sum"),
                sample_size=("w", "count"),
                sum_weight_squared=("w2", "sum"),
            )
            if "policy_category" in grouping:
                rows = []
                for category in categories:
                    violating = labeled[labeled["is_violating"] & (labeled["category"] == category)]
                    numerators = _group(violating, cell, numerator=("w", "sum"))
                    table = cells.drop(columns=["numerator"])
                    table = table.merge(numerators, on=list(cell), how="left") if cell else table.assign(
                        numerator=float(numerators["numerator"].sum()) if len(numerators) else 0.0
                    )
                    table["numerator"] = table["numerator"].fillna(0.0)
                    table["policy_category"] = category
                    rows.append(table)
                table = pd.concat(rows, ignore_index=True)
            else:
                table = cells
            out.append(_rows(metric, day, grouping, table))

    elif metric == "reports_per_10k_active_users":
        known = _known_impressions(inputs, day, maturity)
        reports = inputs["reports"]
        reports = reports[
            (reports["reported_at"].dt.date == day) & (reports["ingested_at"] < at)
        ].copy()
        reports["day"] = pd.Timestamp(day)
        reports = _with_segments(reports, "reporter_id", inputs["segments"])
        surfaces = inputs["segment_values"]
        surfaces = surfaces[surfaces["segment_column"] == "surface"]["segment_value"].tolist()
        for grouping in groupings(columns):
            cell = tuple(column for column in grouping if column != "surface")
            active = _group(known, cell, denominator=("user_id", "nunique"))
            counted = _group(reports, grouping, numerator=("report_id", "count"))
            if "surface" in grouping:
                if cell:
                    base = active.merge(pd.DataFrame({"surface": surfaces}), how="cross")
                else:
                    base = pd.DataFrame({"surface": surfaces}).assign(
                        denominator=float(active["denominator"].sum()) if len(active) else 0.0
                    )
            else:
                base = active
            keys = list(grouping)
            table = base.merge(counted, on=keys, how="outer") if keys else pd.DataFrame(
                {
                    "denominator": [float(active["denominator"].sum()) if len(active) else 0.0],
                    "numerator": [float(counted["numerator"].sum()) if len(counted) else 0.0],
                }
            )
            table["numerator"] = table["numerator"].fillna(0.0)
            table["denominator"] = table["denominator"].fillna(0.0)
            table["sample_size"] = table["denominator"]
            out.append(_rows(metric, day, grouping, table))

    else:
        raise ValueError(metric)

    frames = [frame for frame in out if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=[*KEY, "numerator", "denominator", "sample_size", "sum_weight_squared"])
    result = pd.concat(frames, ignore_index=True)
    for column in ["denominator", "sum_weight_squared"]:
        if column not in result:
            result[column] = float("nan")
    return result[[*KEY, "numerator", "denominator", "sample_size", "sum_weight_squared"]]


def exposure_cells(db_path: Path, days: list[date]) -> pd.DataFrame:
    inputs = load_inputs(db_path)
    frames = [metric_cells(inputs, metric, day) for metric in EXPOSURE_METRICS for day in days]
    return pd.concat([frame for frame in frames if not frame.empty], ignore_index=True)


# --- the independent check ---------------------------------------------------------

def published_cells(db_path: Path, days: list[date]) -> pd.DataFrame:
    """The exposure rows of the restricted fact (zero-filled grid) for `days`."""
    names = ", ".join(f"'{name}'" for name in EXPOSURE_METRICS)
    day_list = ", ".join(f"date '{day.isoformat()}'" for day in days)
    with duckdb.connect(str(db_path), read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
        relation = (
            "fct_metrics_daily_unsuppressed"
            if "fct_metrics_daily_unsuppressed" in tables
            else UNIT_DAY_ROWS
        )
        return con.execute(
            f"""
            select {", ".join(KEY)}, numerator, denominator, sample_size, sum_weight_squared
            from {relation}
            where metric_name in ({names}) and metric_date in ({day_list})
            """
        ).df()


def compare(db_path: Path, days: list[date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows where the independent computation and the warehouse disagree, the computation)."""
    expected = exposure_cells(db_path, days)
    actual = published_cells(db_path, days)
    for frame in (expected, actual):
        frame["metric_date"] = pd.to_datetime(frame["metric_date"])
    merged = expected.merge(actual, on=KEY, how="outer", suffixes=("_expected", "_actual"), indicator=True)
    problems = []
    for part in ["numerator", "denominator", "sample_size", "sum_weight_squared"]:
        left = merged[f"{part}_expected"].astype(float)
        right = merged[f"{part}_actual"].astype(float)
        if part in ("numerator", "sample_size"):
            # a cell missing on one side is an empty cell: 0 there
            left, right = left.fillna(0.0), right.fillna(0.0)
        if part == "denominator":
            # counts have no denominator; an empty rate cell has denominator 0
            is_count = merged["metric_name"].isin(["active_users", "impressions"])
            left = left.where(~is_count, 0.0).fillna(0.0)
            right = right.where(~is_count, 0.0).fillna(0.0)
        if part == "sum_weight_squared":
            is_weighted = merged["metric_name"] == "violating_view_rate"
            left = left.where(is_weighted, 0.0).fillna(0.0)
            right = right.where(is_weighted, 0.0).fillna(0.0)
        bad = (left - right).abs() > 1e-6 * right.abs().clip(lower=1.0)
        if bad.any():
            problems.append(merged[bad].assign(part=part))
    return (pd.concat(problems, ignore_index=True) if problems else merged.iloc[0:0]), expected


def sample_days(db_path: Path) -> list[date]:
    """A few final days spread over the data, the last (not yet final) day, and the days
    an overturning appeal lifted an age restriction (where the as-of appeal logic bites)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        first, last = con.execute(
            "select min(cast(occurred_at as date)), max(cast(occurred_at as date)) from stg_platform__impressions"
        ).fetchone()
        # days with the most minor views of content after an overturn lifted its only age restriction
        lifted = con.execute(
            """
            select cast(impressions.occurred_at as date) as day
            from base_platform__appeals as appeals
            inner join stg_platform__moderation_decisions as decisions
                on appeals.decision_id = decisions.decision_id
            inner join stg_platform__impressions as impressions
                on
                    decisions.target_id = impressions.content_id
                    and impressions.occurred_at >= appeals.resolved_at
            inner join int_user_day_segments as viewers
                on
                    impressions.user_id = viewers.user_id
                    and cast(impressions.occurred_at as date) = viewers.segment_date
            where
                viewers.is_minor
                and (
                    decisions.territorial_scope = 'global'
                    or list_contains(string_split(decisions.territorial_scope, '|'), viewers.country_code)
                )
                and appeals.reject_reason is null
                and appeals.outcome = 'overturned'
                and decisions.action = 'age_restrict'
                and decisions.target_type = 'content'
                and not exists (
                    select 1
                    from stg_platform__moderation_decisions as other
                    where
                        other.target_id = decisions.target_id
                        and other.action = 'age_restrict'
                        and other.decision_id <> decisions.decision_id
                        and other.decided_at <= impressions.occurred_at
                )
            group by 1
            order by count(*) desc, 1
            limit 2
            """
        ).fetchall()
    span = (last - first).days
    picks = {first, first + timedelta(days=span // 3), first + timedelta(days=2 * span // 3), last}
    picks |= {row[0] for row in lifted if row[0] is not None and first <= row[0] <= last}
    return sorted(picks)


def test_exposure_family_matches_an_independent_computation(demo_db):
    days = sample_days(demo_db)
    problems, expected = compare(demo_db, days)
    assert problems.empty, (
        f"{len(problems)} cells differ from the independent computation, e.g.\n"
        f"{problems.head(20).to_string()}"
    )
    # the comparison must have had something to compare for every metric
    nonzero = expected[expected["numerator"].fillna(0) > 0]
    assert set(nonzero["metric_name"]) == set(EXPOSURE_METRICS)
