"""The enforcement, appeals and report-action metric family, checked three ways.

* An independent oracle: pandas, straight from the staged and base tables, with its own
  owner attribution, point-in-time profiles and knowledge-time cut-offs, recomputes every
  cell of every enforcement metric on sampled days and must equal the family output
  (and fct_metrics_daily_unsuppressed where it exists). It runs on a tiny hand-written
  landing directory (always) and on the demo (once its seeds carry decisions).
* Hand-computed truths on the tiny landing directory, including the as-of property: an
  appeal copy ingested after a final day's finalization instant never changes that
  day's appeal_overturn_rate, and a content copy arriving late never moves a final
  enforcement_actions cell to another region.
* Additivity: enforcement_actions adds up across region and policy_category; a rate's
  `all` row is its summed numerators over its summed denominators.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tsw.dbt_runner import BuildConfig, run_dbt

# The metric units' day rows (int_metric_values, period_grain day) with their day as metric_date.
UNIT_DAY_ROWS = (
    "(select * exclude (period_grain, period_start), period_start as metric_date"
    " from int_metric_values where period_grain = 'day') as unit_rows"
)


FAMILY = UNIT_DAY_ROWS
DECIDED_DAY_METRICS = [
    "enforcement_actions",
    "proactive_rate",
    "automated_decision_rate",
    "time_to_action_hours_p50",
    "time_to_action_hours_p90",
    "appeal_rate",
]
RESOLVED_DAY_METRICS = ["appeal_overturn_rate", "appeal_resolution_hours_p50"]
REPORTED_DAY_METRICS = ["report_action_rate"]
ALL_METRICS = DECIDED_DAY_METRICS + RESOLVED_DAY_METRICS + REPORTED_DAY_METRICS
QUANTILES = {"time_to_action_hours_p50": 0.5, "time_to_action_hours_p90": 0.9, "appeal_resolution_hours_p50": 0.5}
PROACTIVE_SOURCES = {"automated_classifier", "human_proactive"}
SEGMENT_COLUMNS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]


# --------------------------------------------------------------------------------------
# The tiny landing directory (every planted fact is commented with its expected effect)
# --------------------------------------------------------------------------------------

LANDING_ROWS: dict[str, list[dict[str, str]]] = {
    "users": [
        {"user_id": u, "created_at": "2026-01-01T00:00:00Z", "signup_platform": "ios",
         "ingested_at": "2026-01-01T00:00:00Z"}
        for u in ["u1", "u2", "u3", "r1"]
    ],
    "user_profile_versions": [
        # user, plan, country, birth date -> region / age band on 2026-06-01
        {"user_id": "u1", "plan": "premium", "country_code": "DE", "birth_date": "1990-05-05"},  # eu
        {"user_id": "u2", "plan": "free", "country_code": "US", "birth_date": "2011-03-03"},  # north_america, 13_15
        {"user_id": "u3", "plan": "student", "country_code": "GB", "birth_date": "2004-07-07"},  # uk, 18_24
        {"user_id": "r1", "plan": "family", "country_code": "FR", "birth_date": "1985-01-01"},  # eu, 35_plus
    ],
    "content": [
        {"content_id": "c1", "creator_id": "u1", "creator_country_code": "", "ingested_at": "2026-01-02T00:00:00Z"},
        {"content_id": "c2", "creator_id": "artist-9", "creator_country_code": "BR",
         "ingested_at": "2026-01-02T00:00:00Z"},
        {"content_id": "c3", "creator_id": "artist-x", "creator_country_code": "",
         "ingested_at": "2026-01-02T00:00:00Z"},
        # c4 moves from JP to US in a copy ingested after 2026-06-01's finalization (06-05)
        {"content_id": "c4", "creator_id": "artist-7", "creator_country_code": "JP",
         "ingested_at": "2026-05-01T00:00:00Z"},
        {"content_id": "c4", "creator_id": "artist-7", "creator_country_code": "US",
         "ingested_at": "2026-06-08T00:00:00Z"},
    ],
    "messages": [
        {"message_id": "m1", "conversation_id": "conv1", "sender_id": "u3", "recipient_id": "u2",
         "is_first_contact": "true", "sender_is_connection": "false", "sent_at": "2026-05-31T10:00:00Z",
         "ingested_at": "2026-05-31T10:05:00Z"},
    ],
    "moderation_decisions": [
        # id, target, category, action, source, automated, flagged, decided, ingested
        ("d1", "content", "c1", "hate_speech", "remove", "automated_classifier", "true",
         "2026-06-01T08:00:00Z", "2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z"),  # eu, 2 h
        ("d2", "user", "u2", "harassment", "suspend_account", "user_report", "false",
         "2026-06-01T09:00:00Z", "2026-06-01T12:00:00Z", "2026-06-01T13:00:00Z"),  # north_america, 3 h
        ("d3", "message", "m1", "harassment", "warn", "human_proactive", "false",
         "2026-06-01T06:00:00Z", "2026-06-01T16:00:00Z", "2026-06-01T17:00:00Z"),  # uk (sender u3), 10 h
        ("d4", "content", "c2", "", "no_action", "trusted_flagger", "false",
         "2026-06-01T10:00:00Z", "2026-06-01T14:00:00Z", "2026-06-01T15:00:00Z"),  # not an action
        ("d5", "content", "c3", "", "label", "trusted_flagger", "false",
         "2026-05-31T12:00:00Z", "2026-06-01T12:00:00Z", "2026-06-01T12:30:00Z"),  # unknown x unknown, 24 h
        ("d6", "content", "c4", "spam_manipulation", "demote", "automated_classifier", "true",
         "2026-06-01T00:00:00Z", "2026-06-01T01:00:00Z", "2026-06-04T12:00:00Z"),  # late but in time, 1 h
        ("d7", "content", "c1", "hate_speech", "remove", "automated_classifier", "true",
         "2026-06-01T18:00:00Z", "2026-06-01T20:00:00Z", "2026-06-05T06:00:00Z"),  # late beyond finality (m=3)
        ("d8", "content", "c2", "hate_speech", "remove", "user_report", "false",
         "2026-06-02T09:00:00Z", "2026-06-02T10:00:00Z", "2026-06-02T11:00:00Z"),  # latin_america
    ],
    "appeals": [
        ("a1", "d1", "u1", "2026-06-02T09:00:00Z", "", "pending", "2026-06-02T10:00:00Z"),
        ("a1", "d1", "u1", "2026-06-02T09:00:00Z", "2026-06-03T09:00:00Z", "overturned", "2026-06-03T10:00:00Z"),
        ("a2", "d2", "u2", "2026-06-02T08:00:00Z", "", "pending", "2026-06-02T08:30:00Z"),
        ("a2", "d2", "u2", "2026-06-02T08:00:00Z", "2026-06-03T14:00:00Z", "upheld", "2026-06-03T16:00:00Z"),
        ("a3", "d5", "artist-x", "2026-06-02T12:00:00Z", "", "pending", "2026-06-03T01:00:00Z"),
        # resolved on 06-03 but ingested after 06-03's finalization instant (06-07 00:00)
        ("a3", "d5", "artist-x", "2026-06-02T12:00:00Z", "2026-06-03T12:00:00Z", "overturned",
         "2026-06-08T00:00:00Z"),
    ],
    "user_reports": [
        # id, reporter, type, target, reason, reported_at -> actioned within 168 h?
        ("rep1", "r1", "user", "content", "c1", "HATE", "2026-06-01T07:00:00Z"),  # yes (d1)
        ("rep2", "r1", "user", "user", "u2", "BULLYING", "2026-06-01T08:30:00Z"),  # yes (d2)
        ("rep3", "tf1", "trusted_flagger", "content", "c2", "SCAM", "2026-06-01T09:30:00Z"),  # yes (d8, not d4)
        ("rep4", "u2", "user", "content", "c3", "SPAM", "2026-05-20T12:00:00Z"),  # no: d5 after 168 h
        ("rep5", "r1", "user", "message", "m1", "HARASSMENT", "2026-06-01T05:00:00Z"),  # yes (d3, a warn)
        ("rep6", "u3", "user", "content", "c4", "OTHER", "2026-06-01T12:00:00Z"),  # no: d6 before the report
    ],
}


def _landing_records() -> dict[str, list[dict[str, str]]]:
    records: dict[str, list[dict[str, str]]] = {"users": LANDING_ROWS["users"]}
    records["user_profile_versions"] = [
        {**row, "valid_from": "2026-01-01T00:00:00Z", "is_managed_account": "false",
         "ingested_at": "2026-01-01T00:00:00Z"}
        for row in LANDING_ROWS["user_profile_versions"]
    ]
    records["content"] = [
        {**row, "content_type": "track", "created_at": "2026-01-01T00:00:00Z", "is_ai_generated": "false",
         "language": "en"}
        for row in LANDING_ROWS["content"]
    ]
    records["messages"] = LANDING_ROWS["messages"]
    records["moderation_decisions"] = [
        {"decision_id": d, "target_type": tt, "target_id": ti, "policy_category": pc, "action": ac,
         "detection_source": ds, "triggering_report_id": "", "is_automated_decision": auto,
         "decision_ground": "none" if ac == "no_action" else "terms_of_service",
         "flagged_at": fl, "decided_at": de, "territorial_scope": "global", "ingested_at": ing}
        for d, tt, ti, pc, ac, ds, auto, fl, de, ing in LANDING_ROWS["moderation_decisions"]
    ]
    records["appeals"] = [
        {"appeal_id": a, "decision_id": d, "appellant_id": who, "submitted_at": sub, "resolved_at": res,
         "outcome": out, "ingested_at": ing}
        for a, d, who, sub, res, out, ing in LANDING_ROWS["appeals"]
    ]
    records["user_reports"] = [
        {"report_id": r, "reporter_id": who, "reporter_type": kind, "notice_basis": "terms_of_service",
         "target_type": tt, "target_id": ti, "reason_code": reason, "surface": "home", "reported_at": at,
         "ingested_at": (datetime.fromisoformat(at.replace("Z", "")) + timedelta(minutes=5)).isoformat() + "Z"}
        for r, who, kind, tt, ti, reason, at in LANDING_ROWS["user_reports"]
    ]
    return records


def write_tiny_landing(root: Path) -> Path:
    """The planted landing directory; tables not listed get an empty folder (no rows)."""
    from tsw.contract import load_contract

    landing = root / "landing"
    records = _landing_records()
    for table in load_contract().values():
        folder = landing / table.name
        folder.mkdir(parents=True, exist_ok=True)
        rows = records.get(table.name)
        if not rows:
            continue
        with open(folder / "part-0.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=table.column_names)
            writer.writeheader()
            for row in rows:
                writer.writerow({column: row.get(column, "") for column in table.column_names})
    return landing


def build_enforcement(root: Path, landing: Path | None, as_of: date) -> BuildConfig:
    """Build the metric units, the enforcement mart and (when it builds) the restricted metrics table."""
    config = BuildConfig(
        db_path=root / f"enf_{as_of.isoformat()}.duckdb",
        target_path=root / f"target_{as_of.isoformat()}",
        landing_dir=landing,
        as_of_date=as_of,
        target="ci",
        # the grid's days start at the first impression day; the tiny landing has none
        extra_vars={"metrics_start_date": "2026-05-15"},
    )
    selection = ["+int_metric_values", "+fct_enforcement_actions_daily"]
    run_dbt(["seed", "--select", "tag:reference"], config, stream=False)
    run_dbt(["run", "--select", *selection, "stg_platform__appeals"], config, stream=False)
    # the restricted table also needs the other families: best effort, checked when present
    run_dbt(
        ["run", "--select", "+fct_metrics_daily_unsuppressed", "--exclude", *selection],
        config,
        stream=False,
        check=False,
    )
    return config


# --------------------------------------------------------------------------------------
# The independent oracle
# --------------------------------------------------------------------------------------


def _cutoff(day: date, maturity: int) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.Timedelta(days=maturity + 1)


def _age_band(birth: date | None, on: date) -> str:
    if birth is None or pd.isna(birth) or birth < date(1900, 1, 1) or birth > on:
        return "unknown"
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    for limit, band in [(12, "under_13"), (15, "13_15"), (17, "16_17"), (24, "18_24"), (34, "25_34")]:
        if age <= limit:
            return band
    return "35_plus"


@dataclass
class Segment:
    age_band: str
    region: str
    plan: str


UNKNOWN = Segment("unknown", "unknown", "unknown")


class Oracle:
    """Every enforcement metric recomputed in pandas from staged / base tables."""

    def __init__(self, db_path: Path) -> None:
        with duckdb.connect(str(db_path), read_only=True) as con:
            def frame(sql: str) -> pd.DataFrame:
                return con.execute(sql).df()

            self.decisions = frame("select * from stg_platform__moderation_decisions")
            self.reports = frame("select * from stg_platform__user_reports")
            self.messages = frame("select * from stg_platform__messages")
            self.content = frame("select * from base_platform__content where reject_reason is null")
            self.appeals = frame("select * from base_platform__appeals where reject_reason is null")
            self.profiles = frame("select * from base_platform__user_profile_versions where reject_reason is null")
            users = frame("select user_id, min(ingested_at) as first_known from base_platform__users "
                          "where reject_reason is null group by user_id")
            self.countries = dict(frame("select country_code, region from ref_countries").values.tolist())
            self.reasons = dict(
                frame("select reason_code, policy_category from ref_report_reason_codes").values.tolist()
            )
            self.maturity = {
                name: int(m) for name, m in frame("select metric_name, maturity_days from metric_registry").values
            }
        self.user_first_known = dict(zip(users.user_id, users.first_known))
        self._profile_versions = self._index_profiles()

    # -- point-in-time profiles: end-of-day rule, a copy takes effect at max(valid_from, ingested_at)
    def _index_profiles(self) -> dict[str, list[tuple]]:
        versions: dict[str, list[tuple]] = {}
        profiles = self.profiles.sort_values(["user_id", "valid_from", "ingested_at", "dedup_rank"],
                                             ascending=[True, True, True, False])
        previous: dict[tuple, tuple] = {}
        for row in profiles.itertuples():
            state = (row.plan, row.country_code, row.birth_date, row.is_managed_account)
            key = (row.user_id, row.valid_from)
            if previous.get(key) == state:
                continue  # an identical re-delivery changes nothing
            previous[key] = state
            effective = max(row.valid_from, row.ingested_at)
            versions.setdefault(row.user_id, []).append((effective, row.ingested_at, row.valid_from, state))
        return versions

    def segment(self, user_id: str | None, day: date) -> Segment:
        if user_id is None or pd.isna(user_id):
            return UNKNOWN
        first_known = self.user_first_known.get(user_id)
        end_of_day = pd.Timestamp(day) + pd.Timedelta(days=1)
        if first_known is None or not first_known < end_of_day:
            return UNKNOWN
        holding = [v for v in self._profile_versions.get(user_id, []) if v[0] < end_of_day]
        if not holding:
            return UNKNOWN
        plan, country, birth, _ = max(holding, key=lambda v: (v[0], v[1], v[2]))[3]
        birth_date = None if birth is None or pd.isna(birth) else pd.Timestamp(birth).date()
        return Segment(_age_band(birth_date, day), self.countries.get(country, "unknown"), plan)

    # -- owner attribution as known at a cut-off
    def owner_region(self, decision, cutoff: pd.Timestamp) -> str:
        day = decision.decided_at.date()
        if decision.target_type == "user":
            return self.segment(decision.target_id, day).region
        if decision.target_type == "message":
            message = self.messages[(self.messages.message_id == decision.target_id)
                                    & (self.messages.ingested_at < cutoff)]
            return "unknown" if message.empty else self.segment(message.sender_id.iloc[0], day).region
        copies = self.content[(self.content.content_id == decision.target_id) & (self.content.ingested_at < cutoff)]
        if copies.empty:
            return "unknown"
        latest = copies.sort_values(["ingested_at", "dedup_rank"], ascending=[False, True]).iloc[0]
        profile = self.segment(latest.creator_id, day)
        if profile is not UNKNOWN:
            return profile.region
        country = latest.creator_country_code
        return self.countries.get(country, "unknown") if isinstance(country, str) else "unknown"

    def appeal_copy(self, appeal_id: str, cutoff: pd.Timestamp):
        copies = self.appeals[(self.appeals.appeal_id == appeal_id) & (self.appeals.ingested_at < cutoff)]
        if copies.empty:
            return None
        return copies.sort_values(["ingested_at", "dedup_rank"], ascending=[False, True]).iloc[0]

    # -- units of each metric day: (region, policy_category[, age_band, plan], measure)
    def decided_day_units(self, metric: str, day: date) -> list[dict]:
        cutoff = _cutoff(day, self.maturity[metric])
        rows = self.decisions[(self.decisions.decided_at.dt.date == day) & (self.decisions.action != "no_action")
                              & (self.decisions.ingested_at < cutoff)]
        units = []
        for decision in rows.itertuples():
            unit = {
                "region": self.owner_region(decision, cutoff),
                "policy_category": decision.policy_category if isinstance(decision.policy_category, str)
                else "unknown",
            }
            if metric == "enforcement_actions":
                unit["y"] = 1
            elif metric == "proactive_rate":
                unit["y"] = int(decision.detection_source in PROACTIVE_SOURCES)
            elif metric == "automated_decision_rate":
                unit["y"] = int(bool(decision.is_automated_decision))
            elif metric == "appeal_rate":
                unit["y"] = 0
                for appeal_id in self.appeals[self.appeals.decision_id == decision.decision_id].appeal_id.unique():
                    copy = self.appeal_copy(appeal_id, cutoff)
                    if copy is None or copy.decision_id != decision.decision_id:
                        continue
                    if decision.decided_at <= copy.submitted_at <= decision.decided_at + pd.Timedelta(hours=720):
                        unit["y"] = 1
            else:
                unit["y"] = (decision.decided_at - decision.flagged_at).total_seconds() / 3600
            units.append(unit)
        return units

    def resolved_day_units(self, metric: str, day: date) -> list[dict]:
        cutoff = _cutoff(day, self.maturity[metric])
        decisions = self.decisions.set_index("decision_id")
        units = []
        for appeal_id in self.appeals.appeal_id.unique():
            copy = self.appeal_copy(appeal_id, cutoff)
            if copy is None or copy.outcome not in ("upheld", "overturned") or copy.resolved_at.date() != day:
                continue
            if copy.decision_id not in decisions.index:
                continue
            decision = decisions.loc[copy.decision_id]
            if decision.action == "no_action" or not decision.ingested_at < cutoff:
                continue
            decision_row = pd.Series({**decision.to_dict(), "decision_id": copy.decision_id})
            units.append({
                "region": self.owner_region(decision_row, cutoff),
                "policy_category": decision.policy_category if isinstance(decision.policy_category, str)
                else "unknown",
                "y": int(copy.outcome == "overturned") if metric == "appeal_overturn_rate"
                else (copy.resolved_at - copy.submitted_at).total_seconds() / 3600,
            })
        return units

    def reported_day_units(self, day: date) -> list[dict]:
        cutoff = _cutoff(day, self.maturity["report_action_rate"])
        reports = self.reports[(self.reports.reported_at.dt.date == day) & (self.reports.ingested_at < cutoff)]
        actions = self.decisions[(self.decisions.action != "no_action") & (self.decisions.ingested_at < cutoff)]
        units = []
        for report in reports.itertuples():
            hits = actions[(actions.target_type == report.target_type) & (actions.target_id == report.target_id)
                           & (actions.decided_at >= report.reported_at)
                           & (actions.decided_at <= report.reported_at + pd.Timedelta(hours=168))]
            segment = self.segment(report.reporter_id, day)
            units.append({
                "age_band": segment.age_band, "region": segment.region, "plan": segment.plan,
                "policy_category": self.reasons.get(report.reason_code, "unknown"), "y": int(not hits.empty),
            })
        return units

    def cells(self, metric: str, day: date) -> dict[tuple, dict]:
        """Every non-empty cell of the metric on the day: segment tuple -> parts."""
        if metric in DECIDED_DAY_METRICS:
            units, columns = self.decided_day_units(metric, day), ["region", "policy_category"]
        elif metric in RESOLVED_DAY_METRICS:
            units, columns = self.resolved_day_units(metric, day), ["region", "policy_category"]
        else:
            units, columns = self.reported_day_units(day), ["age_band", "region", "plan", "policy_category"]
        groupings: list[list[str]] = [[]] + [[c] for c in columns]
        if "age_band" in columns:
            groupings += [["age_band", c] for c in columns if c != "age_band"]
        cells: dict[tuple, list[dict]] = {}
        for grouping in groupings:
            for unit in units:
                key = tuple(unit[c] if c in grouping else "all" for c in SEGMENT_COLUMNS)
                cells.setdefault(key, []).append(unit)
        out = {}
        for key, members in cells.items():
            ys = [m["y"] for m in members]
            if metric in QUANTILES:
                out[key] = {"numerator": None, "denominator": None, "sample_size": len(ys),
                            "value": float(pd.Series(ys).quantile(QUANTILES[metric], interpolation="linear"))}
            elif metric == "enforcement_actions":
                out[key] = {"numerator": float(sum(ys)), "denominator": None, "sample_size": len(ys), "value": None}
            else:
                out[key] = {"numerator": float(sum(ys)), "denominator": float(len(ys)), "sample_size": len(ys),
                            "value": None}
        return out


def _family_cells(db_path: Path, metric: str, day: date, table: str = FAMILY) -> dict[tuple, dict]:
    frame = _frame(db_path, table)
    frame = frame[(frame.metric_name == metric) & (frame.metric_date.dt.date == day)]
    out = {}
    for row in frame.itertuples():
        key = tuple(getattr(row, c) for c in SEGMENT_COLUMNS)
        assert key not in out, f"duplicate family row {metric} {day} {key}"
        out[key] = {
            "numerator": None if pd.isna(row.numerator) else float(row.numerator),
            "denominator": None if pd.isna(row.denominator) else float(row.denominator),
            "sample_size": int(row.sample_size),
            "value": None if pd.isna(row.value) else float(row.value),
        }
    return out


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_oracle_matches(db_path: Path, days: list[date]) -> int:
    """Every family cell of every metric on `days` equals the oracle; returns cells checked."""
    oracle = Oracle(db_path)
    has_restricted = _has_table(db_path, "fct_metrics_daily_unsuppressed")
    checked = 0
    for metric in ALL_METRICS:
        for day in days:
            expected = oracle.cells(metric, day)
            actual = _family_cells(db_path, metric, day)
            assert set(actual) == set(expected), (metric, day, set(actual) ^ set(expected))
            for key, parts in expected.items():
                for part, value in parts.items():
                    assert _same(actual[key][part], value), (metric, day, key, part, actual[key][part], value)
            checked += len(expected)
            if has_restricted:
                _assert_restricted_matches(db_path, metric, day, expected)
    return checked


_FRAMES: dict[tuple[Path, str], pd.DataFrame] = {}


def _frame(db_path: Path, table: str) -> pd.DataFrame:
    """The enforcement rows of a metrics table, read once per build (builds never change after)."""
    if (db_path, table) not in _FRAMES:
        metrics = "('" + "', '".join(ALL_METRICS) + "')"
        with duckdb.connect(str(db_path), read_only=True) as con:
            _FRAMES[(db_path, table)] = con.execute(
                f"select * from {table} where metric_name in {metrics}"
            ).df()
    return _FRAMES[(db_path, table)]


def _has_table(db_path: Path, name: str) -> bool:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return bool(con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchone()[0])


def _assert_restricted_matches(db_path: Path, metric: str, day: date, expected: dict[tuple, dict]) -> None:
    """The restricted table carries the oracle's parts in the oracle's cells, zeros elsewhere."""
    restricted = _family_cells(db_path, metric, day, "fct_metrics_daily_unsuppressed")
    if not restricted:
        return  # the day is outside the grid's days
    for key, parts in expected.items():
        assert key in restricted, (metric, day, key, "missing from the grid")
        assert restricted[key]["sample_size"] == parts["sample_size"], (metric, day, key)
        if metric in QUANTILES:
            assert _same(restricted[key]["value"], parts["value"]), (metric, day, key)
        else:
            assert _same(restricted[key]["numerator"], parts["numerator"]), (metric, day, key)
            if parts["denominator"]:
                assert _same(restricted[key]["value"], parts["numerator"] / parts["denominator"]), (metric, day, key)
    for key, parts in restricted.items():
        if key not in expected:
            assert parts["sample_size"] == 0, (metric, day, key, "grid cell without data has units")


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------

EARLY_AS_OF = date(2026, 6, 6)   # 06-03 is final (m = 3); a3's late copy is not yet known
LATE_AS_OF = date(2026, 6, 10)   # a3's late copy and c4's late copy are known


@pytest.fixture(scope="module")
def tiny_builds(tmp_path_factory) -> dict[date, Path]:
    root = tmp_path_factory.mktemp("enforcement")
    landing = write_tiny_landing(root)
    return {as_of: Path(build_enforcement(root, landing, as_of).db_path) for as_of in (EARLY_AS_OF, LATE_AS_OF)}


def _cell(db_path: Path, metric: str, day: date, **segments: str) -> dict:
    cells = _family_cells(db_path, metric, day)
    key = tuple(segments.get(c, "all") for c in SEGMENT_COLUMNS)
    return cells.get(key, {"numerator": None, "denominator": None, "sample_size": 0, "value": None})


def _query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# --------------------------------------------------------------------------------------
# Hand-computed truths on the tiny landing directory
# --------------------------------------------------------------------------------------

JUNE_1, JUNE_2, JUNE_3 = date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)


@pytest.mark.parametrize("as_of", [EARLY_AS_OF, LATE_AS_OF])
def test_decided_day_metrics_match_hand_computation(tiny_builds, as_of):
    db = tiny_builds[as_of]
    # d1, d2, d3, d5, d6; d4 is no_action, d7 arrived after 06-01's finalization instant
    assert _cell(db, "enforcement_actions", JUNE_1)["numerator"] == 5
    for region in ["eu", "north_america", "uk", "unknown", "asia_pacific"]:
        assert _cell(db, "enforcement_actions", JUNE_1, region=region)["numerator"] == 1, region
    assert _cell(db, "enforcement_actions", JUNE_1, policy_category="harassment")["numerator"] == 2
    assert _cell(db, "enforcement_actions", JUNE_1, policy_category="unknown")["numerator"] == 1
    assert _cell(db, "enforcement_actions", JUNE_2, region="latin_america")["numerator"] == 1
    proactive = _cell(db, "proactive_rate", JUNE_1)
    assert (proactive["numerator"], proactive["denominator"]) == (3, 5)
    automated = _cell(db, "automated_decision_rate", JUNE_1)
    assert (automated["numerator"], automated["denominator"]) == (2, 5)
    # hours to action 1, 2, 3, 10, 24
    assert _cell(db, "time_to_action_hours_p50", JUNE_1)["value"] == pytest.approx(3.0)
    assert _cell(db, "time_to_action_hours_p90", JUNE_1)["value"] == pytest.approx(10 + 0.6 * 14)
    assert _cell(db, "time_to_action_hours_p90", JUNE_1)["sample_size"] == 5
    # appeal_rate (m = 33, not final): d7 counts; d1, d2, d5 appealed within 720 h
    appeal_rate = _cell(db, "appeal_rate", JUNE_1)
    assert (appeal_rate["numerator"], appeal_rate["denominator"]) == (3, 6)


def test_late_content_copy_moves_only_non_final_cells(tiny_builds):
    """c4's US copy (ingested 06-08) is after 06-01's finalization for m = 3, not for m = 33."""
    for as_of in (EARLY_AS_OF, LATE_AS_OF):
        assert _cell(tiny_builds[as_of], "enforcement_actions", JUNE_1, region="asia_pacific")["numerator"] == 1
    assert _cell(tiny_builds[EARLY_AS_OF], "appeal_rate", JUNE_1, region="north_america")["denominator"] == 1
    assert _cell(tiny_builds[LATE_AS_OF], "appeal_rate", JUNE_1, region="north_america")["denominator"] == 2


def test_late_appeal_copy_does_not_change_a_final_overturn_rate(tiny_builds):
    """a3's overturned copy, resolved 06-03, arrives 06-08: after 06-03's finalization instant."""
    early, late = tiny_builds[EARLY_AS_OF], tiny_builds[LATE_AS_OF]
    # the late copy is known to the later build and is the staged (latest) copy there ...
    assert _query(late, "select outcome from stg_platform__appeals where appeal_id = 'a3'") == [("overturned",)]
    assert _query(early, "select outcome from stg_platform__appeals where appeal_id = 'a3'") == [("pending",)]
    # ... yet 06-03, final in both builds, keeps a1 overturned / (a1, a2): 1 of 2
    for db in (early, late):
        overturn = _cell(db, "appeal_overturn_rate", JUNE_3)
        assert (overturn["numerator"], overturn["denominator"], overturn["sample_size"]) == (1, 2, 2)
        assert _cell(db, "appeal_overturn_rate", JUNE_3, region="unknown")["sample_size"] == 0
        assert _cell(db, "appeal_overturn_rate", JUNE_3, region="eu")["numerator"] == 1
        # resolution hours 24 (a1) and 30 (a2)
        assert _cell(db, "appeal_resolution_hours_p50", JUNE_3)["value"] == pytest.approx(27.0)
    assert _family_cells(early, "appeal_overturn_rate", JUNE_3) == _family_cells(late, "appeal_overturn_rate", JUNE_3)


def test_report_action_rate_matches_hand_computation(tiny_builds):
    db = tiny_builds[LATE_AS_OF]
    # rep1, rep2, rep3 (actioned by d8, not by d4's no_action), rep5 (a warn) of rep1-3, 5, 6
    total = _cell(db, "report_action_rate", JUNE_1)
    assert (total["numerator"], total["denominator"]) == (4, 5)
    # r1 (eu, family, 35_plus): rep1, rep2, rep5 all actioned
    r1 = _cell(db, "report_action_rate", JUNE_1, age_band="35_plus", plan="family")
    assert (r1["numerator"], r1["denominator"]) == (3, 3)
    # tf1 has no profile: unknown everywhere
    assert _cell(db, "report_action_rate", JUNE_1, region="unknown")["denominator"] == 1
    assert _cell(db, "report_action_rate", JUNE_1, policy_category="other_terms_violation")["numerator"] == 0
    # rep4: d5 came after 168 h
    assert _cell(db, "report_action_rate", date(2026, 5, 20), age_band="13_15")["numerator"] == 0


def test_mart_counts_decisions_as_enforcement_actions_does(tiny_builds):
    db = tiny_builds[LATE_AS_OF]
    rows = _query(db, """
        select region, policy_category, action, detection_source, decisions, actions, automated_decisions,
            dsa_restriction_type, is_own_initiative, is_final
        from fct_enforcement_actions_daily where decided_date = ? order by all""", [JUNE_1])
    assert ("latin_america", "none", "no_action", "trusted_flagger", 1, 0, 0, "none", False, True) in rows
    assert ("asia_pacific", "spam_manipulation", "demote", "automated_classifier", 1, 1, 1, "visibility", True,
            True) in rows
    assert sum(r[5] for r in rows) == _cell(db, "enforcement_actions", JUNE_1)["numerator"] == 5
    assert sum(r[4] for r in rows) == 6  # d4 included as a decision


@pytest.mark.parametrize("as_of", [EARLY_AS_OF, LATE_AS_OF])
def test_oracle_matches_family_on_tiny_landing(tiny_builds, as_of):
    days = [date(2026, 5, 20), JUNE_1, JUNE_2, JUNE_3]
    assert assert_oracle_matches(tiny_builds[as_of], days) > 30


@pytest.mark.parametrize("as_of", [EARLY_AS_OF, LATE_AS_OF])
def test_additivity(tiny_builds, as_of):
    assert_additive(tiny_builds[as_of])


def test_oracle_detects_a_wrong_owner(tiny_builds):
    """The oracle can fail: re-attributing one decision to another region breaks the match."""
    oracle = Oracle(tiny_builds[LATE_AS_OF])
    cells = oracle.cells("enforcement_actions", JUNE_1)
    family = _family_cells(tiny_builds[LATE_AS_OF], "enforcement_actions", JUNE_1)
    assert cells == family
    oracle.countries["JP"] = "eu"
    assert oracle.cells("enforcement_actions", JUNE_1) != family


# --------------------------------------------------------------------------------------
# Additivity (family rows; any build)
# --------------------------------------------------------------------------------------


def assert_additive(db_path: Path) -> None:
    """Counts add up across region and policy_category; rate all rows = summed parts."""
    metrics = "('" + "', '".join(ALL_METRICS) + "')"
    problems = _query(db_path, f"""
        with rows as (
            select * from {FAMILY} where metric_name in {metrics}
        ),
        totals as (
            select metric_name, metric_date, numerator, denominator, sample_size from rows
            where age_band = 'all' and region = 'all' and plan = 'all' and policy_category = 'all'
        ),
        breakdowns as (
            select metric_name, metric_date, column_name,
                sum(numerator) as numerator, sum(denominator) as denominator, sum(sample_size) as sample_size
            from (
                select *, 'region' as column_name from rows
                where region <> 'all' and age_band = 'all' and plan = 'all' and policy_category = 'all'
                union all
                select *, 'policy_category' from rows
                where policy_category <> 'all' and age_band = 'all' and plan = 'all' and region = 'all'
                union all
                select *, 'age_band' from rows
                where age_band <> 'all' and region = 'all' and plan = 'all' and policy_category = 'all'
                union all
                select *, 'plan' from rows
                where plan <> 'all' and age_band = 'all' and region = 'all' and policy_category = 'all'
            )
            group by all
        )
        select breakdowns.*, totals.numerator, totals.denominator, totals.sample_size
        from breakdowns
        left join totals using (metric_name, metric_date)
        where
            totals.sample_size is distinct from breakdowns.sample_size
            or abs(coalesce(totals.numerator, 0) - coalesce(breakdowns.numerator, 0)) > 1e-9
            or abs(coalesce(totals.denominator, 0) - coalesce(breakdowns.denominator, 0)) > 1e-9
    """)
    assert problems == []
    # the additivity above also covers rates: their all row's value is summed numerator /
    # summed denominator because the all row's parts equal the sums checked here
    count = _query(db_path, f"select count(*) from {FAMILY} where metric_name = 'enforcement_actions'")[0][0]
    assert count > 0
    mart_vs_metric = _query(db_path, f"""
        with mart as (
            select decided_date as metric_date, sum(actions) as actions
            from fct_enforcement_actions_daily group by all having sum(actions) > 0
        ),
        metric as (
            select metric_date, numerator as actions from {FAMILY}
            where metric_name = 'enforcement_actions' and region = 'all' and policy_category = 'all'
        )
        select * from mart full join metric using (metric_date)
        where mart.actions is distinct from metric.actions
    """)
    assert mart_vs_metric == []


# --------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------


def _demo_days(db_path: Path, count: int = 3) -> list[date]:
    """A few demo days with decisions and resolved appeals (first, middle, last)."""
    days = [row[0] for row in _query(db_path, """
        select distinct cast(decided_at as date) from stg_platform__moderation_decisions order by 1""")]
    if not days:
        return []
    picks = {days[0], days[len(days) // 2], days[-1]}
    resolved = [row[0] for row in _query(db_path, """
        select distinct cast(resolved_at as date) from stg_platform__appeals
        where outcome in ('upheld', 'overturned') order by 1""")]
    if resolved:
        picks.add(resolved[len(resolved) // 2])
    return sorted(picks)[:count + 1]


def test_oracle_matches_family_on_demo(demo_db):
    days = _demo_days(demo_db)
    if not days:
        pytest.skip("the demo seeds carry no moderation decisions yet")
    assert assert_oracle_matches(demo_db, days) > 0


def test_additivity_on_demo(demo_db):
    if not _query(demo_db, "select count(*) from stg_platform__moderation_decisions")[0][0]:
        pytest.skip("the demo seeds carry no moderation decisions yet")
    assert_additive(demo_db)
