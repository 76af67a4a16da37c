"""DSA transparency report (issue #15): every figure against a hand count from staged rows.

One module-scoped build of generated data covering the whole of 2026H1 (as of 2026-07-19,
so H1 is final for every section). The hand counts below re-derive each figure in pandas
from the staged tables (stg_*, the valid rows of base_platform__appeals for appeal
copies), the point-in-time country of int_user_day_segments and the reference CSVs;
they share no SQL with the marts. Then: the export's layout against ref_dsa_template,
and the EU totals against the published catalog metric enforcement_actions.
"""

from __future__ import annotations

import csv
import math
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from conftest import build, query, query_df
from tsw import dsa_report
from tsw.dbt_runner import BuildConfig
from tsw.paths import REFERENCE_SEEDS_DIR

START = date(2026, 1, 1)
DAYS = 200
AS_OF = START + timedelta(days=DAYS - 1)  # 2026-07-19
H1 = (date(2026, 1, 1), date(2026, 6, 30))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))
ZERO_STATES = ("MT", "SK")  # member states the generator never uses (no users, no scope lists them)


def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


REGISTRY = ref("metric_registry").set_index("metric_name")["maturity_days"].astype(int)
COUNTRIES = ref("ref_countries")
MEMBER_STATES = sorted(COUNTRIES.loc[COUNTRIES["is_eu_member"] == "true", "country_code"])
AREAS = ["EU", *MEMBER_STATES]
POLICY_TO_DSA = ref("ref_policy_categories").set_index("policy_category")["dsa_category"].to_dict()
REASON_TO_POLICY = ref("ref_report_reason_codes").set_index("reason_code")["policy_category"].to_dict()
ACTION_TO_DSA = {r.action: (r.dsa_decision or "DECISION_NO_RESTRICTION") for r in ref("ref_moderation_actions").itertuples()}
RESTRICTION = {r.action: r.is_restriction == "true" for r in ref("ref_moderation_actions").itertuples()}
BASIS = ref("ref_detection_sources").set_index("detection_source")["dsa_basis"].to_dict()


def cutoff(day: date, maturity: int) -> pd.Timestamp:
    return pd.Timestamp(day + timedelta(days=int(maturity) + 1))


@pytest.fixture(scope="module")
def dsa_build(tmp_path_factory):
    """Generated data (seed 9, 1500 users, 200 days from 2026-01-01, Parquet: CSV landing files are slow to read and the mixed path is covered by the landing fixture), built.

    TSW_DSA_TEST_DB may name a database already built from exactly that data as of
    2026-07-19 (`tsw generate --out L --format parquet --users 1500 --days 200 --seed 9
    --start 2026-01-01`, then `tsw build --landing-dir L --as-of 2026-07-19 --select
    '+dsa_transparency_report +metrics_daily'`), to skip the slow build while developing.
    """
    from tsw.generate import generate_dataset

    prebuilt = os.environ.get("TSW_DSA_TEST_DB")
    if prebuilt:
        db = Path(prebuilt)
        (as_of,) = query(db, "select distinct as_of_date from dsa_transparency_report")[0]
        assert as_of == AS_OF, f"{db} is built as of {as_of}, not {AS_OF}"
        return db
    root = tmp_path_factory.mktemp("dsa")
    landing = root / "landing"
    scenario = generate_dataset(landing, layout="landing", file_format="parquet", seed=9, users=1500,
                                days=DAYS, start_date=START, bad_rate=0.01)
    assert scenario["as_of_date"] == AS_OF.isoformat()
    config = BuildConfig(db_path=root / "dsa.duckdb", target_path=root / "target", landing_dir=landing,
                         as_of_date=AS_OF, target="ci")
    build(config, "--select", "+dsa_transparency_report +metrics_daily", "--indirect-selection", "cautious")
    return Path(config.db_path)


@pytest.fixture(scope="module")
def mart(dsa_build) -> pd.DataFrame:
    return query_df(dsa_build, "select * from dsa_transparency_report")


def mart_cells(mart: pd.DataFrame, grain: str, label: str, section: str) -> dict[tuple[str, str, str], float]:
    rows = mart[(mart.period_grain == grain) & (mart.period_label == label) & (mart.section == section)]
    return {(r.area, r.row_label, r.column_label): r.value for r in rows.itertuples()}


def assert_cells_equal(expected: dict, actual: dict, *, zero_default: set[str], tol: float = 1e-6) -> None:
    """Every mart cell equals the hand count (missing hand cells: 0 for counts, null otherwise)."""
    mismatches = []
    for key, value in actual.items():
        want = expected.get(key, 0.0 if key[2] in zero_default else None)
        if want is None or (isinstance(want, float) and math.isnan(want)):
            ok = value is None or (isinstance(value, float) and math.isnan(value))
        else:
            ok = value is not None and not math.isnan(value) and abs(value - want) <= tol * max(1.0, abs(want))
        if not ok:
            mismatches.append((key, want, value))
    extra = set(expected) - set(actual)
    assert not extra, f"hand-count cells missing from the mart: {sorted(extra)[:5]}"
    assert not mismatches, f"{len(mismatches)} cells differ, e.g. {mismatches[:5]}"


def country_by_user_day(db: Path) -> pd.DataFrame:
    seg = query_df(db, "select user_id, segment_date, upper(country_code) as country_code from int_user_day_segments")
    seg["segment_date"] = pd.to_datetime(seg["segment_date"]).dt.date
    return seg


def member_areas(codes) -> list[str]:
    return sorted({c for c in codes if c in MEMBER_STATES})


def scope_areas(scope: str) -> tuple[list[str], bool, bool]:
    """(member states listed, is_global, in EU view) of a territorial_scope."""
    if scope.strip().lower() == "global":
        return [], True, True
    states = member_areas(scope.replace(" ", "").upper().split("|"))
    return states, False, bool(states)


def expand_scope(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (fact, area) under the scope rule: global in EU only, listed states each and EU once."""
    rows = []
    for rec in frame.to_dict("records"):
        states, is_global, in_eu = scope_areas(rec["territorial_scope"])
        for area in (["EU"] if in_eu else []) + states:
            rows.append({**rec, "area": area, "is_global": is_global})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- hand counts --

def hand_notices(db: Path, start: date, end: date) -> dict:
    m = REGISTRY["report_action_rate"]
    reports = query_df(db, "select * from stg_platform__user_reports where notice_basis = 'illegal_content'")
    decisions = query_df(db, "select target_type, target_id, decided_at, ingested_at, action from stg_platform__moderation_decisions")
    reports["reported_date"] = reports["reported_at"].dt.date
    reports = reports[(reports.reported_date >= start) & (reports.reported_date <= end)]
    reports["cutoff"] = reports["reported_date"].map(lambda d: cutoff(d, m))
    reports = reports[reports.ingested_at < reports.cutoff]
    actions = decisions[decisions.action != "no_action"]
    joined = reports.merge(actions, on=["target_type", "target_id"], suffixes=("", "_d"))
    joined = joined[(joined.decided_at >= joined.reported_at)
                    & (joined.decided_at <= joined.reported_at + pd.Timedelta(hours=168))
                    & (joined.ingested_at_d < joined.cutoff)]
    first = joined.groupby("report_id")["decided_at"].min()
    reports = reports.set_index("report_id")
    reports["first_action_at"] = first
    reports["hours"] = (reports["first_action_at"] - reports["reported_at"]).dt.total_seconds() / 3600
    reports["dsa_category"] = reports["reason_code"].map(REASON_TO_POLICY).map(POLICY_TO_DSA)
    seg = country_by_user_day(db)
    reports = reports.reset_index().merge(seg, left_on=["reporter_id", "reported_date"],
                                          right_on=["user_id", "segment_date"], how="left")
    out: dict = {}
    for area in AREAS:
        in_area = reports if area == "EU" else reports[reports.country_code == area]
        for row_label in [*in_area["dsa_category"].unique(), "TOTAL"]:
            cell = in_area if row_label == "TOTAL" else in_area[in_area.dsa_category == row_label]
            if cell.empty:
                continue
            acted = cell[cell.first_action_at.notna()]
            out[(area, row_label, "notices_received")] = float(len(cell))
            out[(area, row_label, "notices_from_trusted_flaggers")] = float((cell.reporter_type == "trusted_flagger").sum())
            out[(area, row_label, "notices_acted_on")] = float(len(acted))
            out[(area, row_label, "median_hours_notice_to_action")] = float(acted.hours.median()) if len(acted) else None
    return out


def staged_actions(db: Path, start: date, end: date) -> pd.DataFrame:
    m = REGISTRY["enforcement_actions"]
    d = query_df(db, "select * from stg_platform__moderation_decisions where action <> 'no_action'")
    d["decided_date"] = d["decided_at"].dt.date
    d = d[(d.decided_date >= start) & (d.decided_date <= end)]
    d = d[d.ingested_at < d.decided_date.map(lambda x: cutoff(x, m))]
    d["dsa_category"] = d["policy_category"].map(POLICY_TO_DSA).fillna("CATEGORY_NOT_MAPPED")
    d["dsa_decision"] = d["action"].map(ACTION_TO_DSA)
    d["basis"] = d["detection_source"].map(BASIS)
    d["is_restriction"] = d["action"].map(RESTRICTION)
    return d


def hand_own_initiative(db: Path, start: date, end: date) -> dict:
    d = expand_scope(staged_actions(db, start, end).query("basis == 'own_initiative'"))
    out: dict = {}
    for (area, ), in_area in d.groupby(["area"]):
        for row_label in [*in_area["dsa_category"].unique(), "TOTAL"]:
            cell = in_area if row_label == "TOTAL" else in_area[in_area.dsa_category == row_label]
            for decision, n in cell["dsa_decision"].value_counts().items():
                out[(area, row_label, decision)] = float(n)
            out[(area, row_label, "actions_total")] = float(len(cell))
            out[(area, row_label, "share_detected_by_automated_means")] = float((cell.detection_source == "automated_classifier").mean())
            out[(area, row_label, "share_decided_by_automated_means")] = float(cell.is_automated_decision.astype(bool).mean())
    return out


def hand_scope(db: Path, start: date, end: date) -> dict:
    actions = staged_actions(db, start, end)
    d = expand_scope(actions)
    out: dict = {}

    def put(area, row_label, cell):
        out[(area, row_label, "own_initiative")] = float((cell.basis == "own_initiative").sum())
        out[(area, row_label, "notices")] = float((cell.basis == "notice").sum())
        out[(area, row_label, "orders")] = float((cell.basis == "order").sum())
        out[(area, row_label, "total")] = float(len(cell))
        out[(area, row_label, "of_which_restrictions")] = float(cell.is_restriction.sum())

    eu = d[d.area == "EU"]
    put("EU", "scope_global", eu[eu.is_global])
    put("EU", "scope_listed_member_states", eu[~eu.is_global])
    put("EU", "total_in_area", eu)
    outside = actions[[not scope_areas(s)[2] for s in actions.territorial_scope]]
    put("EU", "outside_eu_view_non_eu_countries_only", outside)
    for state in MEMBER_STATES:
        cell = d[d.area == state]
        if len(cell):
            put(state, "scope_listed_member_states", cell)
            put(state, "total_in_area", cell)
    return out, actions, eu


def appeal_copies(db: Path) -> pd.DataFrame:
    """Valid appeal copies, one per (appeal, ingestion instant), with the next copy's instant."""
    a = query_df(db, "select * from base_platform__appeals where reject_reason is null")
    a = a.sort_values(["appeal_id", "ingested_at", "dedup_rank"]).drop_duplicates(["appeal_id", "ingested_at"])
    a["next_known"] = a.groupby("appeal_id")["ingested_at"].shift(-1)
    return a


def latest_at(copies: pd.DataFrame, at: pd.Series) -> pd.Series:
    return (copies.ingested_at < at) & (copies.next_known.isna() | (copies.next_known >= at))


def hand_complaints(db: Path, start: date, end: date) -> dict:
    m = REGISTRY["appeal_overturn_rate"]
    copies = appeal_copies(db)
    decisions = query_df(db, "select decision_id, action, ingested_at as decision_ingested_at, territorial_scope "
                             "from stg_platform__moderation_decisions")
    copies = copies.merge(decisions, on="decision_id", how="inner")
    copies = copies[copies.action != "no_action"]
    events = []
    # received: the copy latest at F(submitted day)
    c = copies.copy()
    c["day"] = c.submitted_at.dt.date
    c["cut"] = c.day.map(lambda x: cutoff(x, m))
    c = c[latest_at(c, c.cut) & (c.decision_ingested_at < c.cut) & (c.day >= start) & (c.day <= end)]
    events.append(c.assign(event="received", hours=None))
    # upheld / reversed / withdrawn: a resolved copy latest at F(its resolved day)
    r = copies[copies.outcome.isin(["upheld", "overturned", "withdrawn"])].copy()
    r["day"] = r.resolved_at.dt.date
    r["cut"] = r.day.map(lambda x: cutoff(x, m))
    r = r[latest_at(r, r.cut) & (r.decision_ingested_at < r.cut) & (r.day >= start) & (r.day <= end)]
    r["event"] = r.outcome.map({"upheld": "upheld", "overturned": "reversed", "withdrawn": "withdrawn"})
    r["hours"] = (r.resolved_at - r.submitted_at).dt.total_seconds() / 3600
    events.append(r)
    # pending: the copy latest at F(period end), submitted by the end, unresolved by the end
    end_cut = cutoff(end, m)
    end_ts = pd.Timestamp(end + timedelta(days=1))
    p = copies[latest_at(copies, pd.Series(end_cut, index=copies.index))]
    p = p[(p.submitted_at < end_ts) & (p.decision_ingested_at < end_cut)
          & ((p.outcome == "pending") | (p.resolved_at >= end_ts))]
    events.append(p.assign(event="pending", hours=None))
    e = expand_scope(pd.concat(events, ignore_index=True))
    out: dict = {}
    names = {"received": "complaints_received", "upheld": "decided_upheld", "reversed": "decided_reversed",
             "withdrawn": "withdrawn", "pending": "pending_at_period_end"}
    for (area, ), cell in e.groupby(["area"]):
        for event, column in names.items():
            out[(area, "TOTAL", column)] = float((cell.event == event).sum())
        decided = cell[cell.event.isin(["upheld", "reversed"])]
        out[(area, "TOTAL", "median_hours_to_resolution")] = float(decided.hours.astype(float).median()) if len(decided) else None
    return out


def hand_recipients(db: Path, start: date, end: date, months: int) -> dict:
    m = REGISTRY["active_users"]
    imp = query_df(db, "select user_id, occurred_at, ingested_at from stg_platform__impressions")
    imp["day"] = imp.occurred_at.dt.date
    imp = imp[(imp.day >= start) & (imp.day <= end)]
    imp = imp[imp.ingested_at < imp.day.map(lambda x: cutoff(x, m))]
    imp = imp.merge(country_by_user_day(db), left_on=["user_id", "day"], right_on=["user_id", "segment_date"])
    imp = imp[imp.country_code.isin(MEMBER_STATES)]
    imp["month"] = imp.day.map(lambda x: x.replace(day=1))
    out: dict = {}
    monthly_eu = imp.groupby("month").user_id.nunique()
    out[("EU", "average_monthly_active_recipients", "average_monthly_active_recipients")] = monthly_eu.sum() / months
    for state, cell in imp.groupby("country_code"):
        out[(state, "average_monthly_active_recipients", "average_monthly_active_recipients")] = (
            cell.groupby("month").user_id.nunique().sum() / months)
    for area in AREAS:
        out[(area, "average_monthly_active_recipients", "months_in_period")] = float(months)
    return out


# ----------------------------------------------------------------------------------- tests --

COUNT_COLUMNS = {r["column_label"] for r in csv.DictReader((REFERENCE_SEEDS_DIR / "ref_dsa_template.csv").open())
                 if r["figure_kind"] in ("count", "average")}


@pytest.mark.parametrize("grain,label,period", [("half_year", "2026H1", H1), ("quarter", "2026Q2", Q2)])
def test_every_figure_equals_a_hand_count(dsa_build, mart, grain, label, period):
    start, end = period
    months = 6 if grain == "half_year" else 3
    scope_out, _, _ = hand_scope(dsa_build, start, end)
    checks = {
        "1_notices": hand_notices(dsa_build, start, end),
        "2_own_initiative": hand_own_initiative(dsa_build, start, end),
        "3_territorial_scope": scope_out,
        "4_complaints": hand_complaints(dsa_build, start, end),
        "5_active_recipients": hand_recipients(dsa_build, start, end, months),
    }
    for section, expected in checks.items():
        actual = mart_cells(mart, grain, label, section)
        assert actual, f"no {section} rows for {label}"
        assert_cells_equal(expected, actual, zero_default=COUNT_COLUMNS)
    # the data has enough of everything for the comparison to mean something
    notices = checks["1_notices"]
    assert notices[("EU", "TOTAL", "notices_received")] > 20
    assert notices[("EU", "TOTAL", "notices_from_trusted_flaggers")] > 0
    assert notices[("EU", "TOTAL", "notices_acted_on")] > 0
    assert checks["4_complaints"][("EU", "TOTAL", "complaints_received")] > 0


def test_global_vs_listed_scope_rule(dsa_build, mart):
    """global: EU total only; listed: each listed member state and once in the EU; non-EU only: nowhere."""
    _, actions, eu = hand_scope(dsa_build, *H1)
    cells = mart_cells(mart, "half_year", "2026H1", "3_territorial_scope")
    n_global = int((actions.territorial_scope == "global").sum())
    de_listed = int(actions.territorial_scope.str.split("|").map(lambda s: "DE" in s).sum())
    non_eu_only = int(sum(not scope_areas(s)[2] for s in actions.territorial_scope))
    assert n_global > 0 and de_listed > 0 and non_eu_only > 0
    assert cells[("EU", "scope_global", "total")] == n_global
    assert cells[("DE", "scope_global", "total")] == 0  # a global action is in no single member state
    assert cells[("DE", "scope_listed_member_states", "total")] == de_listed
    # an action listing FR|BE|LU counts once in the EU total, once in each of FR, BE, LU
    multi = int((actions.territorial_scope == "FR|BE|LU").sum())
    listed_any = int(sum(bool(scope_areas(s)[0]) for s in actions.territorial_scope))
    assert multi > 0
    assert cells[("EU", "scope_listed_member_states", "total")] == listed_any
    assert cells[("LU", "scope_listed_member_states", "total")] == multi
    assert cells[("EU", "total_in_area", "total")] == n_global + listed_any
    assert cells[("EU", "outside_eu_view_non_eu_countries_only", "total")] == non_eu_only
    assert n_global + listed_any + non_eu_only == len(actions)


def test_member_state_without_activity_has_zeros(mart):
    h1 = mart[(mart.period_grain == "half_year") & (mart.period_label == "2026H1")]
    assert sorted(h1.area.unique()) == sorted(AREAS) and len(AREAS) == 28
    for state in ZERO_STATES:
        rows = h1[h1.area == state]
        counts = rows[rows.figure_kind.isin(["count", "average"]) & (rows.column_label != "months_in_period")]
        assert len(counts) > 0 and (counts.value == 0).all(), state
        assert rows[rows.figure_kind.isin(["median_hours", "share"])].value.isna().all()
    # and the same template cells exist for every area
    per_area = h1.groupby("area").size()
    assert per_area.nunique() == 1


def test_finality_follows_the_metrics_maturities(mart):
    h1 = mart[(mart.period_grain == "half_year") & (mart.period_label == "2026H1")]
    assert h1.is_final.all()  # 2026-06-30 + 10 <= 2026-07-19
    by_section = h1.groupby("section").maturity_days.first().to_dict()
    assert by_section == {"1_notices": 10, "2_own_initiative": 3, "3_territorial_scope": 3,
                          "4_complaints": 3, "5_active_recipients": 3}
    h2 = mart[(mart.period_grain == "half_year") & (mart.period_label == "2026H2")]
    assert len(h2) and not h2.is_final.any()  # H2 has not ended by the as-of date
    q2 = mart[(mart.period_grain == "quarter") & (mart.period_label == "2026Q2")]
    assert q2.is_final.all()


def test_eu_totals_reconcile_with_enforcement_actions(dsa_build, mart):
    """Actions of all bases in the EU view + actions outside it = enforcement_actions (region all,
    policy_category all) summed over H1's days in metrics_daily, which are all final."""
    (total,) = query(dsa_build, """
        select sum(value) from metrics_daily
        where metric_name = 'enforcement_actions' and region = 'all' and policy_category = 'all'
          and age_band = 'all' and plan = 'all' and surface = 'all' and feature = 'all'
          and metric_date between date '2026-01-01' and date '2026-06-30' and is_final
    """)[0]
    (days,) = query(dsa_build, """
        select count(distinct metric_date) from metrics_daily
        where metric_name = 'enforcement_actions' and metric_date between date '2026-01-01' and date '2026-06-30'
          and is_final
    """)[0]
    assert days == 181
    cells = mart_cells(mart, "half_year", "2026H1", "3_territorial_scope")
    eu_view = cells[("EU", "total_in_area", "own_initiative")] + cells[("EU", "total_in_area", "notices")] \
        + cells[("EU", "total_in_area", "orders")]
    assert eu_view == cells[("EU", "total_in_area", "total")]
    assert eu_view + cells[("EU", "outside_eu_view_non_eu_countries_only", "total")] == total
    own = mart_cells(mart, "half_year", "2026H1", "2_own_initiative")
    assert own[("EU", "TOTAL", "actions_total")] == cells[("EU", "total_in_area", "own_initiative")]


def test_export_layout_matches_the_template(dsa_build, tmp_path):
    out = tmp_path / "export"
    rc = dsa_report.run(_args(period="2026H1", database=dsa_build, out=out))
    assert rc == 0
    template = pd.read_csv(REFERENCE_SEEDS_DIR / "ref_dsa_template.csv")
    for section, cells in template.groupby("section"):
        path = out / f"{section}.csv"
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        columns = cells.sort_values("column_order").drop_duplicates("column_label").column_label.tolist()
        assert rows[0] == ["area", "row_label", *columns]
        row_labels = cells.sort_values("row_order").drop_duplicates("row_label").row_label.tolist()
        body = rows[1:]
        assert len(body) == len(AREAS) * len(row_labels)
        assert [r[0] for r in body[::len(row_labels)]] == AREAS  # EU first, then member states
        assert [r[1] for r in body[:len(row_labels)]] == row_labels
    summary = (out / "summary.md").read_text()
    assert "FINAL" in summary and "not a filing" in summary
    notices = {(r["area"], r["row_label"]): r for r in csv.DictReader((out / "1_notices.csv").open())}
    (n,) = query(dsa_build, "select value from dsa_transparency_report where period_label = '2026H1' and "
                            "section = '1_notices' and area = 'EU' and row_label = 'TOTAL' and column_label = 'notices_received'")[0]
    assert int(notices[("EU", "TOTAL")]["notices_received"]) == n
    assert notices[("MT", "TOTAL")]["notices_received"] == "0"


def test_provisional_period_and_bad_arguments(dsa_build, tmp_path, capsys):
    assert dsa_report.run(_args(period="2026H2", database=dsa_build, out=tmp_path / "h2")) == 0
    assert "PROVISIONAL" in (tmp_path / "h2" / "summary.md").read_text()
    assert dsa_report.run(_args(period="2026H3", database=dsa_build, out=tmp_path / "x")) == 1
    assert dsa_report.run(_args(period="2026H1", grain="quarter", database=dsa_build, out=tmp_path / "x")) == 1
    assert dsa_report.run(_args(period="2031H1", database=dsa_build, out=tmp_path / "x")) == 1
    assert "no half_year period 2031H1" in capsys.readouterr().out


def _args(**kwargs):
    import argparse

    parser = argparse.ArgumentParser()
    dsa_report.add_arguments(parser)
    argv = []
    for key, value in kwargs.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return parser.parse_args(argv)


def test_notice_matching_agrees_with_report_action_rate(dsa_build):
    """The first-action join of int_dsa_notices finds an action exactly when the reused
    report_action_rate fact (is_actioned_within_168h) says the notice was acted on."""
    rows = query(dsa_build, """
        select
            count(*) as notices,
            count(*) filter (where is_acted_on) as acted_on,
            count(*) filter (where is_acted_on <> (first_action_at is not null)) as disagreeing,
            count(*) filter (where hours_to_action < 0 or hours_to_action > 168) as outside_window
        from int_dsa_notices
    """)
    notices, acted_on, disagreeing, outside_window = rows[0]
    assert notices > 0 and acted_on > 0
    assert disagreeing == 0 and outside_window == 0


def test_late_rows_are_left_out_by_the_cut_off(dsa_build, mart):
    """The data has actions and impressions ingested after their day's finalization instant;
    the H1 figures leave them out (so the hand counts above do test the cut-off)."""
    (late_actions,) = query(dsa_build, """
        select count(*) from stg_platform__moderation_decisions
        where action <> 'no_action' and decided_at < timestamp '2026-07-01'
          and ingested_at >= cast(cast(decided_at as date) + 4 as timestamp)
    """)[0]
    (all_actions,) = query(dsa_build, """
        select count(*) from stg_platform__moderation_decisions
        where action <> 'no_action' and decided_at < timestamp '2026-07-01'
    """)[0]
    assert late_actions > 0
    cells = mart_cells(mart, "half_year", "2026H1", "3_territorial_scope")
    counted = cells[("EU", "total_in_area", "total")] + cells[("EU", "outside_eu_view_non_eu_countries_only", "total")]
    assert counted == all_actions - late_actions


def test_clear_errors_for_missing_sources(tmp_path, capsys):
    import duckdb

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert dsa_report.run(_args(period="2026H1", database=empty, out=tmp_path / "x")) == 1
    assert "has no dsa_transparency_report" in capsys.readouterr().out
    assert dsa_report.run(_args(period="2026H1", release=tmp_path / "nowhere", out=tmp_path / "x")) == 1
    assert "no database at" in capsys.readouterr().out
