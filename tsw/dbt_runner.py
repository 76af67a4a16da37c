"""Run dbt as a subprocess against a chosen DuckDB file, target path and vars.

Every command that builds (build, demo, nightly, bench) and every test goes through
`run_dbt`, so the profile, the knowledge-time vars and the isolation between
concurrent builds (their own database file and target path) are set in one place.
dbt runs in a child process so a build can be killed without killing its caller and so
the DuckDB file lock is released when the build ends. The child dies with its caller:
it asks the kernel (prctl PR_SET_PDEATHSIG) for SIGKILL when the process that started it
dies, so a killed `tsw nightly` never leaves a `dbt build` holding the database lock.

Progress: dbt's per-node START/OK lines are streamed as they come, and every
`heartbeat_seconds` (default 30, env TSW_HEARTBEAT_SECONDS) a line names the nodes still
running and for how long, so no step is silent for minutes.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tsw.paths import PROFILES_DIR, PROJECT_DIR


class DbtError(RuntimeError):
    """dbt exited non-zero; the message carries the tail of its output."""


@dataclass
class BuildConfig:
    """Where and for which knowledge instant a build runs."""

    db_path: Path
    as_of_date: date | None = None
    landing_dir: Path | None = None
    target_path: Path | None = None
    extra_vars: dict = field(default_factory=dict)
    target: str = "dev"
    memory_limit: str | None = None
    threads: int | None = None

    def dbt_vars(self) -> dict:
        values: dict = {}
        if self.as_of_date is not None:
            values["as_of_date"] = self.as_of_date.isoformat()
        if self.landing_dir is not None:
            values["raw_source"] = "landing"
            values["landing_dir"] = str(Path(self.landing_dir).resolve())
        values.update(self.extra_vars)
        return values

    def env(self) -> dict:
        env = dict(os.environ)
        db_path = Path(self.db_path).resolve()
        db_path.parent.mkdir(parents=True, exist_ok=True)
        env["TSW_DB_PATH"] = str(db_path)
        env["TSW_TARGET"] = self.target
        env.setdefault("TSW_TEMP_DIR", str(db_path.parent / "tmp"))
        if self.memory_limit:
            env["TSW_MEMORY_LIMIT"] = self.memory_limit
        if self.threads:
            env["TSW_DUCKDB_THREADS"] = str(self.threads)
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        target_path = self.resolved_target_path()
        env["DBT_TARGET_PATH"] = str(target_path)
        env["DBT_LOG_PATH"] = str(target_path / "logs")
        return env

    def resolved_target_path(self) -> Path:
        if self.target_path is not None:
            return Path(self.target_path).resolve()
        return Path(self.db_path).resolve().parent / "dbt_target"


PR_SET_PDEATHSIG = 1
DEFAULT_HEARTBEAT_SECONDS = 30.0
# "12:00:01  3 of 61 START sql table model main.stg_platform__users ..... [RUN]"
_START = re.compile(r"\b(\d+) of \d+ START .*?(\S+)\s+(?:\.+\s+)?\[RUN\]")
_DONE = re.compile(r"\b(\d+) of \d+ (?:OK|ERROR|FAIL|WARN|PASS|SKIP)\b")


def dbt_executable() -> str:
    """The dbt of the interpreter running us (the project's virtual environment).

    TSW_DBT_EXECUTABLE overrides it (the kill-safety test runs the nightly with a
    stand-in that replays a prebuilt database, to afford 20 kills).
    """
    override = os.environ.get("TSW_DBT_EXECUTABLE")
    if override:
        return override
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when its parent dies (Linux; a no-op elsewhere).

    Also use it for any other long-running child a command starts.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _Heartbeat:
    """Tracks dbt's running nodes from its output and prints which are still running."""

    def __init__(self, interval: float, write) -> None:
        self.interval = interval
        self.write = write
        self.running: dict[str, tuple[str, float]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.started = time.monotonic()

    def feed(self, line: str) -> None:
        with self.lock:
            start = _START.search(line)
            if start:
                self.running[start.group(1)] = (start.group(2), time.monotonic())
                return
            done = _DONE.search(line)
            if done:
                self.running.pop(done.group(1), None)

    def beat(self) -> str | None:
        now = time.monotonic()
        with self.lock:
            if not self.running:
                return None
            nodes = ", ".join(f"{name} ({now - since:.0f} s)" for name, since in sorted(self.running.values(), key=lambda x: x[1]))
        return f"[tsw] dbt running for {now - self.started:.0f} s; still running: {nodes}\n"

    def loop(self) -> None:
        while not self.stop.wait(self.interval):
            line = self.beat()
            if line:
                self.write(line)


def run_dbt(
    args: list[str],
    config: BuildConfig,
    *,
    stream: bool = True,
    check: bool = True,
    heartbeat_seconds: float | None = None,
) -> subprocess.CompletedProcess:
    """Run `dbt <args>` for `config`; raise DbtError on failure when `check`.

    With `stream`, dbt's progress lines are shown as they come (long builds show
    progress) with a heartbeat line naming the running nodes every `heartbeat_seconds`;
    the output is also returned for callers that parse it.
    """
    cmd = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR)]
    dbt_vars = config.dbt_vars()
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    env = config.env()
    Path(env["TSW_TEMP_DIR"]).mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    if heartbeat_seconds is None:
        heartbeat_seconds = float(os.environ.get("TSW_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS))
    write_lock = threading.Lock()

    def write(text: str) -> None:
        with write_lock:
            sys.stdout.write(text)
            sys.stdout.flush()

    heartbeat = _Heartbeat(heartbeat_seconds, write)
    beater = threading.Thread(target=heartbeat.loop, daemon=True) if stream else None
    with subprocess.Popen(
        cmd, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=die_with_parent,
    ) as proc:
        assert proc.stdout is not None
        if beater is not None:
            beater.start()
        try:
            for line in proc.stdout:
                lines.append(line)
                heartbeat.feed(line)
                if stream:
                    write(line)
            returncode = proc.wait()
        finally:
            heartbeat.stop.set()
    output = "".join(lines)
    result = subprocess.CompletedProcess(cmd, returncode, output, "")
    if check and returncode != 0:
        tail = "".join(lines[-40:])
        raise DbtError(f"dbt {' '.join(args)} failed (exit {returncode}):\n{tail}")
    return result


def run_results(config: BuildConfig) -> dict:
    """The run_results.json of the last dbt command for this config."""
    path = config.resolved_target_path() / "run_results.json"
    return json.loads(path.read_text())
