"""The nightly job's safety nets (issue 17 items 3-5), with a stand-in for `dbt build`.

A real `dbt build` takes minutes here; these tests exercise what the nightly does around
it (landing ledger, as-of refusal, freshness gate, corrupt-database recovery, kept failed
database, promotion journal, 20 random SIGKILLs). The stand-in (`FAKE_DBT`, selected with
TSW_DBT_EXECUTABLE) is a real child process that builds a real DuckDB file whose final
values are a pure function of the as-of date, prints dbt-like START/OK lines and writes
run_results.json. Everything else (lock, recovery, gates, audit, publication, log, ledger,
reports) is the production code. tests/python/test_nightly.py covers the same job with
real dbt (a kill of the nightly process mid-build, a back-dated delivery).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tsw import audit, ledger
from tsw.dbt_runner import BuildConfig, run_dbt
from tsw.freshness import load_thresholds
from tsw.nightly import Warehouse, run_nightly
from tsw.publish import current_release, serving_database
from tsw.recovery import JOURNAL_FILE

FIRST_NIGHT = date(2026, 3, 10)
# The named steps of a publication, in order (tsw/nightly.py, tsw/recovery.py); the journal
# is the commit point.
PUBLICATION_STEPS = (
    "publish: prepare the release", "publish: prepare the log entry", "publish: prepare the landing ledger",
    "write journal", "promote working database", "promote log entry", "promote landing ledger",
    "switch current release", "delete journal",
)

FAKE_DBT = '''#!{python}
"""Stand-in for `dbt build`: a small database that is a pure function of the as-of date."""
import json, os, signal, sys, time
from datetime import date, datetime, timedelta
import duckdb

# Like a dbt model running a long query, keep going when the reader of our output is gone:
# only the nightly's death signal (PR_SET_PDEATHSIG) may stop us.
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
_print = print


def print(*args, **kwargs):
    try:
        _print(*args, **kwargs)
    except OSError:
        pass


args = sys.argv[1:]
dbt_vars = json.loads(args[args.index("--vars") + 1])
as_of = date.fromisoformat(dbt_vars["as_of_date"])
with open(os.environ["FAKE_DBT_PIDS"], "a") as handle:
    handle.write(f"{{os.getpid()}}\\n")
seconds = float(os.environ.get("FAKE_DBT_SECONDS", "0.5"))
stale = os.environ.get("FAKE_DBT_STALE_TABLE")
tables = {tables!r}
knowledge = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
models = [f"stg_platform__{{t}}" for t in tables] + ["dq_raw_reconciliation", "dim_metrics", "metrics_daily"]
con = duckdb.connect(os.environ["TSW_DB_PATH"])
results = []
for i, model in enumerate(models, 1):
    print(f"00:00:00  {{i}} of {{len(models)}} START sql table model main.{{model}} ....... [RUN]", flush=True)
    time.sleep(seconds / len(models))
    if model.startswith("stg_platform__"):
        table = model[len("stg_platform__"):]
        lag = timedelta(days=5) if table == stale else timedelta(hours=1)
        con.execute(f"create or replace table {{model}} as select 'k' as row_key, ?::timestamp as ingested_at", [knowledge - lag])
    elif model == "dq_raw_reconciliation":
        con.execute("create or replace table dq_raw_reconciliation as select 'impressions' as table_name, 10 as raw_rows, 10 as staged_rows, 0 as duplicate_rows, 0 as quarantined_rows, 0 as not_yet_known_rows, 10 as valid_rows, true as is_reconciled")
    elif model == "dim_metrics":
        con.execute("create or replace table dim_metrics as select 'impressions' as metric_name, 1 as metric_version")
    else:
        con.execute("""
            create or replace table metrics_daily as
            select d::date as metric_date, 'impressions' as metric_name, 1 as metric_version, 'count' as unit,
                'all' as age_band, 'all' as region, 'all' as plan, 'all' as surface, 'all' as policy_category,
                'all' as feature, (dayofyear(d) * 7 % 97)::double as numerator, null::double as denominator,
                (dayofyear(d) * 7 % 97)::double as value, 100::bigint as sample_size, null::double as ci_lower,
                null::double as ci_upper, d::date + 3 <= $as_of as is_final, false as is_suppressed, $as_of as as_of_date
            from range(date '2026-03-01', $as_of + 1, interval 1 day) as t(d)
        """, {{"as_of": as_of}})
    print(f"00:00:00  {{i}} of {{len(models)}} OK created sql table model main.{{model}} ....... [OK in 0.01s]", flush=True)
    results.append({{"unique_id": f"model.tsw.{{model}}", "status": "success", "execution_time": seconds / len(models)}})
con.close()
results.append({{"unique_id": "test.tsw.fake_test", "status": "pass", "execution_time": 0.0}})
target = os.environ["DBT_TARGET_PATH"]
os.makedirs(target, exist_ok=True)
with open(os.path.join(target, "run_results.json"), "w") as handle:
    json.dump({{"results": results}}, handle)
if os.environ.get("FAKE_DBT_FAIL"):
    print("ERROR: a planted failure", flush=True)
    sys.exit(1)
'''


@pytest.fixture()
def fake_dbt(tmp_path, monkeypatch) -> dict:
    script = tmp_path / "fake-dbt"
    tables = sorted(t for t, limit in load_thresholds().items())
    script.write_text(FAKE_DBT.format(python=sys.executable, tables=tables))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    pids = tmp_path / "fake-dbt.pids"
    env = {"TSW_DBT_EXECUTABLE": str(script), "FAKE_DBT_PIDS": str(pids), "FAKE_DBT_SECONDS": "0.3"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {"script": script, "pids": pids, "env": env}


@pytest.fixture()
def landing(tmp_path) -> Path:
    root = tmp_path / "landing"
    (root / "impressions" / "ingest_date=2026-03-09").mkdir(parents=True)
    (root / "impressions" / "part-0001.csv").write_text("event_id,ingested_at\ne1,2026-03-09T10:00:00Z\n")
    (root / "impressions" / "ingest_date=2026-03-09" / "part-0002.CSV").write_text("event_id,ingested_at\ne2,2026-03-09T11:00:00Z\n")
    (root / "users").mkdir()
    (root / "users" / "users.csv").write_text("user_id,ingested_at\nu1,2026-03-01T00:00:00Z\n")
    return root


def _night(n: int) -> date:
    return FIRST_NIGHT + timedelta(days=n)


def _nightly(warehouse: Warehouse, landing: Path, n: int, **kwargs):
    return run_nightly(_night(n), warehouse=warehouse, landing_dir=landing, validate=False, stream=False, **kwargs)


def _state(warehouse: Warehouse) -> dict:
    """What readers and later runs depend on: the current release, its data, the log, the working database."""
    release = current_release(warehouse.serving_dir)
    with duckdb.connect(str(serving_database(warehouse.serving_dir)), read_only=True) as con:
        rows = con.execute("select * from metrics_daily order by all").fetchall()
    log = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(warehouse.log_dir.glob("pub-*.parquet"))}
    return {
        "release": release.name,
        "release_rows": hashlib.sha256(repr(rows).encode()).hexdigest(),
        "log": log,
        "work": hashlib.sha256(warehouse.work_db.read_bytes()).hexdigest(),
        "ledger": (warehouse.root / ledger.LEDGER_FILE).read_text() if (warehouse.root / ledger.LEDGER_FILE).exists() else None,
    }


# --- item 3: the landing ledger -------------------------------------------------------


def test_ledger_walks_subfolders_and_every_extension_case(tmp_path):
    root = tmp_path / "landing"
    for name in ("t/a.csv", "t/ingest_date=2026-01-01/b.CSV", "t/x/c.csv.gz", "t/d.Parquet", "t/e.json", "t/.hidden.csv"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    check = ledger.check(root, tmp_path / "ledger.json")
    assert sorted(check.entries) == ["t/a.csv", "t/d.Parquet", "t/ingest_date=2026-01-01/b.CSV", "t/x/c.csv.gz"]
    assert check.entries["t/a.csv"].sha256 == hashlib.sha256(b"x").hexdigest()


def test_ledger_hashes_only_new_or_moved_files(tmp_path):
    root = tmp_path / "landing"
    (root / "t").mkdir(parents=True)
    (root / "t" / "a.csv").write_text("a\n1\n")
    ledger_path = tmp_path / "ledger.json"
    first = ledger.check(root, ledger_path)
    ledger.write(ledger_path, first.entries, landing_dir=root)
    assert first.hashed == 1
    assert ledger.check(root, ledger_path).hashed == 0  # size and mtime unchanged: no hashing
    os.utime(root / "t" / "a.csv", ns=(1, 1))  # touched, same content: re-hashed, accepted
    touched = ledger.check(root, ledger_path)
    assert touched.ok and touched.hashed == 1


def test_rewritten_or_removed_landing_file_fails_before_publication(fake_dbt, landing, tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    assert _nightly(warehouse, landing, 0).status == "succeeded"
    recorded = json.loads(warehouse.ledger_file.read_text())["files"]
    assert "impressions/ingest_date=2026-03-09/part-0002.CSV" in recorded
    before = _state(warehouse)

    rewritten = landing / "impressions" / "part-0001.csv"
    original = rewritten.read_bytes()
    rewritten.write_text("event_id,ingested_at\ne1,2026-03-01T10:00:00Z\n")  # same size, older row
    report = _nightly(warehouse, landing, 1)
    assert report.status == "failed" and report.failed_step == "landing ledger"
    assert str(rewritten) in report.error and "--full-refresh" in report.error and "restore" in report.error
    assert _state(warehouse) == before

    rewritten.write_bytes(original)  # restored (new mtime, same content): accepted
    (landing / "users" / "users.csv").unlink()
    report = _nightly(warehouse, landing, 1)
    assert report.failed_step == "landing ledger" and "gone" in report.error and "users/users.csv" in report.error
    assert _state(warehouse) == before

    report = _nightly(warehouse, landing, 1, full_refresh=True)  # the remedy: a new ledger
    assert report.status == "succeeded", report.error
    assert "users/users.csv" not in json.loads(warehouse.ledger_file.read_text())["files"]


def test_failed_run_keeps_its_database_and_names_it(fake_dbt, landing, tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "wh")
    assert _nightly(warehouse, landing, 0).status == "succeeded"
    before = _state(warehouse)
    monkeypatch.setenv("FAKE_DBT_FAIL", "1")
    report = _nightly(warehouse, landing, 1)
    assert report.status == "failed" and report.failed_step == "dbt build"
    assert report.failed_database == str(warehouse.failed_db) and warehouse.failed_db.exists()
    with duckdb.connect(str(warehouse.failed_db), read_only=True) as con:
        assert con.execute("select max(as_of_date) from metrics_daily").fetchone()[0] == _night(1)
    summary = (warehouse.runs_dir / "latest" / "summary.txt").read_text()
    assert str(warehouse.failed_db) in summary
    assert _state(warehouse) == before


# --- item 4: no future, no stale finals ------------------------------------------------


def test_future_as_of_date_is_refused_unless_a_now_is_stated(fake_dbt, landing, tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    tomorrow = date.today() + timedelta(days=2)
    report = run_nightly(tomorrow, warehouse=warehouse, landing_dir=landing, validate=False, stream=False)
    assert report.status == "failed" and report.failed_step == "as-of check"
    assert "in the future" in report.error and "--now" in report.error
    assert current_release(warehouse.serving_dir) is None and not warehouse.log_dir.exists()
    assert json.loads((warehouse.runs_dir / "latest" / "report.json").read_text())["failed_step"] == "as-of check"
    # A replay with a stated now is accepted (its data judge the freshness).
    replay = run_nightly(tomorrow, warehouse=warehouse, landing_dir=landing, validate=False, stream=False, now=tomorrow)
    assert replay.status == "succeeded", replay.error


def test_cli_build_and_nightly_refuse_a_future_as_of_date(tmp_path):
    future = (date.today() + timedelta(days=3)).isoformat()
    build = subprocess.run(
        [sys.executable, "-m", "tsw.cli", "build", "--as-of", future, "--database", str(tmp_path / "x.duckdb")],
        capture_output=True, text=True, timeout=120,
    )
    assert build.returncode == 2 and "in the future" in build.stderr
    assert not (tmp_path / "x.duckdb").exists()
    nightly = subprocess.run(
        [sys.executable, "-m", "tsw.cli", "nightly", "--date", future, "--warehouse", str(tmp_path / "wh")],
        capture_output=True, text=True, timeout=120,
    )
    assert nightly.returncode == 1 and "failed at: as-of check" in nightly.stdout


def test_demo_states_its_own_now(monkeypatch, tmp_path):
    from tsw import build_demo

    seen = {}

    def fake_run_nightly(as_of, **kwargs):
        seen.update(kwargs, as_of=as_of)
        raise SystemExit(0)

    monkeypatch.setattr(build_demo, "run_nightly", fake_run_nightly)
    with pytest.raises(SystemExit):
        build_demo.run(build_demo.argparse.Namespace(warehouse=tmp_path, now=None, seeds=True, landing_dir=None))
    assert seen["now"] == seen["as_of"] == build_demo.demo_as_of_date()


def test_stale_feed_blocks_publication(fake_dbt, landing, tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "wh")
    assert _nightly(warehouse, landing, 0).status == "succeeded"
    before = _state(warehouse)
    monkeypatch.setenv("FAKE_DBT_STALE_TABLE", "messages")
    report = _nightly(warehouse, landing, 1)
    assert report.status == "failed" and report.failed_step == "freshness gate"
    assert "messages" in report.error and "120.0 h" in report.error
    assert [f["table_name"] for f in report.freshness if f["stale"]] == ["messages"]
    assert _state(warehouse) == before
    # A table declared absent from the landing directory is not gated.
    assert _nightly(warehouse, landing, 1, absent_raw_tables=["messages"]).status == "succeeded"
    # An exempt table (null threshold) never blocks.
    monkeypatch.setenv("FAKE_DBT_STALE_TABLE", "interventions")
    assert _nightly(warehouse, landing, 2).status == "succeeded"


def test_knowledge_instant_not_reached_blocks_publication(fake_dbt, landing, tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    report = run_nightly(date.today(), warehouse=warehouse, landing_dir=landing, validate=False, stream=False)
    assert report.status == "failed" and report.failed_step == "freshness gate"
    assert "has not passed yet" in report.error
    assert current_release(warehouse.serving_dir) is None


# --- item 5: kill safety ---------------------------------------------------------------


def test_corrupt_working_database_is_rebuilt_with_a_report_line(fake_dbt, landing, tmp_path):
    warehouse = Warehouse(tmp_path / "wh")
    assert _nightly(warehouse, landing, 0).status == "succeeded"
    size = warehouse.work_db.stat().st_size
    os.truncate(warehouse.work_db, size // 2)
    report = _nightly(warehouse, landing, 1)
    assert report.status == "succeeded", report.error
    assert report.full_refresh
    assert any("unreadable" in line and "full refresh" in line for line in report.recovery)
    assert (warehouse.root / "work.corrupt.duckdb").exists()
    assert "recovery: working database" in (warehouse.runs_dir / "latest" / "summary.txt").read_text()
    assert audit.audit(warehouse.work_db, warehouse.log_dir).passed


def test_heartbeat_names_running_models_and_report_lists_model_times(fake_dbt, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_DBT_SECONDS", "1.5")
    config = BuildConfig(db_path=tmp_path / "x.duckdb", as_of_date=FIRST_NIGHT, target_path=tmp_path / "target")
    run_dbt(["build"], config, stream=True, heartbeat_seconds=0.2)
    out = capsys.readouterr().out
    assert "still running: main.stg_platform__" in out and " s)" in out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def _processes_running(script: Path) -> list[int]:
    """Live processes whose command line runs `script` (the dbt stand-in)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(script).encode() in cmdline and _alive(int(proc.name)):
            found.append(int(proc.name))
    return found


def _wait_dead(script: Path, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _processes_running(script):
            return []
        time.sleep(0.05)
    return _processes_running(script)


def _readable_log(warehouse: Warehouse) -> int:
    files = sorted(warehouse.log_dir.glob("pub-*.parquet"))
    with duckdb.connect() as con:
        return sum(con.execute(f"select count(*) from read_parquet('{f}')").fetchone()[0] for f in files)


@pytest.mark.long
def test_twenty_random_kills_leave_a_consistent_warehouse(fake_dbt, landing, tmp_path):
    """SIGKILL the nightly 20 times at stratified random delays over a run's duration.

    After each kill: dbt's stand-in is dead, the current release is readable and either
    unchanged or (only when the kill came after the promotion's commit point, the journal)
    the killed run's release; the log is readable and unchanged (or has exactly the killed
    run's entry, after the commit point). The next run then succeeds, finishing or
    rolling back the killed one, and leaves no partial file behind.
    """
    warehouse = Warehouse(tmp_path / "wh")
    env = {**os.environ, **fake_dbt["env"], "TSW_NIGHTLY_STEP_DELAY": "0.05", "TSW_HEARTBEAT_SECONDS": "0.5"}

    def command(n: int) -> list[str]:
        return [sys.executable, "-m", "tsw.cli", "nightly", "--date", _night(n).isoformat(), "--landing-dir",
                str(landing), "--warehouse", str(warehouse.root), "--skip-validation"]

    def steps_of(trace: Path) -> list[tuple[float, str]]:
        lines = trace.read_text().splitlines() if trace.exists() else []
        return [(float(line.split(" ", 1)[0]), line.split(" ", 1)[1]) for line in lines if " " in line]

    def wait_for_step(trace: Path, proc: subprocess.Popen, prefix: str = "") -> None:
        """Python's start-up (imports) is not the nightly's work: the clock starts at a traced step."""
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if any(step.startswith(prefix) for _, step in steps_of(trace)):
                return
            time.sleep(0.005)

    first_trace = tmp_path / "trace-first.txt"
    first = subprocess.Popen(command(0), env={**env, "TSW_NIGHTLY_TRACE": str(first_trace)},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    traced = steps_of(first_trace)
    duration = first_trace.stat().st_mtime + 0.05 - traced[0][0]
    rng = random.Random(17)
    killed_at: list[str] = []
    for k in range(20):
        n = k + 1
        before = _state(warehouse)
        trace = tmp_path / f"trace-{k}.txt"
        fake_dbt["pids"].write_text("")
        proc = subprocess.Popen(command(n), env={**env, "TSW_NIGHTLY_TRACE": str(trace)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Even kills: a stratified random delay over the whole run. Odd kills: a random delay
        # after reaching each step of the publication in turn (prepare, commit, promote),
        # where a kill is most dangerous and which is short next to the build.
        if k % 2 == 0:
            wait_for_step(trace, proc)
            time.sleep(duration * (k // 2 + rng.random()) / 10)
        else:
            wait_for_step(trace, proc, PUBLICATION_STEPS[(k // 2) % len(PUBLICATION_STEPS)])
            time.sleep(rng.random() * 0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        steps = [step for _, step in steps_of(trace)]
        killed_at.append("finished" if proc.returncode == 0 else (steps[-1] if steps else "start"))
        # The dbt child died with the nightly (found by command line, and by the pid it wrote itself).
        assert _wait_dead(fake_dbt["script"]) == [], f"kill {k} at {killed_at[-1]}: dbt child survived"
        children = [int(pid) for pid in fake_dbt["pids"].read_text().split()]
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in children), f"kill {k} at {killed_at[-1]}: dbt child {children} survived"
        committed = (warehouse.root / JOURNAL_FILE).exists()  # promotion decided, not finished
        completed = not committed and ("delete journal" in steps or proc.returncode == 0)  # promotion finished
        after = _state(warehouse)
        assert _readable_log(warehouse) > 0
        print(f"kill {k}: at {killed_at[-1]!r}, commit point passed: {committed or completed}")
        if completed:
            assert after["release"] != before["release"] and len(after["log"]) >= len(before["log"])
            assert set(before["log"].items()) <= set(after["log"].items())
        elif not committed:
            assert after["release"] == before["release"] and after["release_rows"] == before["release_rows"], killed_at[-1]
            assert after["log"] == before["log"] and after["work"] == before["work"], killed_at[-1]
        else:
            assert after["release"] in (before["release"], json.loads((warehouse.root / JOURNAL_FILE).read_text())["release_id"])
            assert set(before["log"]) <= set(after["log"])
        interrupted = False
        if steps:  # runs/latest describes the killed attempt
            latest = json.loads((warehouse.runs_dir / "latest" / "report.json").read_text())
            assert latest["run_date"] == _night(n).isoformat() and latest["status"] in ("running", "succeeded")
            interrupted = latest["status"] == "running"
        # The next run (in this process: no second interpreter start-up) succeeds and cleans up.
        rerun = run_nightly(_night(n), warehouse=warehouse, landing_dir=landing, validate=False, stream=False)
        assert rerun.status == "succeeded", f"kill {k} at {killed_at[-1]}:\n{rerun.error}"
        report = json.loads((warehouse.runs_dir / "latest" / "report.json").read_text())
        assert report["status"] == "succeeded" and report["run_date"] == _night(n).isoformat()
        if interrupted:
            assert any("interrupted at step" in line for line in report["recovery"]), report["recovery"]
        if committed:
            assert any("finished the interrupted promotion" in line for line in report["recovery"])
        assert not (warehouse.root / JOURNAL_FILE).exists()
        assert not list((warehouse.serving_dir / "releases").glob(".*")) and not list(warehouse.log_dir.glob(".*"))
        assert not warehouse.scratch_db.exists()
        assert audit.audit(warehouse.work_db, warehouse.log_dir).passed
        with duckdb.connect(str(serving_database(warehouse.serving_dir)), read_only=True) as con:
            assert con.execute("select max(as_of_date) from metrics_daily").fetchone()[0] == _night(n)
    # The kill points covered the build and the publication, before and after the commit point.
    assert sum(s.startswith("dbt build") for s in killed_at) >= 2, killed_at
    assert sum(s.startswith(("publish:", *PUBLICATION_STEPS)) for s in killed_at) >= 8, killed_at
    assert sum(s.startswith(PUBLICATION_STEPS[3:]) for s in killed_at) >= 3, killed_at  # after the commit point


@pytest.mark.parametrize(
    "step",
    ["write journal", "promote log entry", "switch current release"],
)
def test_kill_at_each_promotion_step_is_finished_or_rolled_back(fake_dbt, landing, tmp_path, step):
    """A SIGKILL at each named step of the promotion: before the journal nothing changed;
    after it, the next start finishes the promotion (the killed run's release and log entry)."""
    warehouse = Warehouse(tmp_path / "wh")
    assert _nightly(warehouse, landing, 0).status == "succeeded"
    before = _state(warehouse)
    command = [sys.executable, "-m", "tsw.cli", "nightly", "--date", _night(1).isoformat(), "--landing-dir",
               str(landing), "--warehouse", str(warehouse.root), "--skip-validation"]
    killed = subprocess.run(command, env={**os.environ, "TSW_NIGHTLY_KILL_AT": step}, capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert _wait_dead(fake_dbt["script"]) == []
    journal = warehouse.root / JOURNAL_FILE
    assert journal.exists() == (step != "write journal")  # the journal is written right after this checkpoint
    after = _state(warehouse)
    if step == "write journal":
        assert after == before
    else:
        assert after["release"] in (before["release"], json.loads(journal.read_text())["release_id"])
    report = _nightly(warehouse, landing, 2)  # the next start finishes (or rolled back) the killed run first
    assert report.status == "succeeded", report.error
    if step != "write journal":
        assert report.recovery and "finished the interrupted promotion" in " ".join(report.recovery)
        killed_release = json.loads((warehouse.runs_dir / "latest" / "report.json").read_text())["recovery"]
        assert any("interrupted at step" in line for line in killed_release)
    assert not journal.exists() and not list(warehouse.log_dir.glob(".*"))
    assert audit.audit(warehouse.work_db, warehouse.log_dir).passed


def test_run_summary_names_each_warning_gate():
    """The judge-quality gates are warn-level: the run report's summary names each one that fired."""
    from tsw.nightly import RunReport

    report = RunReport(run_date="2026-07-30", started_at="2026-07-31T00:00:00Z", source="landing x", status="succeeded")
    report.anomalies = [
        {"test": "test.tsw.ai_primary_judge_calibration_drift_below_bound.afffe44eb4", "failures": 1, "message": "Got 1 result"},
        {"test": "test.tsw.ai_primary_judge_weekly_kappa_upper_bound_below_floor.0f3b8b0eea", "failures": 2, "message": "Got 2"},
    ]
    summary = report.summary().splitlines()
    assert "anomalies (warnings): 2" in summary
    assert "  ai_primary_judge_calibration_drift_below_bound: 1 rows" in summary
    assert "  ai_primary_judge_weekly_kappa_upper_bound_below_floor: 2 rows" in summary
