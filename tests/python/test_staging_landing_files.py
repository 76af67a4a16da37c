"""Every landing file is read or refused, loudly; malformed CSV lines are quarantined.

A hand-written landing directory plants each case of issue #17 (items 1 and 2): files in
sub-folders (a hive-style `ingest_date=` partition and a deeper folder), upper-case and
compressed extensions, a `.CSV` as a folder's only file, files to ignore, a zero-byte
and a header-only file, CSV lines with a wrong field count, bytes that are not UTF-8 and
a line over 2 MB, a ragged row in a small file, and a table declared absent. Every
expectation is written here by hand. One dbt build serves the tests; the missing-folder
error runs a compile of one model.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import query
from test_staging_bad_input import DEFAULTS, T_INGEST

from tsw.contract import load_contract
from tsw.dbt_runner import BuildConfig, DbtError, run_dbt

AS_OF = date(2026, 3, 20)
SELECT = ["+quarantine_rows", "+dq_raw_reconciliation", "+dq_landing_files"]


def values(table: str, key: str, **overrides: str) -> dict[str, str]:
    contract = load_contract()[table]
    row = {"ingested_at": T_INGEST, **DEFAULTS[table], **overrides}
    if len(contract.key) == 1:
        row[contract.key[0]] = key
    return {c: row[c] for c in contract.column_names}


def csv_text(table: str, rows: list[dict[str, str]]) -> str:
    handle = io.StringIO()
    writer = csv.DictWriter(handle, fieldnames=load_contract()[table].column_names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return handle.getvalue()


def write_parquet(path: Path, table: str, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = load_contract()[table].column_names
    pq.write_table(pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in names}), path)


# users: one good row in each readable place, plus four malformed lines in bad_lines.csv
USER_FILES_READ = {
    "ingest_date=2026-03-10/part-00000.parquet": "u-partition",
    "UPPER.CSV": "u-upper",
    "compressed.csv.gz": "u-gz",
    "nested/deeper/part.Parquet": "u-nested",
}
MALFORMED = {  # line number in bad_lines.csv -> reason code
    3: "wrong_field_count",  # a field short
    4: "wrong_field_count",  # a field too many
    5: "invalid_encoding",
    6: "line_too_long",
}


def write_landing(root: Path) -> None:
    contract = load_contract()
    for name in contract:
        if name in ("users", "impressions", "appeals", "interventions"):
            continue
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "part-0.csv").write_text(csv_text(name, [values(name, f"{name}-1")]))

    users = root / "users"
    users.mkdir(parents=True)
    for relative, key in USER_FILES_READ.items():
        path = users / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = csv_text("users", [values("users", key)])
        if relative.lower().endswith(".parquet"):
            write_parquet(path, "users", [values("users", key)])
        elif relative.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
    (users / "README.txt").write_text("delivered by the platform pipeline\n")
    (users / "_SUCCESS").write_bytes(b"")
    (users / "manifest.json").write_text("{}\n")
    (users / "zero.csv").write_bytes(b"")
    (users / "header_only.csv").write_text(",".join(contract["users"].column_names) + "\n")
    good = csv_text("users", [values("users", "u-good-1")]).encode()
    header, first = good.splitlines()
    last = csv_text("users", [values("users", "u-good-2")]).encode().splitlines()[1]
    lines = [
        header,
        first,
        b"u-short,2026-03-10T12:00:00Z,ios",  # 3 fields of 4
        b"u-long,2026-03-10T12:00:00Z,ios,2026-03-10T13:00:00Z,extra",  # 5 fields of 4
        b"u-bad-\xff\xfe,2026-03-10T12:00:00Z,ios,2026-03-10T13:00:00Z",  # not UTF-8
        b"u-huge," + b"x" * 3_000_000 + b",ios,2026-03-10T13:00:00Z",  # over 2 MB
        last,
    ]
    (users / "bad_lines.csv").write_bytes(b"\n".join(lines) + b"\n")

    # impressions: a small file (two data lines) whose second line is ragged
    impressions = root / "impressions"
    impressions.mkdir(parents=True)
    good_row = csv_text("impressions", [values("impressions", "e-good")])
    (impressions / "part-0.csv").write_text(good_row + "e-ragged,u1,c1,home\n")

    # appeals: a .CSV is the folder's only file
    appeals = root / "appeals"
    appeals.mkdir(parents=True)
    (appeals / "ONLY.CSV").write_text(csv_text("appeals", [values("appeals", "a-only")]))
    # interventions: no folder at all, declared absent


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("staging_landing_files") / "landing"
    write_landing(root)
    return root


@pytest.fixture(scope="module")
def files_build(landing, tmp_path_factory) -> BuildConfig:
    root = tmp_path_factory.mktemp("staging_landing_files_build")
    config = BuildConfig(
        db_path=root / "files.duckdb",
        target_path=root / "target",
        landing_dir=landing,
        as_of_date=AS_OF,
        target="ci",
        extra_vars={"absent_raw_tables": ["interventions"]},
    )
    run_dbt(
        ["build", "--select", *SELECT, "--exclude", "tag:raw_demo", "--indirect-selection", "cautious"],
        config,
        stream=False,
    )
    return config


def staged_keys(db: Path, table: str) -> set[str]:
    key = load_contract()[table].key[0]
    return {k for (k,) in query(db, f"select {key} from stg_platform__{table}")}


def test_files_in_sub_folders_and_any_case_or_compression_are_staged(files_build):
    db = Path(files_build.db_path)
    assert staged_keys(db, "users") == {*USER_FILES_READ.values(), "u-good-1", "u-good-2"}


def test_a_dot_csv_upper_case_as_only_file_is_read(files_build):
    assert staged_keys(Path(files_build.db_path), "appeals") == {"a-only"}


def test_malformed_lines_are_quarantined_with_file_line_and_reason(files_build, landing):
    db = Path(files_build.db_path)
    rows = query(
        db,
        "select source_file, source_line, reason_code, reason_detail from quarantine_rows "
        "where table_name = 'users' order by source_line",
    )
    bad_file = str((landing / "users" / "bad_lines.csv").resolve())
    assert [(f, line, reason) for f, line, reason, _ in rows] == [
        (bad_file, line, reason) for line, reason in MALFORMED.items()
    ]
    assert all(detail for *_, detail in rows)


def test_ragged_row_of_a_small_file_is_quarantined_not_a_missing_column(files_build, landing):
    db = Path(files_build.db_path)
    assert staged_keys(db, "impressions") == {"e-good"}
    rows = query(db, "select source_file, source_line, reason_code from quarantine_rows where table_name = 'impressions'")
    assert rows == [(str((landing / "impressions" / "part-0.csv").resolve()), 3, "wrong_field_count")]


def test_reconciliation_counts_every_row_of_every_file(files_build):
    db = Path(files_build.db_path)
    found = {
        t: (raw, staged, quarantined, malformed, ok)
        for t, raw, staged, quarantined, malformed, ok in query(
            db,
            "select table_name, raw_rows, staged_rows, quarantined_rows, malformed_lines, is_reconciled "
            "from dq_raw_reconciliation",
        )
    }
    expected = {t: (1, 1, 0, 0, True) for t in load_contract()}
    expected["users"] = (len(USER_FILES_READ) + 2 + len(MALFORMED), len(USER_FILES_READ) + 2, len(MALFORMED),
                         len(MALFORMED), True)
    expected["impressions"] = (2, 1, 1, 1, True)
    expected["interventions"] = (0, 0, 0, 0, True)
    assert found == expected


def test_every_file_is_listed_read_empty_or_ignored(files_build, landing):
    db = Path(files_build.db_path)
    rows = query(db, "select file_path, status, malformed_lines from dq_landing_files where table_name = 'users'")
    users = str((landing / "users").resolve())
    listed = {path.removeprefix(users + "/"): (status, malformed) for path, status, malformed in rows}
    assert listed == {
        **{relative: ("read", 0) for relative in USER_FILES_READ},
        "bad_lines.csv": ("read", len(MALFORMED)),
        "header_only.csv": ("read", 0),
        "zero.csv": ("empty", 0),
        "README.txt": ("ignored", 0),
        "_SUCCESS": ("ignored", 0),
        "manifest.json": ("ignored", 0),
    }
    assert query(db, "select status from dq_landing_files where table_name = 'interventions'") == [("absent",)]
    statuses = Counter(s for (s,) in query(db, "select status from dq_landing_files"))
    assert statuses["read"] == len(load_contract()) - 4 + len(USER_FILES_READ) + 2 + 1 + 1


def test_ignored_files_raise_a_dbt_warning(files_build):
    results = json.loads((Path(files_build.target_path) / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    assert statuses["dq_landing_files_no_ignored_files"] == "warn"


def test_missing_table_folder_is_an_error_naming_it(landing, tmp_path):
    config = BuildConfig(
        db_path=tmp_path / "missing.duckdb", target_path=tmp_path / "target", landing_dir=landing,
        as_of_date=AS_OF, target="ci",
    )
    with pytest.raises(DbtError) as failure:
        run_dbt(["compile", "--select", "base_platform__interventions"], config, stream=False)
    message = str(failure.value)
    assert str((landing / "interventions").resolve()) in message
    assert "absent_raw_tables" in message
