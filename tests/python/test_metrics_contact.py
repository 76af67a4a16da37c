"""Contact-safety metric family: planted truths, an independent recomputation, additivity.

The independent computation below reads only the staged tables, the segment table and
the registry CSV, joins segments itself and applies the knowledge-time filter itself
(every row involved ingested before D + maturity_days + 1 day), so it shares no SQL with
int_first_contact_messages / int_first_contacts_at_cutoff / the contact metric units (int_metric_values).
"""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import demo_scenario, query_df

from tsw.paths import METRIC_REGISTRY_CSV

# The metric units' day rows (int_metric_values, period_grain day) with their day as metric_date.
UNIT_DAY_ROWS = (
    "(select * exclude (period_grain, period_start), period_start as metric_date"
    " from int_metric_values where period_grain = 'day') as unit_rows"
)


FIRST_CONTACT = "first_contact_messages"
UNWANTED = "unwanted_contact_rate"
STRANGER_ADULT = "stranger_adult_to_minor_contacts_per_1k"
STRANGER_UNKNOWN = "stranger_adult_to_minor_contacts_per_1k_unknown_sender"
CONTACT_METRICS = (FIRST_CONTACT, UNWANTED, STRANGER_ADULT, STRANGER_UNKNOWN)
SEGMENTS = ("age_band", "region", "plan")
KEY = ["metric_name", "metric_date", *SEGMENTS]
GROUPINGS_RECIPIENT = ([], ["age_band"], ["region"], ["plan"], ["age_band", "region"], ["age_band", "plan"])
GROUPINGS_MINOR = ([], ["age_band"], ["region"], ["age_band", "region"])
WINDOW = pd.Timedelta(hours=72)


@pytest.fixture(scope="module")
def scenario() -> dict:
    return demo_scenario()


def registry() -> dict[str, dict]:
    with METRIC_REGISTRY_CSV.open() as handle:
        return {row["metric_name"]: row for row in csv.DictReader(handle)}


def maturity(metric_name: str) -> int:
    return int(registry()[metric_name]["maturity_days"])


def finalization_instant(days: pd.Series, maturity_days: int) -> pd.Series:
    return pd.to_datetime(days) + pd.Timedelta(days=maturity_days + 1)


def table_exists(db_path: Path, name: str) -> bool:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return bool(con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchone()[0])


def family_values(db_path: Path) -> pd.DataFrame:
    """The contact units' day rows (metric__first_contact_messages, metric__unwanted_contact_rate,
    metric__stranger_adult_to_minor_contacts_per_1k)."""
    return query_df(db_path, f"select * from {UNIT_DAY_ROWS} where metric_unit in "
                             "('metric__first_contact_messages', 'metric__unwanted_contact_rate', "
                             "'metric__stranger_adult_to_minor_contacts_per_1k')")


# ----------------------------------------------------------------- independent computation --

def _staged(db_path: Path) -> dict[str, pd.DataFrame]:
    tables = {
        "messages": "select message_id, sender_id, recipient_id, is_first_contact, sender_is_connection, "
                    "sent_at, ingested_at from stg_platform__messages",
        "blocks": "select blocker_id, blocked_id, created_at, ingested_at from stg_platform__user_blocks",
        "reports": "select reporter_id, target_type, target_id, reported_at, ingested_at "
                   "from stg_platform__user_reports",
        "impressions": "select user_id, cast(occurred_at as date) as day, min(ingested_at) as ingested_at "
                       "from stg_platform__impressions group by all",
        "segments": "select user_id, segment_date, age_band, age_years, region, plan from int_user_day_segments",
    }
    frames = {name: query_df(db_path, sql) for name, sql in tables.items()}
    frames["segments"]["segment_date"] = pd.to_datetime(frames["segments"]["segment_date"]).astype("datetime64[ns]")
    frames["impressions"]["day"] = pd.to_datetime(frames["impressions"]["day"]).astype("datetime64[ns]")
    return frames


def _with_segments(
    frame: pd.DataFrame, segments: pd.DataFrame, user_col: str, day_col: str, prefix: str
) -> pd.DataFrame:
    """Left-join the segment of (user, day); a user-day without one is `unknown` in every attribute."""
    renamed = segments.rename(columns={"user_id": "_segment_user", "segment_date": "_segment_date",
                                       **{c: f"{prefix}{c}" for c in ("age_band", "age_years", "region", "plan")}})
    out = frame.merge(renamed, how="left", left_on=[user_col, day_col], right_on=["_segment_user", "_segment_date"])
    for column in ("age_band", "region", "plan"):
        out[f"{prefix}{column}"] = out[f"{prefix}{column}"].fillna("unknown")
    return out.drop(columns=["_segment_user", "_segment_date"])


MINOR_BANDS = ("under_13", "13_15", "16_17")


def _rollup(frame: pd.DataFrame, groupings, **aggregations) -> pd.DataFrame:
    parts = []
    for grouping in groupings:
        part = frame.groupby(["metric_date", *grouping], as_index=False).agg(**aggregations)
        for column in SEGMENTS:
            if column not in grouping:
                part[column] = "all"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def expected_contact_values(db_path: Path) -> pd.DataFrame:
    """All four metrics, every grouping, straight from the staged tables."""
    staged = _staged(db_path)
    messages, blocks, reports = staged["messages"], staged["blocks"], staged["reports"]
    first = messages[messages["is_first_contact"]].copy()
    first["metric_date"] = first["sent_at"].dt.normalize().astype("datetime64[ns]")
    first = _with_segments(first, staged["segments"], "recipient_id", "metric_date", "")
    first = _with_segments(first, staged["segments"], "sender_id", "metric_date", "sender_")

    # Unwanted reactions of the recipient within [sent_at, sent_at + 72 h], each with the instant it was known.
    block_hits = first.merge(blocks, left_on=["recipient_id", "sender_id"], right_on=["blocker_id", "blocked_id"],
                             suffixes=("", "_reaction"))
    block_hits = block_hits[(block_hits["created_at"] >= block_hits["sent_at"])
                            & (block_hits["created_at"] <= block_hits["sent_at"] + WINDOW)]
    block_hits = block_hits.assign(known_at=block_hits["ingested_at_reaction"])
    user_reports = reports[reports["target_type"] == "user"]
    user_hits = first.merge(user_reports, left_on=["recipient_id", "sender_id"], right_on=["reporter_id", "target_id"],
                            suffixes=("", "_reaction"))
    user_hits = user_hits.assign(known_at=user_hits["ingested_at_reaction"])
    message_reports = reports[reports["target_type"] == "message"].merge(
        messages[["message_id", "sender_id", "ingested_at"]].rename(
            columns={"message_id": "target_id", "sender_id": "target_sender_id", "ingested_at": "target_ingested_at"}),
        on="target_id")
    message_hits = first.merge(message_reports, left_on=["recipient_id", "sender_id"],
                               right_on=["reporter_id", "target_sender_id"], suffixes=("", "_reaction"))
    message_hits = message_hits.assign(
        known_at=message_hits[["ingested_at_reaction", "target_ingested_at"]].max(axis=1))
    report_hits = pd.concat([user_hits, message_hits])
    report_hits = report_hits[(report_hits["reported_at"] >= report_hits["sent_at"])
                              & (report_hits["reported_at"] <= report_hits["sent_at"] + WINDOW)]
    reactions = pd.concat([block_hits[["message_id", "known_at"]], report_hits[["message_id", "known_at"]]])

    frames = []
    # first_contact_messages
    known = first[first["ingested_at"] < finalization_instant(first["metric_date"], maturity(FIRST_CONTACT))]
    counts = _rollup(known, GROUPINGS_RECIPIENT, numerator=("message_id", "size"))
    frames.append(counts.assign(metric_name=FIRST_CONTACT, denominator=float("nan"), sample_size=counts["numerator"]))

    # unwanted_contact_rate
    cutoff = finalization_instant(first["metric_date"], maturity(UNWANTED))
    known = first[first["ingested_at"] < cutoff].copy()
    reacted = reactions.merge(known[["message_id", "metric_date"]], on="message_id")
    reacted = reacted[reacted["known_at"] < finalization_instant(reacted["metric_date"], maturity(UNWANTED))]
    known["is_unwanted"] = known["message_id"].isin(reacted["message_id"]).astype(int)
    rates = _rollup(known, GROUPINGS_RECIPIENT, numerator=("is_unwanted", "sum"), denominator=("message_id", "size"))
    frames.append(rates.assign(metric_name=UNWANTED, sample_size=rates["denominator"]))

    # stranger contacts to minors per 1k minor active users of the recipient's cell
    impressions = _with_segments(staged["impressions"], staged["segments"], "user_id", "day", "")
    for metric_name, sender_is_adult in ((STRANGER_ADULT, True), (STRANGER_UNKNOWN, False)):
        m = maturity(metric_name)
        active = impressions[impressions["age_band"].isin(MINOR_BANDS)
                             & (impressions["ingested_at"] < finalization_instant(impressions["day"], m))]
        active = active.rename(columns={"day": "metric_date"})
        denominators = _rollup(active, GROUPINGS_MINOR, denominator=("user_id", "nunique"))
        contacts = first[first["age_band"].isin(MINOR_BANDS) & ~first["sender_is_connection"]
                         & (first["ingested_at"] < finalization_instant(first["metric_date"], m))]
        if sender_is_adult:
            contacts = contacts[contacts["sender_age_years"] >= 18]
        else:
            contacts = contacts[contacts["sender_age_years"].isna()]
        numerators = _rollup(contacts, GROUPINGS_MINOR, numerator=("message_id", "size"))
        per_1k = numerators.merge(denominators, on=["metric_date", *SEGMENTS], how="outer").fillna(
            {"numerator": 0, "denominator": 0})
        frames.append(per_1k.assign(metric_name=metric_name, sample_size=per_1k["denominator"]))

    expected = pd.concat(frames, ignore_index=True)
    expected["metric_date"] = pd.to_datetime(expected["metric_date"]).dt.date
    return expected[[*KEY, "numerator", "denominator", "sample_size"]]


def _compare(expected: pd.DataFrame, actual: pd.DataFrame, what: str) -> None:
    merged = expected.merge(actual, on=KEY, how="outer", suffixes=("_expected", "_actual"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    assert only.empty, f"{what}: cells on one side only:\n{only.head(20)}"
    for column in ("numerator", "denominator", "sample_size"):
        left = merged[f"{column}_expected"].astype(float)
        right = merged[f"{column}_actual"].astype(float)
        same = (left.isna() & right.isna()) | ((left - right).abs() < 1e-9)
        differing = merged.loc[~same, [*KEY, f"{column}_expected", f"{column}_actual"]]
        assert same.all(), f"{what}: {column} differs:\n{differing.head(20)}"


def test_family_equals_independent_computation(demo_db):
    expected = expected_contact_values(demo_db)
    actual = family_values(demo_db)
    assert set(actual["metric_name"]) == set(CONTACT_METRICS)
    assert (actual[["surface", "policy_category", "feature"]] == "all").all().all()
    assert actual["value"].isna().all() and actual["sum_weight_squared"].isna().all()
    actual["metric_date"] = pd.to_datetime(actual["metric_date"]).dt.date
    _compare(expected, actual[[*KEY, "numerator", "denominator", "sample_size"]], "int_metric_values (contact units)")


def test_published_grid_equals_independent_computation(demo_db):
    if not table_exists(demo_db, "fct_metrics_daily_unsuppressed"):
        pytest.skip("fct_metrics_daily_unsuppressed is not built")
    expected = expected_contact_values(demo_db)
    names = "', '".join(CONTACT_METRICS)
    grid = query_df(demo_db, f"""
        select metric_name, metric_date, age_band, region, plan, numerator, denominator, sample_size, value
        from fct_metrics_daily_unsuppressed
        where metric_name in ('{names}') and surface = 'all' and policy_category = 'all' and feature = 'all'
    """)
    grid["metric_date"] = pd.to_datetime(grid["metric_date"]).dt.date
    merged = grid.merge(expected, on=KEY, how="left", suffixes=("", "_expected"), indicator=True)
    missing = expected.merge(grid[KEY], on=KEY, how="left", indicator=True)
    absent = missing[missing["_merge"] != "both"]
    assert absent.empty, f"expected cells missing from the grid:\n{absent.head()}"
    present = merged["_merge"] == "both"
    assert (merged.loc[~present, "numerator"] == 0).all() and (merged.loc[~present, "sample_size"] == 0).all()
    sub = merged[present]
    assert ((sub["numerator"] - sub["numerator_expected"]).abs() < 1e-9).all()
    assert (sub["sample_size"] == sub["sample_size_expected"]).all()
    rates = sub[sub["metric_name"] != FIRST_CONTACT]
    assert ((rates["denominator"] - rates["denominator_expected"]).abs() < 1e-9).all()
    per_1k = rates[rates["metric_name"].isin([STRANGER_ADULT, STRANGER_UNKNOWN]) & (rates["denominator"] > 0)]
    assert ((per_1k["value"] - 1000 * per_1k["numerator_expected"] / per_1k["denominator_expected"]).abs() < 1e-9).all()


# -------------------------------------------------------------------------- planted truths --

def _final_totals(db_path: Path, scenario: dict, metric_name: str, where: str) -> pd.DataFrame:
    as_of = date.fromisoformat(scenario["as_of_date"])
    return query_df(db_path, f"""
        select age_band, sum(numerator) as numerator, sum(denominator) as denominator
        from {UNIT_DAY_ROWS}
        where metric_name = '{metric_name}' and {where}
            and metric_date + {maturity(metric_name)} <= date '{as_of.isoformat()}'
        group by age_band
    """).set_index("age_band")


def test_unwanted_contact_rate_recovers_planted_rate_per_recipient_age_band(demo_db, scenario):
    """Over the final days, each band's rate lies within 4 binomial standard errors
    sqrt(p (1 - p) / n) of the planted probability (n = the band's first contacts; a
    false alarm has probability about 6e-5 per band). The demo's minor bands hold only
    25-90 first contacts, so the per-band check is loose (about +-0.15 for under_13);
    the pooled check at the end carries the power."""
    truth = scenario["truths"]["unwanted_contact_rate_by_age_band"]["p_unwanted"]
    totals = _final_totals(demo_db, scenario, UNWANTED, "region = 'all' and plan = 'all'")
    checked = 0
    for band, p in truth.items():
        n = totals.loc[band, "denominator"] if band in totals.index else 0
        if n < 20:
            continue
        rate = totals.loc[band, "numerator"] / n
        tolerance = 4 * math.sqrt(p * (1 - p) / n)
        assert abs(rate - p) <= tolerance, f"{band}: {rate:.3f} vs planted {p} (n={n:.0f}, tolerance {tolerance:.3f})"
        checked += 1
    assert checked >= 5, f"too few first contacts to check the planted rates: {totals}"

    # All bands pooled (n about 20 times a minor band's): the planted rates weighted by the
    # observed contacts, within 3 standard errors (one comparison: a false alarm has
    # probability 0.003). On the demo a definition that drops the reports (about 30% of
    # unwanted contacts) lands just over 3 standard errors off.
    bands = [b for b in truth if b in totals.index]
    n = totals.loc[bands, "denominator"].sum()
    planted = sum(truth[b] * totals.loc[b, "denominator"] for b in bands) / n
    rate = totals.loc["all", "numerator"] / totals.loc["all", "denominator"]
    assert totals.loc["all", "denominator"] == n
    assert abs(rate - planted) <= 3 * math.sqrt(planted * (1 - planted) / n), f"pooled {rate:.4f} vs {planted:.4f}"


def test_stranger_filter_intervention_shows_its_effect(demo_db, scenario):
    """The planted filter of adult non-connection first contacts to minors: the per-1k rate
    after launch over the rate before (launch day excluded, sums of daily parts) drops,
    its 95% interval excludes no change, and it is consistent with the planted relative
    effect within 3 standard errors of log(rate ratio), se = sqrt(1/contacts_pre + 1/contacts_post)
    (Poisson counts; the minor active user-days are large and treated as fixed)."""
    interventions = [i for i in scenario["truths"]["interventions"] if i["metric"] in CONTACT_METRICS]
    assert interventions, "the demo plants no contact-safety intervention"
    for intervention in interventions:
        launch = intervention["launch_date"]
        parts = query_df(demo_db, f"""
            select metric_date > date '{launch}' as is_post, sum(numerator) as contacts, sum(denominator) as active
            from {UNIT_DAY_ROWS}
            where metric_name = '{intervention["metric"]}' and age_band = 'all' and region = 'all'
                and metric_date <> date '{launch}'
            group by all
        """).set_index("is_post")
        pre, post = parts.loc[False], parts.loc[True]
        assert pre["contacts"] > 0 and post["contacts"] > 0
        ratio = (post["contacts"] / post["active"]) / (pre["contacts"] / pre["active"])
        se = math.sqrt(1 / pre["contacts"] + 1 / post["contacts"])
        planted = 1 + intervention["relative_effect"]
        if intervention["relative_effect"] < 0:
            assert ratio * math.exp(1.96 * se) < 1, f"no detectable drop: ratio {ratio:.2f}, se {se:.2f}"
        else:
            assert ratio * math.exp(-1.96 * se) > 1, f"no detectable rise: ratio {ratio:.2f}, se {se:.2f}"
        assert abs(math.log(ratio) - math.log(planted)) <= 3 * se, f"ratio {ratio:.2f} vs planted {planted:.2f}"


# ------------------------------------------------------------------------------ additivity --

def _assert_same_sums(left: pd.DataFrame, right: pd.DataFrame, what: str) -> None:
    left, right = left.align(right, join="outer", fill_value=0)
    assert not left.empty, f"{what}: nothing to compare"
    difference = left - right
    assert (difference.abs() < 1e-9).all().all(), f"{what}:\n{difference[difference.abs().max(axis=1) > 0].head()}"


def test_contact_metrics_are_additive_across_segments(demo_db):
    """metrics.md: event counts are additive across every segment column; a rate's `all` row
    is its summed numerator over its summed denominator; minor active users (one segment
    per user-day) are additive across age_band and region. Cells absent from the family
    output are zero."""
    values = family_values(demo_db)
    for metric_name in CONTACT_METRICS:
        rows = values[values["metric_name"] == metric_name]
        parts = ["numerator"] if metric_name == FIRST_CONTACT else ["numerator", "denominator"]
        columns = ["age_band", "region"] if metric_name in (STRANGER_ADULT, STRANGER_UNKNOWN) else list(SEGMENTS)
        total = rows[(rows[list(SEGMENTS)] == "all").all(axis=1)].set_index("metric_date")[parts]
        not_age = [c for c in SEGMENTS if c != "age_band"]
        by_band = rows[(rows["age_band"] != "all") & (rows[not_age] == "all").all(axis=1)]
        by_band = by_band.set_index(["metric_date", "age_band"])[parts]
        for column in columns:
            others = [c for c in SEGMENTS if c != column]
            alone = rows[(rows[column] != "all") & (rows[others] == "all").all(axis=1)]
            _assert_same_sums(alone.groupby("metric_date")[parts].sum(), total,
                              f"{metric_name}: the total is not the sum over {column}")
            if column == "age_band":
                continue
            rest = [c for c in SEGMENTS if c not in ("age_band", column)]
            crossed = rows[(rows["age_band"] != "all") & (rows[column] != "all") & (rows[rest] == "all").all(axis=1)]
            _assert_same_sums(crossed.groupby(["metric_date", "age_band"])[parts].sum(), by_band,
                              f"{metric_name}: an age band's row is not the sum of its age_band x {column} cells")
        if metric_name == UNWANTED:
            assert (rows["numerator"] <= rows["denominator"]).all()
