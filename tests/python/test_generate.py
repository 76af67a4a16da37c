"""The synthetic data generator: determinism, the committed demo, contract shape, planted bad rows.

The checks here re-read the written files with plain Python (csv, pyarrow) and an
independent implementation of the contract's validity rules, and compare with what the
generator says it planted (scenario.json).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tsw.contract import load_contract, seed_properties_yaml
from tsw.generate import DEMO_PARAMS, generate_dataset
from tsw.paths import DEMO_SEEDS_DIR

SMALL = dict(seed=11, users=200, days=21, start_date=date(2026, 2, 1), bad_rate=0.02)
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)")
EPOCH_2006 = datetime(2006, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------- helpers --

def file_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_rows(root: Path, table: str) -> tuple[list[list[str]], list[dict]]:
    """Headers of every file and all rows (None for null/empty) of one raw table, either layout."""
    headers, rows = [], []
    seed_file = root / f"raw_{table}.csv"
    files = [seed_file] if seed_file.exists() else sorted((root / table).glob("part-*"))
    for path in files:
        if path.suffix == ".parquet":
            data = pq.read_table(path)
            headers.append(data.column_names)
            rows += data.to_pylist()
        else:
            with open(path, newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                headers.append(header)
                rows += [{k: (v if v != "" else None) for k, v in zip(header, line)} for line in reader]
    return headers, rows


def parse_timestamp(value: str) -> datetime | None:
    if not TIMESTAMP.fullmatch(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def parses(data_type: str, value: str) -> bool:
    if data_type == "timestamp":
        return parse_timestamp(value) is not None
    if data_type == "date":
        try:
            date.fromisoformat(value.strip())
            return True
        except ValueError:
            return False
    if data_type == "boolean":
        return value.strip().lower() in ("true", "false")
    if data_type == "decimal":
        try:
            number = float(value)
        except ValueError:
            return False
        return number == number and abs(number) != float("inf")
    return True


def in_range(interval: str, number: float) -> bool:
    low, high = (float(x) for x in interval[1:-1].split(","))
    above = number > low if interval[0] == "(" else number >= low
    below = number < high if interval[-1] == ")" else number <= high
    return above and below


def defects(table, row: dict, knowledge: datetime) -> list[str]:
    """Every rule of the raw contract the row breaks (written independently of staging)."""
    found = []
    for key in table.key:
        if row[key] is None or row[key].strip() == "":
            found.append("missing_key")
    for column in table.columns:
        value = row[column.name]
        if value is None or value.strip() == "":
            if column.name not in table.key and not column.nullable:
                found.append("missing_value")
            continue
        if not parses(column.data_type, value):
            found.append("unparseable_value")
            continue
        if column.enum is not None and value not in column.enum:
            found.append("unknown_enum_value")
        if column.range and not in_range(column.range, float(value)):
            found.append("out_of_range")
        if column.event_time:
            moment = parse_timestamp(value)
            if moment < EPOCH_2006:
                found.append("event_time_before_2006")
            if moment >= knowledge:
                found.append("event_time_in_future")
        if column.not_before:
            other = row[column.not_before[0]]
            earlier = parse_timestamp(other) if other else None
            if earlier is not None and parse_timestamp(value) < earlier:
                found.append(column.not_before[1])
    return found


def knowledge_instant(scenario: dict) -> datetime:
    as_of = date.fromisoformat(scenario["as_of_date"])
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=timezone.utc) + timedelta(days=1)


@pytest.fixture(scope="module")
def small_seeds(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("gen_seeds") / "out"
    return root, generate_dataset(root, layout="seeds", file_format="csv", **SMALL)


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("gen_landing") / "out"
    return root, generate_dataset(root, layout="landing", file_format="mixed", **SMALL)


# ------------------------------------------------------------------------------------ tests --

@pytest.mark.parametrize("layout,file_format", [("seeds", "csv"), ("landing", "mixed"), ("landing", "parquet")])
def test_same_arguments_give_identical_bytes(tmp_path, layout, file_format):
    first = generate_dataset(tmp_path / "a", layout=layout, file_format=file_format, **SMALL)
    second = generate_dataset(tmp_path / "b", layout=layout, file_format=file_format, **SMALL)
    assert first == second
    a, b = file_bytes(tmp_path / "a"), file_bytes(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) > 14
    assert [name for name in a if a[name] != b[name]] == []


def test_another_seed_gives_other_data(tmp_path, small_seeds):
    root, _ = small_seeds
    other = dict(SMALL, seed=SMALL["seed"] + 1)
    generate_dataset(tmp_path / "other", layout="seeds", file_format="csv", **other)
    assert (tmp_path / "other" / "raw_impressions.csv").read_bytes() != (root / "raw_impressions.csv").read_bytes()


def test_committed_demo_seeds_are_reproduced_exactly(tmp_path):
    """Nobody edits seeds/demo by hand: `tsw generate --demo` writes exactly these files."""
    generated = file_bytes(generate_dataset_dir(tmp_path))
    committed = {name: data for name, data in file_bytes(DEMO_SEEDS_DIR).items()}
    assert sorted(generated) == sorted(committed)
    assert [name for name in generated if generated[name] != committed[name]] == []


def generate_dataset_dir(tmp_path: Path) -> Path:
    generate_dataset(tmp_path / "demo", **DEMO_PARAMS)
    return tmp_path / "demo"


def test_demo_is_small_enough_to_commit():
    total = sum(p.stat().st_size for p in DEMO_SEEDS_DIR.iterdir())
    assert total < 25 * 1024 * 1024


def test_demo_scenario_as_of_is_the_last_day():
    scenario = json.loads((DEMO_SEEDS_DIR / "scenario.json").read_text())
    start = DEMO_PARAMS["start_date"]
    assert scenario["as_of_date"] == (start + timedelta(days=DEMO_PARAMS["days"] - 1)).isoformat()
    assert (DEMO_SEEDS_DIR / "_demo__seeds.yml").read_text() == seed_properties_yaml()


@pytest.mark.parametrize("fixture", ["small_seeds", "small_landing"])
def test_headers_follow_the_contract_order(request, fixture):
    root, _ = request.getfixturevalue(fixture)
    for name, table in load_contract().items():
        headers, rows = read_rows(root, name)
        assert headers, name
        assert all(h == table.column_names for h in headers), name
        assert rows, name


@pytest.mark.parametrize("fixture", ["small_seeds", "small_landing"])
def test_planted_bad_rows_match_the_manifest(request, fixture):
    """Independent recount: every row has at most one defect, and the counts per table and
    reason equal scenario.json's bad_input (all planted rows are known at the as-of date)."""
    root, scenario = request.getfixturevalue(fixture)
    knowledge = knowledge_instant(scenario)
    for name, table in load_contract().items():
        _, rows = read_rows(root, name)
        counted: Counter = Counter()
        for row in rows:
            if parse_timestamp(row["ingested_at"]) >= knowledge:
                continue  # not yet known at the as-of date: never checked, never quarantined
            found = defects(table, row, knowledge)
            assert len(found) <= 1, (name, row, found)
            counted.update(found)
        manifest = {reason: n for reason, n in scenario["truths"]["bad_input"][name].items() if n}
        assert dict(counted) == manifest, name
        assert scenario["truths"]["tables"][name]["quarantined_rows"] == sum(counted.values())


def test_every_kind_of_bad_row_is_in_the_demo_wherever_it_applies():
    scenario = json.loads((DEMO_SEEDS_DIR / "scenario.json").read_text())
    bad = scenario["truths"]["bad_input"]
    contract = load_contract()
    for name, table in contract.items():
        expected = {"missing_key", "missing_value", "event_time_in_future", "event_time_before_2006"}
        columns = [c for c in table.columns if c.name not in table.key and c.name != "ingested_at"]
        if any(c.data_type in ("timestamp", "date", "boolean", "decimal") for c in columns):
            expected.add("unparseable_value")
        if any(c.enum for c in columns):
            expected.add("unknown_enum_value")
        if any(c.range for c in columns):
            expected.add("out_of_range")
        expected |= {c.not_before[1] for c in table.columns if c.not_before}
        assert {reason for reason, n in bad[name].items() if n >= 2} == expected, name
    assert bad["appeals"]["resolved_before_submitted"] >= 2
    assert bad["moderation_decisions"]["decided_before_flagged"] >= 2


def test_valid_rows_use_contract_values_and_offsets(small_seeds):
    """Valid rows: enums from the contract, timestamps with an offset, event time <= ingested_at."""
    root, scenario = small_seeds
    knowledge = knowledge_instant(scenario)
    offsets = Counter()
    for name, table in load_contract().items():
        _, rows = read_rows(root, name)
        for row in rows:
            if defects(table, row, knowledge):
                continue
            ingested = parse_timestamp(row["ingested_at"])
            assert ingested is not None
            for column in table.columns:
                value = row[column.name]
                if value is None:
                    continue
                if column.enum is not None:
                    assert value in column.enum, (name, column.name, value)
                if column.data_type == "timestamp":
                    offsets[value[19:]] += 1
                if column.event_time:
                    assert parse_timestamp(value) <= ingested, (name, column.name, row)
    assert offsets["Z"] > sum(offsets.values()) / 2
    assert {"+01:00", "-05:00", "+05:30"} <= set(offsets)


def key_of(table, row: dict) -> tuple:
    return tuple(row[k] for k in table.key)


@pytest.mark.parametrize("fixture", ["small_seeds", "small_landing"])
def test_reconciliation_counts_match_the_files(request, fixture):
    """raw = staged + duplicates + quarantined + not yet known, each recounted from the files."""
    root, scenario = request.getfixturevalue(fixture)
    knowledge = knowledge_instant(scenario)
    for name, table in load_contract().items():
        _, rows = read_rows(root, name)
        stats = scenario["truths"]["tables"][name]
        known = [r for r in rows if parse_timestamp(r["ingested_at"]) < knowledge]
        valid = [r for r in known if not defects(table, r, knowledge)]
        staged = len({key_of(table, r) for r in valid})
        assert stats["raw_rows"] == len(rows), name
        assert stats["not_yet_known_rows"] == len(rows) - len(known), name
        assert stats["staged_rows"] == staged, name
        assert stats["duplicate_rows_known"] == len(valid) - staged, name
        assert stats["raw_rows"] == staged + stats["duplicate_rows_known"] + stats["quarantined_rows"] + stats["not_yet_known_rows"]
    # Duplicate deliveries and late rows are present where the scale allows.
    demo = json.loads((DEMO_SEEDS_DIR / "scenario.json").read_text())["truths"]["tables"]
    assert all(demo[t]["exact_duplicate_deliveries"] >= 2 for t in demo if t != "interventions")
    assert demo["impressions"]["not_yet_known_rows"] > 0
    assert demo["impressions"]["late_over_10_days_rows"] > 0
    assert demo["impressions"]["unknown_reference_rows"] > 0


def test_mixed_landing_holds_csv_and_parquet(small_landing):
    root, _ = small_landing
    suffixes = {p.suffix for p in (root / "impressions").iterdir()}
    assert suffixes == {".csv", ".parquet"}
    for table in load_contract():
        assert any((root / table).glob("part-*")), table
    parquet = next((root / "impressions").glob("*.parquet"))
    assert all(str(field.type) == "string" for field in pq.read_schema(parquet))
    # min/max statistics let a nightly run skip old row groups (raw_rows_since)
    metadata = pq.ParquetFile(parquet).metadata
    column = pq.read_schema(parquet).get_field_index("ingested_at")
    statistics = metadata.row_group(0).column(column).statistics
    assert statistics is not None and statistics.has_min_max


def test_realized_truth_counts_match_the_files(small_seeds):
    """The realized counts in the truths describe the rows actually written."""
    root, scenario = small_seeds
    contract = load_contract()
    truths = scenario["truths"]
    knowledge = datetime(2090, 1, 1, tzinfo=timezone.utc)  # every delivered row, known or not

    def valid_rows(name):
        _, rows = read_rows(root, name)
        return [r for r in rows if not defects(contract[name], r, knowledge)]

    first_contacts = {r["message_id"] for r in valid_rows("messages") if r["is_first_contact"] == "true"}
    assert len(first_contacts) == sum(truths["unwanted_contact_rate_by_age_band"]["realized_first_contacts"].values())
    labeled = defaultdict(set)
    for r in valid_rows("prevalence_labels"):
        labeled[r["sample_stratum"]].add(r["event_id"])
    assert {s: len(v) for s, v in labeled.items() if v} == {
        s: n for s, n in truths["prevalence_by_surface"]["realized_labels"].items() if n
    }
    impressions = {r["event_id"]: r for r in valid_rows("impressions")}
    assert all(event in impressions for events in labeled.values() for event in events)
    assert all(impressions[e]["surface"] == s for s, events in labeled.items() for e in events)
    rates = truths["prevalence_by_surface"]["sampling_rate"]
    assert all(float(r["sampling_rate"]) == rates[r["sample_stratum"]] for r in valid_rows("prevalence_labels"))
    organic = sum(truths["reports_per_active_user_day_by_age_band"]["realized_organic_reports"].values())
    reports = valid_rows("user_reports")
    assert len({r["report_id"] for r in reports}) >= organic
    decisions = valid_rows("moderation_decisions")
    report_ids = {r["report_id"] for r in reports}
    assert all(d["triggering_report_id"] in report_ids for d in decisions if d["triggering_report_id"])


def test_cli_help_explains_every_option(capsys):
    from tsw.cli import main

    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    out = capsys.readouterr().out
    for option in ("--demo", "--out", "--format", "--users", "--days", "--start", "--seed", "--bad-rate"):
        assert option in out
