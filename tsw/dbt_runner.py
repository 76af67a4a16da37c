"""Run dbt as a subprocess against a chosen DuckDB file, target path and vars.

Every command that builds (build, demo, nightly, bench) and every test goes through
`run_dbt`, so the profile, the knowledge-time vars and the isolation between
concurrent builds (their own database file and target path) are set in one place.
dbt runs in a child process so a build can be killed without killing its caller and so
the DuckDB file lock is released when the build ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def dbt_executable() -> str:
    """The dbt of the interpreter running us (the project's virtual environment)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    config: BuildConfig,
    *,
    stream: bool = True,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run `dbt <args>` for `config`; raise DbtError on failure when `check`.

    With `stream`, dbt's progress lines are shown as they come (long builds show
    progress); the output is also returned for callers that parse it.
    """
    cmd = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR)]
    dbt_vars = config.dbt_vars()
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    env = config.env()
    Path(env["TSW_TEMP_DIR"]).mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with subprocess.Popen(
        cmd, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if stream:
                sys.stdout.write(line)
                sys.stdout.flush()
        returncode = proc.wait()
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
