"""Staging on a tiny hand-written landing directory: every kind of bad input.

Each planted row says where it must end up (staged, quarantined with a reason and column,
a duplicate of a staged row, or not yet known at the knowledge instant). The expectations
are written here by hand, never read back from the models; one dbt build serves every test.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import query

from tsw.contract import load_contract
from tsw.dbt_runner import BuildConfig, run_dbt

AS_OF = date(2026, 3, 20)  # knowledge instant: 2026-03-21 00:00 UTC
T_EVENT = "2026-03-10T12:00:00Z"
T_INGEST = "2026-03-10T13:00:00Z"

STAGING_AND_DQ = [
    "+quarantine_rows",
    "+dq_raw_reconciliation",
    "+dq_unknown_reference_share",
    "+dq_late_beyond_finality",
]

# A valid row of every table; planted rows override some values.
DEFAULTS: dict[str, dict[str, str]] = {
    "users": {"created_at": T_EVENT, "signup_platform": "ios"},
    "user_profile_versions": {
        "user_id": "u1", "valid_from": T_EVENT, "plan": "free", "country_code": "DE",
        "birth_date": "2000-01-01", "is_managed_account": "false",
    },
    "content": {
        "content_type": "track", "creator_id": "u1", "creator_country_code": "", "created_at": T_EVENT,
        "is_ai_generated": "false", "language": "en",
    },
    "impressions": {
        "user_id": "u1", "content_id": "c1", "surface": "home", "platform": "ios", "session_id": "s1",
        "occurred_at": T_EVENT,
    },
    "prevalence_labels": {
        "event_id": "e1", "sample_stratum": "home", "sampling_rate": "0.5", "is_violating": "true",
        "policy_category": "hate_speech", "labeler_id": "l1", "labeled_at": T_EVENT,
    },
    "user_reports": {
        "reporter_id": "u1", "reporter_type": "user", "notice_basis": "terms_of_service", "target_type": "content",
        "target_id": "c1", "reason_code": "SPAM", "surface": "home", "reported_at": T_EVENT,
    },
    "moderation_decisions": {
        "target_type": "content", "target_id": "c1", "policy_category": "spam_manipulation", "action": "remove",
        "detection_source": "user_report", "triggering_report_id": "r1", "is_automated_decision": "false",
        "decision_ground": "terms_of_service", "flagged_at": "2026-03-10T10:00:00Z", "decided_at": T_EVENT,
        "territorial_scope": "global",
    },
    "appeals": {
        "decision_id": "d1", "appellant_id": "u1", "submitted_at": T_EVENT, "resolved_at": "2026-03-11T12:00:00Z",
        "outcome": "upheld",
    },
    "messages": {
        "conversation_id": "cv1", "sender_id": "u1", "recipient_id": "u2", "is_first_contact": "true",
        "sender_is_connection": "false", "sent_at": T_EVENT,
    },
    "user_blocks": {"blocker_id": "u2", "blocked_id": "u1", "surface": "messaging", "created_at": T_EVENT},
    "ai_interactions": {
        "user_id": "u1", "feature": "ai_dj", "model_version": "m1", "output_id": "o1", "occurred_at": T_EVENT,
    },
    "ai_eval_judgments": {
        "output_id": "o1", "eval_run_id": "run1", "eval_set": "production_sample", "feature": "ai_dj",
        "model_version": "m1", "judge_id": "llm-judge-v3", "judge_type": "llm", "verdict": "safe",
        "harm_category": "", "refused": "false", "attack_technique": "", "test_case_id": "",
        "expected_verdict": "", "judged_at": T_EVENT,
    },
    "interventions": {
        "name": "n", "description": "d", "surface": "all", "policy_category": "all", "target_age_bands": "all",
        "target_countries": "all", "launched_at": T_EVENT, "ended_at": "", "experiment_id": "",
    },
    "experiment_assignments": {"experiment_id": "x1", "user_id": "u1", "variant": "control", "assigned_at": T_EVENT},
}


@dataclass
class Planted:
    """One raw row and where it must end up."""

    table: str
    values: dict[str, str]
    outcome: str  # staged | duplicate | not_yet_known | quarantined
    reason: str | None = None
    column: str | None = None
    kind: str = "csv"  # the file it is written to: csv or parquet
    tag: str = ""  # a name tests use to find it


def row(table: str, outcome: str, reason: str | None = None, column: str | None = None, /, *,
        kind: str = "csv", tag: str = "", **values: str) -> Planted:
    # positional-only, so that raw columns such as `outcome` can be passed as values
    key = load_contract()[table].key
    base = {"ingested_at": T_INGEST, **DEFAULTS[table]}
    if len(key) == 1 and key[0] not in values:
        values[key[0]] = tag or f"{table}-default"
    return Planted(table, {**base, **values}, outcome, reason, column, kind, tag)


Q = "quarantined"
PLANTED: list[Planted] = [
    # users (state): latest ingested copy wins
    row("users", "duplicate", kind="csv", tag="u1-old", user_id="u1", signup_platform="ios",
        ingested_at="2026-03-02T00:00:00Z"),
    row("users", "staged", kind="parquet", tag="u1", user_id="u1", signup_platform="web",
        ingested_at="2026-03-05T00:00:00Z"),
    row("users", "staged", kind="parquet", tag="u2", user_id="u2"),
    row("users", Q, "missing_key", "user_id", tag="no-key", user_id="", signup_platform="fax"),
    row("users", Q, "missing_key", "user_id", kind="parquet", tag="blank-key", user_id="  "),
    row("users", Q, "unknown_enum_value", "signup_platform", tag="u-enum", signup_platform="fax"),
    row("users", Q, "missing_value", "signup_platform", tag="u-missing", signup_platform=""),
    row("users", Q, "unparseable_value", "created_at", tag="u-unparseable", created_at="yesterday",
        signup_platform="fax"),
    row("users", Q, "unparseable_value", "created_at", tag="u-no-offset", created_at="2026-03-01T10:00:00"),
    row("users", Q, "event_time_before_2006", "created_at", tag="u-old",
        created_at="2006-01-01T00:30:00+01:00"),
    row("users", Q, "event_time_in_future", "created_at", tag="u-future", created_at="2026-03-21T00:00:00Z"),
    row("users", "staged", tag="u-almost-future", created_at="2026-03-21T00:30:00+01:00"),
    row("users", Q, "unparseable_value", "ingested_at", tag="u-ingested", ingested_at="soon"),
    # starts like an old date but does not parse: a nightly run must keep it quarantined (not re-read)
    row("users", Q, "unparseable_value", "ingested_at", tag="u-ingested-old-looking",
        ingested_at="2026-02-30T10:00:00Z"),
    row("users", Q, "missing_value", "ingested_at", tag="u-no-ingested", ingested_at=""),
    row("users", "not_yet_known", tag="u-not-yet", ingested_at="2026-03-21T00:00:00Z"),
    row("users", "staged", tag="u-just-known", ingested_at="2026-03-21T00:30:00+01:00"),
    # a tie on ingested_at (same instant, other offset): the raw content that sorts first wins
    row("users", "duplicate", kind="csv", tag="u-tie-web", user_id="u-tie", signup_platform="web",
        ingested_at="2026-03-06T00:00:00Z"),
    row("users", "staged", kind="parquet", tag="u-tie-android", user_id="u-tie", signup_platform="android",
        ingested_at="2026-03-06T01:00:00+01:00"),
    # impressions (event): first ingested copy wins, whatever the file
    row("impressions", "duplicate", kind="parquet", tag="e1-second", event_id="e1", session_id="s-second"),
    row("impressions", "staged", kind="csv", tag="e1-first", event_id="e1", session_id="s-first",
        ingested_at="2026-03-10T12:30:00Z"),
    row("impressions", "duplicate", kind="csv", tag="e1-third", event_id="e1", session_id="s-third",
        ingested_at="2026-03-11T00:00:00Z"),
    row("impressions", "duplicate", kind="csv", tag="e-tie-b", event_id="e-tie", session_id="b"),
    row("impressions", "staged", kind="parquet", tag="e-tie-a", event_id="e-tie", session_id="a",
        ingested_at="2026-03-10T14:00:00+01:00"),
    row("impressions", "staged", kind="csv", tag="tz-utc", occurred_at="2026-03-10T12:00:00Z"),
    row("impressions", "staged", kind="csv", tag="tz-plus", occurred_at="2026-03-10T13:00:00+01:00"),
    row("impressions", "staged", kind="parquet", tag="tz-minus", occurred_at="2026-03-10T07:00:00-05:00"),
    row("impressions", "staged", kind="parquet", tag="tz-india", occurred_at="2026-03-10T17:30:00.000+0530"),
    row("impressions", "staged", kind="csv", tag="e-ghost", user_id="ghost-user", content_id="ghost-content"),
    row("impressions", "staged", kind="parquet", tag="e-late", occurred_at="2026-03-01T09:00:00Z",
        ingested_at="2026-03-10T00:00:00Z"),
    row("impressions", Q, "unknown_enum_value", "surface", tag="e-surface", surface="moon"),
    row("impressions", Q, "missing_value", "session_id", kind="parquet", tag="e-session", session_id=""),
    # in the future at AS_OF, an ordinary event the next day (an incremental build must stage it)
    row("impressions", Q, "event_time_in_future", "occurred_at", kind="parquet", tag="e-soon",
        occurred_at="2026-03-21T06:00:00Z", ingested_at="2026-03-20T10:00:00Z"),
    # prevalence_labels: decimals in (0, 1], booleans, enum_ref
    row("prevalence_labels", "staged", tag="l-half"),
    row("prevalence_labels", "staged", kind="parquet", tag="l-one", sampling_rate="1"),
    row("prevalence_labels", Q, "out_of_range", "sampling_rate", tag="l-zero", sampling_rate="0"),
    row("prevalence_labels", Q, "out_of_range", "sampling_rate", tag="l-big", sampling_rate="1.5"),
    row("prevalence_labels", Q, "unparseable_value", "sampling_rate", tag="l-text", sampling_rate="half"),
    row("prevalence_labels", Q, "unparseable_value", "is_violating", tag="l-bool", is_violating="maybe"),
    row("prevalence_labels", Q, "unknown_enum_value", "policy_category", tag="l-cat", policy_category="made_up"),
    row("prevalence_labels", "staged", tag="l-not-violating", is_violating="false", policy_category=""),
    # user_reports: reason codes are upper case (enum_ref)
    row("user_reports", "staged", tag="r1"),
    row("user_reports", Q, "unknown_enum_value", "reason_code", tag="r-lower", reason_code="spam"),
    row("user_reports", "staged", kind="parquet", tag="r-ghost", reporter_id="ghost-user"),
    # moderation_decisions: decided_at must not be before flagged_at
    row("moderation_decisions", "staged", tag="d1"),
    row("moderation_decisions", Q, "decided_before_flagged", "decided_at", tag="d-backwards",
        flagged_at="2026-03-10T12:00:00Z", decided_at="2026-03-10T11:59:59Z"),
    row("moderation_decisions", "staged", tag="d-same-instant",
        flagged_at="2026-03-10T12:00:00Z", decided_at="2026-03-10T13:00:00+01:00"),
    row("moderation_decisions", Q, "event_time_before_2006", "flagged_at", tag="d-ancient",
        flagged_at="1999-01-01T00:00:00Z", decided_at="1999-01-01T00:00:00Z"),
    # appeals (state): an appeal arrives pending, later upheld
    row("appeals", "duplicate", tag="a1-pending", appeal_id="a1", resolved_at="", outcome="pending",
        ingested_at="2026-03-10T13:00:00Z"),
    row("appeals", "staged", kind="parquet", tag="a1-upheld", appeal_id="a1", ingested_at="2026-03-12T00:00:00Z"),
    row("appeals", Q, "resolved_before_submitted", "resolved_at", tag="a-backwards",
        resolved_at="2026-03-09T00:00:00Z"),
    # user_profile_versions: composite key (user_id, valid_from), compared as instants
    row("user_profile_versions", "staged", tag="p1"),
    row("user_profile_versions", Q, "missing_key", "valid_from", tag="p-no-valid-from", valid_from=""),
    row("user_profile_versions", Q, "unparseable_value", "birth_date", tag="p-birth",
        valid_from="2026-03-02T00:00:00Z", birth_date="2010-13-45"),
    row("user_profile_versions", Q, "unparseable_value", "is_managed_account", tag="p-managed",
        valid_from="2026-03-03T00:00:00Z", is_managed_account="maybe"),
    row("user_profile_versions", "staged", tag="p-no-birth", valid_from="2026-03-04T00:00:00Z", birth_date=""),
    row("user_profile_versions", "duplicate", tag="p2-free", user_id="u2", valid_from="2026-03-01T00:00:00Z",
        plan="free", ingested_at="2026-03-02T00:00:00Z"),
    row("user_profile_versions", "staged", kind="parquet", tag="p2-premium", user_id="u2",
        valid_from="2026-03-01T01:00:00+01:00", plan="premium", ingested_at="2026-03-03T00:00:00Z"),
    # one valid row in most other tables; interventions gets an empty folder
    row("content", "staged", tag="c1"),
    row("messages", "staged", tag="m1", recipient_id="ghost-user"),
    row("user_blocks", "staged", tag="b1"),
    row("ai_interactions", "staged", tag="i1"),
    row("ai_eval_judgments", "staged", tag="j1"),
    row("experiment_assignments", "staged", kind="parquet", tag="x1"),
]


def by_tag(tag: str) -> Planted:
    return next(p for p in PLANTED if p.tag == tag)


def raw_value(value: str) -> str | None:
    """What a planted text looks like after the trip through a file: empty fields are null."""
    return value if value != "" else None


def write_landing(root: Path, planted: list[Planted]) -> None:
    """Each table's rows to one CSV (columns in reverse contract order) and one Parquet file."""
    contract = load_contract()
    for name, table in contract.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        rows = [p for p in planted if p.table == name]
        csv_rows = [p.values for p in rows if p.kind == "csv"]
        parquet_rows = [p.values for p in rows if p.kind == "parquet"]
        if csv_rows:
            with open(folder / "part-0.csv", "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(reversed(table.column_names)))
                writer.writeheader()
                writer.writerows(csv_rows)
        if parquet_rows:
            columns = {c: pa.array([raw_value(r[c]) for r in parquet_rows], pa.string()) for c in table.column_names}
            pq.write_table(pa.table(columns), folder / "part-1.parquet")


@pytest.fixture(scope="module")
def bad_input_build(tmp_path_factory) -> BuildConfig:
    root = tmp_path_factory.mktemp("staging_bad_input")
    landing = root / "landing"
    write_landing(landing, PLANTED)
    config = BuildConfig(
        db_path=root / "bad_input.duckdb",
        target_path=root / "target",
        landing_dir=landing,
        as_of_date=AS_OF,
        target="ci",
    )
    run_dbt(
        ["build", "--select", *STAGING_AND_DQ, "--exclude", "tag:raw_demo", "--indirect-selection", "cautious"],
        config,
        stream=False,
    )
    return config


def staged_rows(db: Path, table: str) -> list[dict]:
    columns = load_contract()[table].column_names
    rows = query(db, f"select {', '.join(columns)} from stg_platform__{table}")
    return [dict(zip(columns, r)) for r in rows]


def quarantine(db: Path) -> list[dict]:
    rows = query(db, "select table_name, row_key, reason_code, reason_column, raw_values from quarantine_rows")
    return [
        {"table": t, "row_key": k, "reason": r, "column": c, "raw": json.loads(v)} for t, k, r, c, v in rows
    ]


def as_raw(p: Planted) -> dict:
    return {c: raw_value(p.values[c]) for c in load_contract()[p.table].column_names}


def test_planted_rows_cover_every_reason_code():
    reasons = {p.reason for p in PLANTED if p.outcome == Q}
    assert reasons == {
        "missing_key", "missing_value", "unparseable_value", "unknown_enum_value", "out_of_range",
        "event_time_before_2006", "event_time_in_future", "decided_before_flagged", "resolved_before_submitted",
    }


@pytest.mark.parametrize("planted", [p for p in PLANTED if p.outcome == Q], ids=lambda p: f"{p.table}-{p.tag}")
def test_bad_row_is_quarantined_and_its_neighbours_are_staged(bad_input_build, planted):
    db = Path(bad_input_build.db_path)
    matches = [q for q in quarantine(db) if q["table"] == planted.table and q["raw"] == as_raw(planted)]
    assert len(matches) == 1, f"expected exactly one quarantined copy of {planted.tag}, found {matches}"
    assert (matches[0]["reason"], matches[0]["column"]) == (planted.reason, planted.column)
    key = load_contract()[planted.table].key
    assert matches[0]["row_key"] == "|".join(planted.values[c] for c in key)

    staged_keys = {tuple(r[c] for c in key) for r in staged_rows(db, planted.table)}
    survivors = [p for p in PLANTED if p.table == planted.table and p.outcome == "staged"]
    assert survivors, "every table with a bad row also has good rows"
    for good in survivors:
        text_key = tuple(good.values[c] for c in key)
        if all(load_contract()[planted.table].column(c).data_type == "text" for c in key):
            assert text_key in staged_keys, f"good row {good.tag} lost next to {planted.tag}"
    assert len(staged_keys) == len(survivors)


def test_nothing_else_is_quarantined(bad_input_build):
    db = Path(bad_input_build.db_path)
    expected = Counter((p.table, p.reason, p.column) for p in PLANTED if p.outcome == Q)
    found = Counter((q["table"], q["reason"], q["column"]) for q in quarantine(db))
    assert found == expected


@pytest.mark.parametrize("table", list(load_contract()))
def test_reconciliation_matches_hand_counts(bad_input_build, table):
    db = Path(bad_input_build.db_path)
    planted = Counter(p.outcome for p in PLANTED if p.table == table)
    (found,) = query(
        db,
        "select raw_rows, staged_rows, duplicate_rows, quarantined_rows, not_yet_known_rows, is_reconciled "
        "from dq_raw_reconciliation where table_name = ?",
        [table],
    )
    expected = (
        sum(planted.values()), planted["staged"], planted["duplicate"], planted[Q], planted["not_yet_known"], True,
    )
    assert found == expected


def test_not_yet_known_row_is_neither_staged_nor_quarantined(bad_input_build):
    db = Path(bad_input_build.db_path)
    p = by_tag("u-not-yet")
    assert not query(db, "select 1 from base_platform__users where user_id = ?", [p.values["user_id"]])
    assert not query(db, "select 1 from quarantine_rows where row_key = ?", [p.values["user_id"]])
    # one microsecond before the knowledge instant (23:30 UTC written as +01:00) is known
    assert query(db, "select 1 from stg_platform__users where user_id = 'u-just-known'")


@pytest.mark.parametrize(
    ("table", "key", "winner", "column"),
    [
        ("impressions", "e1", "e1-first", "session_id"),  # event: first ingested
        ("impressions", "e-tie", "e-tie-a", "session_id"),  # tie on ingested_at: content order
        ("users", "u1", "u1", "signup_platform"),  # state: latest ingested
        ("users", "u-tie", "u-tie-android", "signup_platform"),  # tie: content order
        ("appeals", "a1", "a1-upheld", "outcome"),  # state: the later copy with its outcome
    ],
)
def test_dedup_keeps_the_right_copy(bad_input_build, table, key, winner, column):
    db = Path(bad_input_build.db_path)
    key_column = load_contract()[table].key[0]
    rows = query(db, f"select {column} from stg_platform__{table} where {key_column} = ?", [key])
    assert rows == [(by_tag(winner).values[column],)]


def test_composite_key_compares_instants_not_text(bad_input_build):
    db = Path(bad_input_build.db_path)
    rows = query(db, "select valid_from, plan from stg_platform__user_profile_versions where user_id = 'u2'")
    assert rows == [(datetime(2026, 3, 1, 0, 0), "premium")]


def test_csv_and_parquet_rows_of_one_table_both_arrive(bad_input_build):
    db = Path(bad_input_build.db_path)
    staged = {r["session_id"] for r in staged_rows(db, "impressions")}
    from_csv = {p.values["session_id"] for p in PLANTED
                if p.table == "impressions" and p.outcome == "staged" and p.kind == "csv"}
    from_parquet = {p.values["session_id"] for p in PLANTED
                    if p.table == "impressions" and p.outcome == "staged" and p.kind == "parquet"}
    assert from_csv and from_parquet
    assert from_csv | from_parquet <= staged


def test_offsets_normalize_to_one_utc_instant(bad_input_build):
    db = Path(bad_input_build.db_path)
    tags = ["tz-utc", "tz-plus", "tz-minus", "tz-india"]
    rows = query(
        db,
        f"select event_id, occurred_at from stg_platform__impressions where event_id in ({', '.join('?' * len(tags))})",
        tags,
    )
    assert len(rows) == 4
    assert {occurred for _, occurred in rows} == {datetime(2026, 3, 10, 12, 0)}


def test_unknown_references_are_kept_and_counted(bad_input_build):
    db = Path(bad_input_build.db_path)
    assert query(db, "select user_id from stg_platform__impressions where event_id = 'e-ghost'") == [("ghost-user",)]
    known_users = {p.values["user_id"] for p in PLANTED if p.table == "users" and p.outcome == "staged"}
    staged = [p for p in PLANTED if p.table == "impressions" and p.outcome == "staged"]
    day = date(2026, 3, 10)
    on_day = [p for p in staged if p.values["occurred_at"].startswith("2026-03-10")]
    unknown = [p for p in on_day if p.values["user_id"] not in known_users]
    found = query(
        db,
        "select row_count, unknown_reference_rows, unknown_reference_share from dq_unknown_reference_share "
        "where table_name = 'impressions' and reference_column = 'user_id' and event_date = ?",
        [day],
    )
    assert found == [(len(on_day), len(unknown), len(unknown) / len(on_day))]
    messages = query(
        db,
        "select unknown_reference_rows from dq_unknown_reference_share "
        "where table_name = 'messages' and reference_column = 'recipient_id'",
    )
    assert messages == [(1,)]


def test_late_rows_beyond_finality(bad_input_build):
    # e-late: occurred 2026-03-01, ingested 2026-03-10. impressions (maturity 3) froze on
    # 03-05 and violating_view_rate (7) on 03-09: late for both; actioned_content_view_rate
    # (10) freezes on 03-12: not late.
    db = Path(bad_input_build.db_path)
    rows = dict(query(
        db,
        "select metric_name, late_rows from dq_late_beyond_finality "
        "where table_name = 'impressions' and event_date = date '2026-03-01'",
    ))
    assert rows["impressions"] == 1
    assert rows["violating_view_rate"] == 1
    assert rows["actioned_content_view_rate"] == 0
    # 2026-03-10 is final for maturity 3 (03-13 <= 03-20) and nothing arrived after 03-14
    (on_tenth,) = query(
        db,
        "select late_rows from dq_late_beyond_finality "
        "where metric_name = 'impressions' and table_name = 'impressions' and event_date = date '2026-03-10'",
    )
    assert on_tenth == (0,)
    # a day is listed only once final: 2026-03-10 + 33 days is after the as-of date
    assert not query(db, "select 1 from dq_late_beyond_finality where metric_name = 'appeal_rate'")


def test_empty_table_folder_stages_nothing(bad_input_build):
    db = Path(bad_input_build.db_path)
    assert not any(p.table == "interventions" for p in PLANTED)
    columns = [c for (c,) in query(db, "select column_name from (describe stg_platform__interventions)")]
    assert columns == load_contract()["interventions"].column_names
    assert query(db, "select count(*) from stg_platform__interventions") == [(0,)]


@pytest.fixture(scope="module")
def next_day_builds(bad_input_build, tmp_path_factory) -> tuple[BuildConfig, BuildConfig]:
    """The day after AS_OF: an incremental build on a copy of the AS_OF build, and a full build."""
    root = tmp_path_factory.mktemp("staging_next_day")
    next_day = AS_OF + timedelta(days=1)
    shutil.copyfile(bad_input_build.db_path, root / "incremental.duckdb")
    builds = []
    for name, extra in (("incremental", []), ("full", ["--full-refresh"])):
        config = BuildConfig(
            db_path=root / f"{name}.duckdb",
            target_path=root / f"target_{name}",
            landing_dir=bad_input_build.landing_dir,
            as_of_date=next_day,
            target="ci",
        )
        run_dbt(
            ["build", "--select", *STAGING_AND_DQ, "--exclude", "tag:raw_demo", "tag:base_view_key",
             "--indirect-selection", "cautious", *extra],
            config,
            stream=False,
        )
        builds.append(config)
    return builds[0], builds[1]


@pytest.mark.parametrize(
    "table",
    [f"stg_platform__{t}" for t in load_contract()] + ["quarantine_rows", "dq_raw_reconciliation"],
)
def test_next_day_incremental_build_equals_full_build(next_day_builds, table):
    """Rows that become known or stop being "in the future" move from quarantine to staging
    exactly as in a full build; rows without a usable ingested_at stay quarantined once."""
    incremental, full = next_day_builds
    rows = {
        name: sorted(query(config.db_path, f"select * from {table}"), key=repr)
        for name, config in (("incremental", incremental), ("full", full))
    }
    assert rows["incremental"] == rows["full"]
    if table == "dq_raw_reconciliation":
        assert query(incremental.db_path, "select bool_and(is_reconciled) from dq_raw_reconciliation") == [(True,)]
    if table == "stg_platform__users":
        ids = {r[0] for r in rows["incremental"]}
        assert {"u-future", "u-not-yet"} <= ids  # in the future / not yet known at AS_OF, staged now
    if table == "stg_platform__impressions":
        assert "e-soon" in {r[0] for r in rows["incremental"]}


def test_next_day_quarantine_keeps_rows_without_usable_ingested_at(next_day_builds):
    incremental, _ = next_day_builds
    keys = [r[0] for r in query(incremental.db_path, "select row_key from quarantine_rows where table_name = 'users'")]
    for tag in ("u-ingested", "u-no-ingested", "u-ingested-old-looking"):
        assert keys.count(by_tag(tag).values["user_id"]) == 1, tag
