"""Every runnable README example in "Where dashboards and analysts read" runs as written.

The section's ```python blocks and each line of its ```bash blocks run from a project
view (symlinks to the project, its own warehouse/ with a published release of the demo
seeds), exactly as a reader would type them from the project folder; each must exit 0
and print something.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from serving_fixture import project_view
from tsw.paths import PROJECT_DIR

SECTION = "## Where dashboards and analysts read"


def examples() -> list[tuple[str, str]]:
    text = (PROJECT_DIR / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end > 0 else None]
    found: list[tuple[str, str]] = []
    for language, body in re.findall(r"```(python|bash)\n(.*?)```", section, re.S):
        if language == "python":
            found.append(("python", body))
        else:
            found.extend(("bash", line) for line in body.splitlines() if line.strip() and not line.startswith("#"))
    return found


EXAMPLES = examples()


@pytest.fixture(scope="module")
def view(demo_config, tmp_path_factory) -> Path:
    return project_view(tmp_path_factory.mktemp("readme"), demo_config.db_path, demo_config.as_of_date)


def test_the_section_has_python_duckdb_and_dbt_examples():
    kinds = " ".join(code for _, code in EXAMPLES)
    assert any(lang == "python" for lang, _ in EXAMPLES)
    assert ".venv/bin/duckdb" in kinds and "dbt show" in kinds and "dbt compile" in kinds


@pytest.mark.parametrize("language,code", EXAMPLES, ids=[f"{i}-{lang}" for i, (lang, _) in enumerate(EXAMPLES)])
def test_readme_example_runs(view, language, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSW_", "DBT_"))}
    if language == "python":
        command = [str(view / ".venv" / "bin" / "python"), "-c", code]
    else:
        if "< target/compiled" in code:  # needs the compile example before it
            compile_line = next(c for lang, c in EXAMPLES if lang == "bash" and "dbt compile" in c)
            subprocess.run(["bash", "-c", compile_line], cwd=view, env=env, check=True, capture_output=True)
        command = ["bash", "-c", code]
    result = subprocess.run(command, cwd=view, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{code}\n--- stdout\n{result.stdout[-2000:]}\n--- stderr\n{result.stderr[-2000:]}"
    assert result.stdout.strip(), f"{code} printed nothing"
    sys.stdout.write(result.stdout[-500:])
