"""Point-in-time user segments on the demo build, checked against an independent
pure-Python implementation of the raw contract's rules.

The expected segment of every user-day is computed here from the valid profile copies
and users rows of the base views (every copy, not just the staged winner), without the
segment models: a copy takes effect at max(valid_from, ingested_at); the copy holding a
day is, of the copies in effect before the next midnight UTC, the one that took effect
last; age counts birthdays; bands and regions come from the reference seed files.
"""

from __future__ import annotations

import bisect
import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from conftest import demo_scenario, query, query_df
from tsw.dbt_runner import BuildConfig, run_dbt
from tsw.paths import REFERENCE_SEEDS_DIR

FACT_USER_DAYS = {
    "stg_platform__impressions": [("user_id", "occurred_at")],
    "stg_platform__user_reports": [("reporter_id", "reported_at")],
    "stg_platform__messages": [("sender_id", "sent_at"), ("recipient_id", "sent_at")],
    "stg_platform__user_blocks": [("blocker_id", "created_at")],
    "stg_platform__ai_interactions": [("user_id", "occurred_at")],
}
SEGMENT_COLUMNS = [
    "age_band", "age_years", "is_minor", "region", "country_code", "plan", "has_profile", "is_known_user",
]


@dataclass(frozen=True)
class Copy:
    user_id: str
    valid_from: datetime
    plan: str
    country_code: str | None
    birth_date: date | None
    is_managed_account: bool
    ingested_at: datetime
    dedup_rank: int

    @property
    def content(self) -> tuple:
        return (self.plan, self.country_code, self.birth_date, self.is_managed_account)

    @property
    def effective_at(self) -> datetime:
        return max(self.valid_from, self.ingested_at)


def _none(value):
    return None if value is None or pd.isna(value) else value


def _birthday(birth: date, year: int) -> date:
    if (birth.month, birth.day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 3, 1)
    return date(year, birth.month, birth.day)


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None or birth < date(1900, 1, 1) or birth > day:
        return None
    years = 0
    while _birthday(birth, birth.year + years + 1) <= day:
        years += 1
    return years


def band_of(age: int | None) -> tuple[str, bool]:
    if age is None:
        return "unknown", False
    with open(REFERENCE_SEEDS_DIR / "ref_age_bands.csv", newline="") as handle:
        for band in csv.DictReader(handle):
            if band["min_age"] and int(band["min_age"]) <= age <= int(band["max_age"] or 10**6):
                return band["age_band"], band["is_minor"] == "true"
    raise AssertionError(f"no band for age {age}")


def regions() -> dict[str, str]:
    with open(REFERENCE_SEEDS_DIR / "ref_countries.csv", newline="") as handle:
        return {row["country_code"]: row["region"] for row in csv.DictReader(handle)}


def knowledge_instant(config: BuildConfig) -> datetime:
    return datetime.combine(config.as_of_date + timedelta(days=1), datetime.min.time())


def profile_timelines(db_path, knowledge: datetime) -> dict[str, tuple[list[datetime], list[Copy]]]:
    """Per user, the copies that take effect, in the order they take effect."""
    rows = query(
        db_path,
        """
        select user_id, valid_from, plan, country_code, birth_date, is_managed_account, ingested_at, dedup_rank
        from base_platform__user_profile_versions
        where reject_reason is null and ingested_at < ?
        """,
        [knowledge],
    )
    by_key: dict[tuple, list[Copy]] = defaultdict(list)
    for row in rows:
        copy = Copy(*row)
        by_key[(copy.user_id, copy.valid_from)].append(copy)
    by_user: dict[str, list[Copy]] = defaultdict(list)
    for copies in by_key.values():
        # staged order of one key's copies: by ingestion, the staging winner last
        copies.sort(key=lambda c: (c.ingested_at, -c.dedup_rank))
        previous = None
        for copy in copies:
            if previous is None or copy.content != previous.content:  # an identical re-delivery changes nothing
                by_user[copy.user_id].append(copy)
            previous = copy
    timelines = {}
    for user_id, copies in by_user.items():
        copies.sort(key=lambda c: (c.effective_at, c.ingested_at, c.valid_from, -c.dedup_rank))
        timelines[user_id] = ([c.effective_at for c in copies], copies)
    return timelines


def fact_user_days(db_path) -> set[tuple[str, date]]:
    days: set[tuple[str, date]] = set()
    for table, pairs in FACT_USER_DAYS.items():
        for user_column, time_column in pairs:
            days |= set(
                query(
                    db_path,
                    f"select distinct {user_column}, cast({time_column} as date) from {table} "
                    f"where {user_column} is not null",
                )
            )
    return days


def expected_segments(db_path, config: BuildConfig) -> pd.DataFrame:
    knowledge = knowledge_instant(config)
    timelines = profile_timelines(db_path, knowledge)
    first_known = dict(
        query(
            db_path,
            "select user_id, min(ingested_at) from base_platform__users "
            "where reject_reason is null and ingested_at < ? group by user_id",
            [knowledge],
        )
    )
    region_of = regions()
    records = []
    for user_id, day in fact_user_days(db_path):
        end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time())
        known = user_id in first_known and first_known[user_id] < end_of_day
        holding = None
        if known and user_id in timelines:
            effective, copies = timelines[user_id]
            position = bisect.bisect_left(effective, end_of_day)  # copies with effective_at < end_of_day
            holding = copies[position - 1] if position > 0 else None
        if holding is None:
            records.append((user_id, day, "unknown", None, False, "unknown", None, "unknown", False, known))
            continue
        age = age_on(_none(holding.birth_date), day)
        band, is_minor = band_of(age)
        records.append((
            user_id, day, band, age, is_minor, region_of.get(holding.country_code, "unknown"),
            holding.country_code, holding.plan, True, True,
        ))
    return pd.DataFrame(records, columns=["user_id", "segment_date", *SEGMENT_COLUMNS])


def actual_segments(db_path) -> pd.DataFrame:
    frame = query_df(db_path, f"select user_id, segment_date, {', '.join(SEGMENT_COLUMNS)} from int_user_day_segments")
    frame["segment_date"] = pd.to_datetime(frame["segment_date"]).dt.date
    return frame


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["age_years"] = frame["age_years"].map(lambda v: None if _none(v) is None else int(v)).astype(object)
    frame["country_code"] = frame["country_code"].map(_none).astype(object)
    for column in ["is_minor", "has_profile", "is_known_user"]:
        frame[column] = frame[column].astype(bool)
    return frame.sort_values(["user_id", "segment_date"]).reset_index(drop=True)


def _mismatches(expected: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    merged = expected.merge(actual, on=["user_id", "segment_date"], how="outer", suffixes=("_expected", "_actual"),
                            indicator=True)
    bad = merged["_merge"] != "both"
    for column in SEGMENT_COLUMNS:
        left, right = merged[f"{column}_expected"], merged[f"{column}_actual"]
        both_null = left.map(_none).isna() & right.map(_none).isna()
        bad |= ~both_null & (left.astype(object) != right.astype(object))
    return merged[bad]


@pytest.fixture(scope="module")
def demo_segments(demo_db):
    return actual_segments(demo_db)


def test_demo_has_user_days(demo_segments):
    assert len(demo_segments) > 0, "the demo build has no user-days (are the demo seeds still placeholders?)"


def test_one_row_per_user_day(demo_segments):
    duplicated = demo_segments.duplicated(["user_id", "segment_date"], keep=False)
    assert not duplicated.any(), demo_segments[duplicated].head(10)


def test_user_days_are_exactly_the_fact_user_days(demo_db, demo_segments):
    actual = set(zip(demo_segments["user_id"], demo_segments["segment_date"]))
    expected = fact_user_days(demo_db)
    assert actual == expected, (
        f"missing {len(expected - actual)} e.g. {sorted(expected - actual)[:5]}, "
        f"extra {len(actual - expected)} e.g. {sorted(actual - expected)[:5]}"
    )


def test_segments_match_independent_end_of_day_rule(demo_db, demo_config, demo_segments):
    expected = _comparable(expected_segments(demo_db, demo_config))
    actual = _comparable(demo_segments)
    bad = _mismatches(expected, actual)
    assert bad.empty, f"{len(bad)} of {len(expected)} user-days differ:\n{bad.head(10).to_string()}"


def test_segment_ranges_never_overlap(demo_db):
    overlaps = query(
        demo_db,
        """
        select a.user_id, a.valid_from_date, b.valid_from_date
        from int_user_segment_ranges as a
        inner join int_user_segment_ranges as b
            on a.user_id = b.user_id
            and a.valid_from_date < b.valid_from_date
            and b.valid_from_date <= a.valid_to_date
        limit 5
        """,
    )
    assert overlaps == []


def test_past_days_do_not_change_when_rows_arrive_later(demo_db, demo_config, tmp_path_factory):
    """A build as of an earlier date gives the same segment to every user-day up to its as-of
    date: later profile copies, corrections and late users rows never rewrite a past day."""
    earlier_as_of = demo_config.as_of_date - timedelta(days=10)
    root = tmp_path_factory.mktemp("segments_earlier")
    earlier = BuildConfig(
        db_path=root / "earlier.duckdb",
        target_path=root / "target",
        as_of_date=earlier_as_of,
        target="ci",
    )
    run_dbt(["seed"], earlier, stream=False)
    run_dbt(["run", "--select", "+int_user_day_segments"], earlier, stream=False)
    before = _comparable(actual_segments(earlier.db_path))
    after = _comparable(actual_segments(demo_db))
    before = before[before["segment_date"] <= earlier_as_of]
    assert len(before) > 0, "the earlier build has no user-days to compare"
    common = before.merge(after[["user_id", "segment_date"]], on=["user_id", "segment_date"])
    bad = _mismatches(common, after.merge(common[["user_id", "segment_date"]], on=["user_id", "segment_date"]))
    assert bad.empty, f"{len(bad)} past user-days changed:\n{bad.head(10).to_string()}"


def _within_planted(actual: dict[str, int], planted: dict[str, int], tolerance: float) -> list:
    """Bands whose count is above the planted count (impossible: staging only loses rows to
    quarantine, deduplication and knowledge time) or below it by more than `tolerance`."""
    return [
        (band, planted_count, actual.get(band, 0))
        for band, planted_count in planted.items()
        if not planted_count * (1 - tolerance) - 1 <= actual.get(band, 0) <= planted_count
    ]


def test_active_user_days_by_age_band_match_planted_truth(demo_db):
    """The generator plants each active user-day's band by the contract's rule; only the few
    impressions lost to quarantine or knowledge time may make the staged counts smaller."""
    planted = demo_scenario()["truths"]["reports_per_active_user_day_by_age_band"]["realized_active_user_days"]
    actual = dict(
        query(
            demo_db,
            """
            select segments.age_band, count(*)
            from (select distinct user_id, cast(occurred_at as date) as day from stg_platform__impressions) as viewers
            inner join int_user_day_segments as segments
                on viewers.user_id = segments.user_id and viewers.day = segments.segment_date
            group by 1
            """,
        )
    )
    wrong = _within_planted(actual, planted, tolerance=0.01)
    assert not wrong, f"(band, planted, actual): {wrong}"


def test_first_contacts_by_recipient_age_band_match_planted_truth(demo_db):
    planted = demo_scenario()["truths"]["unwanted_contact_rate_by_age_band"]["realized_first_contacts"]
    actual = dict(
        query(
            demo_db,
            """
            select segments.age_band, count(*)
            from stg_platform__messages as messages
            inner join int_user_day_segments as segments
                on messages.recipient_id = segments.user_id and cast(messages.sent_at as date) = segments.segment_date
            where messages.is_first_contact
            group by 1
            """,
        )
    )
    wrong = _within_planted(actual, planted, tolerance=0.05)
    assert not wrong, f"(band, planted, actual): {wrong}"


def test_users_without_profile_match_planted_truth(demo_db):
    planted = demo_scenario()["truths"]["population"]["users_without_profile"]
    (actual,) = query(
        demo_db,
        """
        select count(*)
        from stg_platform__users
        where user_id not in (select user_id from int_user_profile_versions)
        """,
    )[0]
    assert abs(actual - planted) <= max(2, 0.05 * planted), (actual, planted)
