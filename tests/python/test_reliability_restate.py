"""`tsw restate`: an announced restatement recorded in the published-values log (no hand edits).

Hand-made databases (tests/python/test_publish_audit.py's `make_work_db`), no dbt needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from tsw import audit
from tsw.restate import restate

from test_publish_audit import make_work_db


def test_restatement_makes_the_audit_accept_the_new_value_and_only_it(tmp_path):
    log = tmp_path / "published_values"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb", value=0.25), log, release_id="r1")
    corrected = make_work_db(tmp_path / "b.duckdb", value=0.26)
    assert not audit.audit(corrected, log).passed

    record = restate(corrected, log, reason="labels feed re-delivered for 2026-05-01", restatement_id="restate-1")
    assert [c["entry_kind"] for c in record.cells] == ["correction"]
    assert audit.audit(corrected, log).passed
    # Any further silent change is still caught.
    assert not audit.audit(make_work_db(tmp_path / "c.duckdb", value=0.27), log).passed
    # The audit trail: the log rows carry id and reason; a readable record lists old and new values.
    with duckdb.connect() as con:
        rows = con.execute(
            f"select entry_kind, restatement_id, restatement_reason, value from read_parquet('{log}/pub-restate-1.parquet')"
        ).fetchall()
    assert rows == [("correction", "restate-1", "labels feed re-delivered for 2026-05-01", 0.26)]
    trail = json.loads((log / "restatements" / "restate-1.json").read_text())
    assert trail["reason"] == "labels feed re-delivered for 2026-05-01"
    assert trail["cells"][0]["logged_value"] == 0.25 and trail["cells"][0]["current_value"] == 0.26
    # Nothing is appended again by the next publication of the corrected build.
    assert audit.append_to_log(corrected, log, release_id="r2") == 0


def test_a_wrongly_final_cell_is_retracted_and_logged_again_once_final(tmp_path):
    log = tmp_path / "published_values"
    audit.append_to_log(make_work_db(tmp_path / "future.duckdb", value=0.0), log, release_id="r1")  # a future-date build
    not_final = make_work_db(tmp_path / "b.duckdb", value=0.3, final=False)
    assert [v["change"] for v in audit.audit(not_final, log).violations] == ["final row missing"]
    record = restate(not_final, log, reason="published as of a wrong (future) date")
    assert [c["entry_kind"] for c in record.cells] == ["retraction"]
    assert audit.audit(not_final, log).passed
    # When the day becomes final for real, its value is logged and checked again.
    final = make_work_db(tmp_path / "c.duckdb", value=0.3)
    assert audit.audit(final, log).passed
    assert audit.append_to_log(final, log, release_id="r2") == 1
    assert not audit.audit(make_work_db(tmp_path / "d.duckdb", value=0.31), log).passed


def test_restatement_needs_a_reason_and_honours_the_selection(tmp_path):
    log = tmp_path / "published_values"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb", value=0.25), log, release_id="r1")
    corrected = make_work_db(tmp_path / "b.duckdb", value=0.26)
    with pytest.raises(ValueError, match="reason"):
        restate(corrected, log, reason="  ")
    assert restate(corrected, log, reason="x", metrics=["other_metric"]).cells == []
    assert restate(corrected, log, reason="x", date_from=date(2026, 5, 2)).cells == []
    assert len(restate(corrected, log, reason="x", dry_run=True).cells) == 1
    assert not audit.audit(corrected, log).passed  # dry run and empty selections wrote nothing


def test_cli_restate_reads_the_failed_database_by_default(tmp_path):
    warehouse = tmp_path / "wh"
    log = warehouse / "published_values"
    audit.append_to_log(make_work_db(tmp_path / "a.duckdb", value=0.25), log, release_id="r1")
    make_work_db(warehouse / "work.failed.duckdb", value=0.26)
    result = subprocess.run(
        [sys.executable, "-m", "tsw.cli", "restate", "--warehouse", str(warehouse), "--reason", "late labels"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 corrections" in result.stdout
    assert audit.audit(warehouse / "work.failed.duckdb", log).passed
    again = subprocess.run(
        [sys.executable, "-m", "tsw.cli", "restate", "--warehouse", str(warehouse), "--reason", "again"],
        capture_output=True, text=True, timeout=120,
    )
    assert again.returncode == 1 and "nothing to restate" in again.stdout


def test_a_restated_final_period_is_accepted_and_only_it(tmp_path):
    from test_publish_audit import make_periodic_db

    log = tmp_path / "published_values"
    audit.append_to_log(make_periodic_db(tmp_path / "a.duckdb", value=0.25), log, release_id="r1")
    corrected = make_periodic_db(tmp_path / "b.duckdb", value=0.26)
    assert [v["table_name"] for v in audit.audit(corrected, log).violations] == ["metrics_periodic"]
    # the week 2026-04-27..05-03 overlaps a selection from 2026-05-01
    assert restate(corrected, log, reason="x", date_from=date(2026, 5, 4), dry_run=True).cells == []
    record = restate(corrected, log, reason="labels re-delivered", date_from=date(2026, 5, 1), restatement_id="restate-p")
    assert [(c["table_name"], c["entry_kind"]) for c in record.cells] == [("metrics_periodic", "correction")]
    assert audit.audit(corrected, log).passed
    assert not audit.audit(make_periodic_db(tmp_path / "c.duckdb", value=0.27), log).passed
