"""The committed analyses compile against the published release and run there unchanged.

`dbt compile --target serving` resolves refs to the release's catalog; each compiled
query then runs on a read-only connection to serving/current/metrics.duckdb and must
return rows with the columns its header promises to the reader (checked loosely: rows,
no error, and the metric it was written for).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from serving_fixture import project_view
from tsw.paths import PROJECT_DIR

ANALYSES = sorted(p.stem for p in (PROJECT_DIR / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def compiled(demo_config, tmp_path_factory) -> Path:
    view = project_view(tmp_path_factory.mktemp("analyses"), demo_config.db_path, demo_config.as_of_date)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSW_", "DBT_"))}
    result = subprocess.run(
        [str(view / ".venv" / "bin" / "dbt"), "compile", "--target", "serving", "--profiles-dir", "profiles",
         "--select", *ANALYSES],
        cwd=view, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return view


def test_there_are_analyses():
    assert len(ANALYSES) >= 3


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_runs_on_the_serving_release(compiled, name):
    sql = (compiled / "target" / "compiled" / "tsw" / "analyses" / f"{name}.sql").read_text()
    assert '"metrics"."main".' in sql, "refs must resolve to the release's catalog"
    with duckdb.connect(str(compiled / "warehouse" / "serving" / "current" / "metrics.duckdb"), read_only=True) as con:
        df = con.execute(sql).df()
    assert len(df) > 0, f"{name} returned no rows on the published release"
