"""One metric, one place (docs/metric_units.md).

* The registry, the unit YAMLs (meta metric_names) and macro metric_units() agree: a
  registry row without a unit, a unit without a registry row, or a unit missing from
  metric_units() fails.
* A metric is found from its name: its unit files are named after it, and within
  models/metrics `git grep -w <name>` lands on its unit's files first.
* README "Adding or changing a metric" is true: a throwaway metric added in exactly the
  README's steps, in a temporary copy of the project, builds and is published.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from tsw.paths import METRIC_REGISTRY_CSV, PROJECT_DIR

UNITS_DIR = PROJECT_DIR / "models" / "metrics"
UNIT_LIST_MACROS = [PROJECT_DIR / "macros" / "metrics" / "metric_units.sql",
                    PROJECT_DIR / "macros" / "metrics" / "metric_units_ai.sql"]


def registry_names(path: Path = METRIC_REGISTRY_CSV) -> list[str]:
    with open(path, newline="") as handle:
        return [row["metric_name"] for row in csv.DictReader(handle)]


def unit_declarations(units_dir: Path = UNITS_DIR) -> dict[str, list[str]]:
    """unit model name -> the metric names its YAML declares (config meta metric_names)."""
    declared: dict[str, list[str]] = {}
    for path in sorted(units_dir.glob("*/metric__*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            declared[model["name"]] = list(model.get("config", {}).get("meta", {}).get("metric_names", []))
    return declared


def listed_units(macros: list[Path] = UNIT_LIST_MACROS) -> list[str]:
    return [name for path in macros if path.exists() for name in re.findall(r"'(metric__\w+)'", path.read_text())]


def unit_problems(registry: list[str], declared: dict[str, list[str]], listed: list[str],
                  unit_sql: set[str]) -> list[str]:
    """Every disagreement between registry, unit YAMLs, unit SQL files and the metric_units() list."""
    problems = []
    owners: dict[str, list[str]] = {}
    for unit, names in declared.items():
        for name in names:
            owners.setdefault(name, []).append(unit)
    problems += [f"registry row without a unit: {name}" for name in registry if name not in owners]
    problems += [f"{name} declared by several units: {units}" for name, units in owners.items() if len(units) > 1]
    problems += [f"unit {unit} declares {name}, which has no registry row"
                 for unit, names in declared.items() for name in names if name not in registry]
    problems += [f"unit {unit} declares no metric" for unit, names in declared.items() if not names]
    problems += [f"unit {unit} is missing from metric_units()" for unit in declared if unit not in listed]
    problems += [f"metric_units() lists {unit}, which has no unit YAML" for unit in listed if unit not in declared]
    problems += [f"unit {unit} has no SQL model" for unit in declared if unit not in unit_sql]
    problems += [f"unit SQL {unit} has no YAML" for unit in unit_sql if unit not in declared]
    return problems


def _unit_sql(units_dir: Path = UNITS_DIR) -> set[str]:
    return {path.stem for path in units_dir.glob("*/metric__*.sql")}


def test_registry_units_and_unit_list_agree():
    assert unit_problems(registry_names(), unit_declarations(), listed_units(), _unit_sql()) == []


@pytest.mark.parametrize("broken, expected", [
    ("drop_unit", "registry row without a unit: impressions"),
    ("extra_name", "unit metric__impressions declares impressions_v2, which has no registry row"),
    ("unlisted", "unit metric__impressions is missing from metric_units()"),
])
def test_unit_check_fires(broken, expected):
    registry, declared, listed, sql = registry_names(), unit_declarations(), listed_units(), _unit_sql()
    if broken == "drop_unit":
        declared = {unit: names for unit, names in declared.items() if unit != "metric__impressions"}
        listed = [unit for unit in listed if unit != "metric__impressions"]
        sql = sql - {"metric__impressions"}
    elif broken == "extra_name":
        declared = {**declared, "metric__impressions": ["impressions", "impressions_v2"]}
    else:
        listed = [unit for unit in listed if unit != "metric__impressions"]
    assert expected in unit_problems(registry, declared, listed, sql)


def _git(*args: str) -> list[str]:
    result = subprocess.run(["git", "-C", str(PROJECT_DIR), *args], capture_output=True, text=True, check=False)
    return [line for line in result.stdout.splitlines() if line]


# `impressions` is also the raw table and every exposure fact's column: a grep for it lands
# everywhere; its unit is still the one file named after it (checked below).
GREP_EXCEPTIONS = {"impressions"}


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT_DIR / ".git").exists(), reason="not a git checkout")
@pytest.mark.parametrize("metric", registry_names())
def test_git_grep_lands_on_the_unit_first(metric):
    owners = [unit for unit, names in unit_declarations().items() if metric in names]
    assert len(owners) == 1
    unit_files = {str(path.relative_to(PROJECT_DIR)) for path in UNITS_DIR.glob(f"*/{owners[0]}.*")}
    assert {".sql", ".yml"} <= {Path(path).suffix for path in unit_files}  # .md (doc block) optional
    hits = _git("grep", "-l", "-w", "-e", metric, "--", "models/metrics")
    if metric not in GREP_EXCEPTIONS:
        assert hits and set(hits[:2]) <= unit_files, (metric, hits[:4])
    named = [path for path in _git("ls-files", "--", "models", "macros") if owners[0] in Path(path).name]
    assert set(named) == unit_files



# The one-guess rule (README "Adding or changing a metric", docs/spec_decisions.md 10.10):
# `git ls-files '*metric__<name>*'` lists exactly the metric's unit files; a metric emitted
# by a group unit (time_to_action_hours_p50/_p90, the _unknown_sender rate) has no file of
# its own, that guess lists nothing and `git grep -lw <name> -- models/metrics` lists
# exactly its unit's files instead.

def name_guess(metric: str, tracked: list[str]) -> list[str]:
    """What `git ls-files '*metric__<name>*'` lists (git's glob: * also matches /)."""
    return [path for path in tracked if fnmatch.fnmatchcase(path, f"*metric__{metric}*")]


def one_guess_problems(metric: str, unit_files: set[str], tracked: list[str], grep_hits: list[str]) -> list[str]:
    guess = name_guess(metric, tracked)
    if not guess:
        guess = grep_hits
    problems = [f"{metric}: the guess lists {path}, not a file of its unit" for path in guess if path not in unit_files]
    problems += [f"{metric}: the guess misses its unit file {path}" for path in sorted(unit_files) if path not in guess]
    return problems


def _unit_files(metric: str) -> set[str]:
    owners = [unit for unit, names in unit_declarations().items() if metric in names]
    assert len(owners) == 1, (metric, owners)
    files = set(_git("ls-files", "--", f"models/metrics/*/{owners[0]}.*"))
    assert {".sql", ".yml"} <= {Path(path).suffix for path in files}, (metric, files)
    return files


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT_DIR / ".git").exists(), reason="not a git checkout")
@pytest.mark.parametrize("metric", registry_names())
def test_the_name_guess_lists_exactly_the_unit_files(metric):
    tracked = _git("ls-files")
    assert name_guess(metric, tracked) == _git("ls-files", "--", f"*metric__{metric}*")  # the fnmatch mirrors git
    hits = _git("grep", "-l", "-w", "-e", metric, "--", "models/metrics")
    assert one_guess_problems(metric, _unit_files(metric), tracked, hits) == []


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT_DIR / ".git").exists(), reason="not a git checkout")
def test_the_name_guess_check_fires():
    tracked = _git("ls-files")
    files = _unit_files("violating_view_rate")
    stray = "analyses/metric__violating_view_rate_by_week.sql"
    assert one_guess_problems("violating_view_rate", files, [*tracked, stray], []) == [
        f"violating_view_rate: the guess lists {stray}, not a file of its unit"]
    without_doc = [path for path in tracked if path != "models/metrics/exposure/metric__violating_view_rate.md"]
    assert one_guess_problems("violating_view_rate", files, without_doc, []) == [
        "violating_view_rate: the guess misses its unit file models/metrics/exposure/metric__violating_view_rate.md"]
    # a group member falls back to git grep, which must not land elsewhere first
    members = _unit_files("time_to_action_hours_p50")
    assert one_guess_problems("time_to_action_hours_p50", members, tracked,
                              ["models/metrics/enforcement/metric__proactive_rate.sql", *sorted(members)]) == [
        "time_to_action_hours_p50: the guess lists models/metrics/enforcement/metric__proactive_rate.sql, "
        "not a file of its unit"]


# ------------------------------------------------------------------ README dry run ----

THROWAWAY = "search_impressions"
THROWAWAY_ROW = (
    f"{THROWAWAY},1,count,none,3,small_cell,age_band|region|plan,false,impressions,"
    "Impressions on the search surface (a throwaway metric proving the README steps).\n"
)
THROWAWAY_SQL = f"""-- {THROWAWAY}: impressions on the search surface.
-- noqa: disable=PRS
{{{{ metric_unit_from_facts(
    '{THROWAWAY}',
    'int_exposure_user_day_surfaces',
    date_column='activity_date',
    where="surface = 'search' and impressions > 0",
    numerator='sum(impressions)',
    sample_size='sum(impressions)',
) }}}}
"""
THROWAWAY_YML = f"""version: 2

models:
  - name: metric__{THROWAWAY}
    description: >
      `{THROWAWAY}` (unit count, direction none, maturity 3 days, suppression small_cell; segments age_band, region, plan): Impressions on the search surface (a throwaway metric proving the README steps).
    config:
      meta:
        metric_names: [{THROWAWAY}]
    data_tests:
      - unique_combination:
          arguments:
            combination: [metric_name, period_grain, period_start, age_band, region, plan, surface, policy_category, feature]
"""


def add_throwaway_metric(project: Path) -> None:
    """Exactly the README's steps: a registry row, one unit and its YAML, metric_units(), a changelog line."""
    with open(project / "seeds" / "reference" / "metric_registry.csv", "a") as handle:
        handle.write(THROWAWAY_ROW)
    (project / "models" / "metrics" / "exposure" / f"metric__{THROWAWAY}.sql").write_text(THROWAWAY_SQL)
    (project / "models" / "metrics" / "exposure" / f"metric__{THROWAWAY}.yml").write_text(THROWAWAY_YML)
    units = project / "macros" / "metrics" / "metric_units.sql"
    units.write_text(units.read_text().replace(
        "        'metric__active_users',\n", f"        'metric__active_users',\n        'metric__{THROWAWAY}',\n", 1))
    with open(project / "seeds" / "reference" / "metric_changelog.csv", "a") as handle:
        handle.write(f"{THROWAWAY},1,2026-08-01,Added (README dry run).\n")


def _dbt(project: Path, database: Path, *args: str) -> None:
    """dbt in the copied project (tsw's runner always builds PROJECT_DIR)."""
    env = {**os.environ, "TSW_DB_PATH": str(database), "TSW_TARGET": "ci", "TSW_TEMP_DIR": str(database.parent / "tmp")}
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(project),
               "--profiles-dir", str(project / "profiles"), "--target-path", str(database.parent / "target"),
               "--vars", json.dumps({"as_of_date": "2026-08-28"})]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:]


def test_readme_steps_add_a_published_metric(tmp_path):
    project = tmp_path / "project"
    files = _git("ls-files")
    if not files:
        pytest.skip("not a git checkout")
    for name in files:
        source = PROJECT_DIR / name
        if source.is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, project / name)
    readme = (project / "README.md").read_text()
    assert "## Adding or changing a metric" in readme and "metric_units()" in readme
    add_throwaway_metric(project)
    from test_metric_registry_docs import definition_problems, registry_rows, unit_documentation
    assert definition_problems(registry_rows(project / "seeds/reference/metric_registry.csv"),
                               unit_documentation(project / "models/metrics")) == []
    assert unit_problems(registry_names(project / "seeds/reference/metric_registry.csv"),
                         unit_declarations(project / "models/metrics"),
                         listed_units([project / path.relative_to(PROJECT_DIR) for path in UNIT_LIST_MACROS]),
                         _unit_sql(project / "models/metrics")) == []
    database = tmp_path / "dry.duckdb"
    _dbt(project, database, "seed")
    _dbt(project, database, "run", "--select", "+metrics_daily", "+metrics_periodic", "+dim_metrics")
    with duckdb.connect(str(database), read_only=True) as con:
        published = con.execute(f"""
            select t.age_band, t.numerator, i.numerator
            from fct_metrics_daily_unsuppressed as t
            inner join fct_metrics_daily_unsuppressed as i
                on t.metric_date = i.metric_date and t.age_band = i.age_band
                and i.metric_name = 'impressions' and i.surface = 'search' and i.region = 'all' and i.plan = 'all'
            where t.metric_name = '{THROWAWAY}' and t.region = 'all' and t.plan = 'all'
        """).fetchall()
        grains = con.execute(
            f"select distinct period_grain from metrics_periodic where metric_name = '{THROWAWAY}'").fetchall()
        in_dim = con.execute(f"select count(*) from dim_metrics where metric_name = '{THROWAWAY}'").fetchone()[0]
    assert published and all(mine == theirs for _, mine, theirs in published)
    assert sum(mine for _, mine, _ in published) > 0
    assert {g for (g,) in grains} == {"week", "month", "quarter", "half_year"}
    assert in_dim == 1
