"""The MetricFlow semantic layer: registry drift, and `mf query` against the published marts.

* The committed `models/semantic/_semantic_layer.yml` matches the registry
  (`tsw semantic-layer --check`), and the check fails on planted drift (a missing metric,
  a bumped version, a changed scale or kind).
* On a published release of the demo seeds (the session's demo build), `mf query` runs as
  a reader would (`--target serving`, from a project view), and every metric column it
  returns equals an independent pandas computation over the published `metrics_daily` /
  `metrics_periodic` rows: sums of published numerators / denominators of the selected
  grouping, pooled over the output time grain, or the published value of the single row
  behind a cell. Every exposed metric is queried over every cell of a sample of days /
  periods, plus a week-grain by-age-band query and the README's examples, parsed from the
  README so the two cannot drift.
"""

from __future__ import annotations

import copy
import csv
import functools
import os
import re
import shlex
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from serving_fixture import project_view
from tsw import semantic_layer
from tsw.paths import PROJECT_DIR, REFERENCE_SEEDS_DIR

README_SECTION = "## Querying through the semantic layer (MetricFlow)"
SEGMENTS = ["age_band", "region", "plan", "surface", "policy_category", "feature"]
# The spec's scales (metrics.md, "Value by unit"), written out here, not taken from the generator.
SCALE = {"per_10k": 10000.0, "per_1k": 1000.0}
MF = str(PROJECT_DIR / ".venv" / "bin" / "mf")


@functools.lru_cache(maxsize=1)
def layer() -> dict:
    """The committed layer, parsed once (callers copy before editing)."""
    return yaml.load(semantic_layer.SEMANTIC_YML.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def metric_meta() -> dict[str, dict]:
    return {m["name"]: {**m["config"]["meta"], "type": m["type"]} for m in layer()["metrics"]}


# ---------------------------------------------------------------- registry drift


def test_committed_semantic_layer_matches_the_registry():
    assert semantic_layer.check_file() == []
    names = set(metric_meta())
    for metric in semantic_layer.load_registry():
        assert {metric.name, f"{metric.name}_weekly", f"{metric.name}_monthly", f"{metric.name}_quarterly",
                f"{metric.name}_half_yearly"} <= names


def _registry_rows() -> list[dict]:
    with open(REFERENCE_SEEDS_DIR / "metric_registry.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_registry(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _plant(rows: list[dict], name: str, **changes) -> list[dict]:
    return [{**r, **changes} if r["metric_name"] == name else r for r in rows]


@pytest.mark.parametrize("rows,expected", [
    (lambda r: r + [{**r[0], "metric_name": "new_metric"}], "new_metric: registry metric new_metric is missing"),
    (lambda r: _plant(r, "violating_view_rate", metric_version="2"), "violating_view_rate: metric_version 1, registry has 2"),
    (lambda r: _plant(r, "reports_per_10k_active_users", unit="per_1k"), "reports_per_10k_active_users: scale drifted"),
    (lambda r: _plant(r, "impressions", unit="proportion"), "impressions: kind 'simple'"),
], ids=["missing", "version", "scale", "kind"])
def test_check_fails_on_a_registry_that_drifted(tmp_path, rows, expected):
    registry = _write_registry(tmp_path / "metric_registry.csv", rows(_registry_rows()))
    problems = semantic_layer.check_file(semantic_layer.SEMANTIC_YML, registry)
    assert any(p.startswith(expected) for p in problems), problems


def test_check_fails_on_a_layer_that_drifted():
    registry = semantic_layer.load_registry()
    edited = copy.deepcopy(layer())
    edited["metrics"] = [m for m in edited["metrics"] if m["name"] != "unwanted_contact_rate_weekly"]
    for model in edited["semantic_models"]:
        for measure in model["measures"]:
            if measure["name"] == "daily_stranger_adult_to_minor_contacts_per_1k_numerator":
                measure["expr"] = measure["expr"].replace("* 1000", "* 10000")
    problems = semantic_layer.check_layer(registry, edited)
    assert any(p.startswith("unwanted_contact_rate_weekly: registry metric") for p in problems), problems
    assert any(p.startswith("stranger_adult_to_minor_contacts_per_1k: scale drifted") for p in problems), problems
    assert semantic_layer.check_layer(registry, layer()) == []


def test_cli_check_exits_1_on_an_edited_layer(tmp_path, capsys):
    import argparse

    edited = tmp_path / "_semantic_layer.yml"
    edited.write_text(semantic_layer.SEMANTIC_YML.read_text().replace("metric_version: 1", "metric_version: 0", 1))
    assert semantic_layer.run(argparse.Namespace(check=True, out=semantic_layer.SEMANTIC_YML)) == 0
    assert semantic_layer.run(argparse.Namespace(check=True, out=edited)) == 1
    assert "metric_version 0, registry has 1" in capsys.readouterr().err


# ---------------------------------------------------------------- mf query vs the marts


def readme_commands() -> tuple[list[str], list[str]]:
    """(setup lines, `mf` lines) of the README section's ```bash blocks, as written."""
    text = (PROJECT_DIR / "README.md").read_text()
    start = text.index(README_SECTION)
    end = text.find("\n## ", start + len(README_SECTION))
    lines = [line for body in re.findall(r"```bash\n(.*?)```", text[start:end if end > 0 else None], re.S)
             for line in body.splitlines() if line.strip() and not line.startswith("#")]
    return [x for x in lines if not x.startswith(".venv/bin/mf ")], [x for x in lines if x.startswith(".venv/bin/mf ")]


@pytest.fixture(scope="module")
def mf_view(demo_config, tmp_path_factory) -> tuple[Path, dict]:
    """A project view holding a release of the demo build, set up by the README's setup lines."""
    view = project_view(tmp_path_factory.mktemp("mf"), demo_config.db_path, demo_config.as_of_date)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSW_", "DBT_"))}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    setup, _ = readme_commands()
    for line in setup:
        if line.startswith("export "):
            for assignment in shlex.split(line)[1:]:
                key, _, value = assignment.partition("=")
                env[key] = value
            continue
        result = subprocess.run(["bash", "-c", line], cwd=view, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{line}\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert (view / "target" / "semantic_manifest.json").exists()
    return view, env


@pytest.fixture(scope="module")
def published(mf_view) -> dict[str, pd.DataFrame]:
    import duckdb

    view, _ = mf_view
    with duckdb.connect(str(view / "warehouse" / "serving" / "current" / "metrics.duckdb"), read_only=True) as con:
        return {t: con.execute(f"select * from {t}").df() for t in ("metrics_daily", "metrics_periodic")}


def run_mf(mf_view, command: list[str], out: Path) -> pd.DataFrame:
    view, env = mf_view
    result = subprocess.run([*command, "--csv", str(out)], cwd=view, env=env, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0 and out.exists(), f"{shlex.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def _trunc(dates: pd.Series, grain: str) -> pd.Series:
    d = pd.to_datetime(dates)
    if grain == "day":
        return d.dt.normalize()
    if grain == "week":
        return (d - pd.to_timedelta(d.dt.day_of_week, unit="D")).dt.normalize()
    if grain == "month":
        return d.dt.to_period("M").dt.start_time
    if grain == "quarter":
        return d.dt.to_period("Q").dt.start_time
    raise AssertionError(grain)


def _with_pandas_dimensions(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    grouped = [frame[c].ne("all").map({True: c, False: ""}) for c in SEGMENTS]
    frame["grouping"] = [",".join(x for x in parts if x) or "total" for parts in zip(*grouped)]
    bands = pd.read_csv(REFERENCE_SEEDS_DIR / "ref_age_bands.csv", dtype=str)
    group = {r.age_band: ("minor" if r.is_minor == "true" else "adult") for r in bands.itertuples() if r.age_band != "unknown"}
    frame["age_group"] = frame["age_band"].map(group).fillna(frame["age_band"])
    return frame


def expected_values(published: dict, meta: dict, group_by: list[str], where: dict[str, list[str]],
                    start: str | None, end: str | None) -> pd.DataFrame:
    """What a metric column must hold: one row per output key, column `expected`."""
    grain = meta["grain"]
    src = published["metrics_daily"] if grain == "day" else published["metrics_periodic"]
    if grain != "day":
        src = src[src["period_grain"] == grain]
    src = _with_pandas_dimensions(src[src["metric_name"] == meta["registry_metric"]])
    for dim, values in where.items():
        src = src[src[dim].astype(str).str.lower().isin(values)]
    if start:
        src = src[pd.to_datetime(src["metric_date"]) >= pd.Timestamp(start)]
    if end:
        src = src[pd.to_datetime(src["metric_date"]) <= pd.Timestamp(end)]
    keys = []
    for item in group_by:
        if item.startswith("metric_time__"):
            src[item] = _trunc(src["metric_date"], item.split("__")[1])
        else:
            src[item] = src[item.split("__", 1)[1]]
        keys.append(item)
    out = src.groupby(keys, dropna=False).agg(
        numerator=("numerator", lambda s: s.sum(min_count=1)),
        denominator=("denominator", lambda s: s.sum(min_count=1)),
        rows=("metric_name", "size"),
        value=("value", "first"),
    ).reset_index()
    unit, part = meta["unit"], meta.get("part")
    scale = SCALE.get(unit, 1.0)
    if unit in ("hours", "coefficient"):
        assert (out["rows"] == 1).all(), f"{meta['registry_metric']} is only right with one row per cell"
        out["expected"] = out["value"]
    elif part == "numerator" or (part is None and meta["type"] == "simple"):
        out["expected"] = out["numerator"] * scale
    elif part == "denominator":
        out["expected"] = out["denominator"]
    else:
        pooled = out["numerator"] * scale / out["denominator"].where(out["denominator"] != 0)
        out["expected"] = np.where(out["rows"] == 1, out["value"], pooled)
    return out[keys + ["expected"]]


def parse_query(command: list[str]) -> tuple[list[str], list[str], dict[str, list[str]], str | None, str | None]:
    """metrics, group-by items, dimension filters (`= 'x'` / `in (...)`), start and end of an mf command."""
    opts = {command[i]: command[i + 1] for i in range(len(command) - 1) if command[i].startswith("--")}
    wheres = [command[i + 1] for i, c in enumerate(command[:-1]) if c == "--where"]
    if "--saved-query" in opts:
        saved = next(q for q in yaml.safe_load((PROJECT_DIR / "models/semantic/_saved_queries.yml").read_text())
                     ["saved_queries"] if q["name"] == opts["--saved-query"])
        params = saved["query_params"]
        metrics = list(params["metrics"])
        group_by = []
        for item in params["group_by"]:
            if item.startswith("TimeDimension"):
                group_by.append("metric_time__" + re.findall(r"'([^']+)'", item)[1])
            else:
                group_by.append(re.findall(r"'([^']+)'", item)[0])
        wheres = list(params.get("where", []))
    else:
        metrics, group_by = opts["--metrics"].split(","), opts["--group-by"].split(",")
    filters: dict[str, list[str]] = {}
    for clause in wheres:
        dim = re.search(r"Dimension\('[a-z_]+__([a-z_]+)'\)", clause).group(1)
        rhs = clause.split("}}", 1)[1]
        filters[dim] = re.findall(r"'([^']*)'", rhs) or [rhs.split("=", 1)[1].strip().lower()]
    return metrics, group_by, filters, opts.get("--start-time"), opts.get("--end-time")


def check_against_marts(mf_view, published, command: list[str], out: Path) -> int:
    """Assert every metric column of the mf result equals the pandas computation; returns cells checked."""
    got = run_mf(mf_view, command, out)
    metrics, group_by, filters, start, end = parse_query(command)
    metas = metric_meta()
    for item in group_by:
        if item.startswith("metric_time__"):
            got[item] = pd.to_datetime(got[item])
    checked = 0
    for name in metrics:
        want = expected_values(published, metas[name], group_by, filters, start, end)
        assert len(want), f"{name}: no published rows for {shlex.join(command)}"
        if "--limit" in command:  # a limited query: the rows mf returned (its ordering is not ours to check)
            want = want.merge(got[group_by], on=group_by, how="inner")
            assert len(got) == int(command[command.index("--limit") + 1])
        merged = got[group_by + [name]].merge(want, on=group_by, how="outer", indicator=True)
        missing = merged[merged["_merge"] == "right_only"]
        assert missing.empty, f"{name}: cells mf did not return:\n{missing.head()}"
        actual = pd.to_numeric(merged[name].replace("", np.nan))
        expected = merged["expected"].astype(float)  # NaN for keys of other metrics' rows
        same = (actual.isna() & expected.isna()) | np.isclose(actual, expected, rtol=1e-9, atol=1e-12)
        assert same.all(), f"{name}: differing cells\n{merged[~same].head(10)}"
        checked += int(expected.notna().sum())
    return checked


def _daily_metrics(pooled_by_age_band: bool = False) -> list[str]:
    """Daily metrics; pooled_by_age_band: those broken down by age_band that can be pooled over days."""
    metas = metric_meta()
    registry = {m.name: m for m in semantic_layer.load_registry()}
    by_age = {r["metric_name"] for r in _registry_rows() if "age_band" in r["segment_columns"].split("|")}
    return [n for n, m in metas.items() if m["grain"] == "day" and not (
        pooled_by_age_band and (registry[m["registry_metric"]].day_grain_only or m["registry_metric"] not in by_age))]


def _period_metrics(grain: str) -> list[str]:
    return [n for n, m in metric_meta().items() if m["grain"] == grain]


ALL_CELLS = ",".join(f"{{cell}}__{c}" for c in SEGMENTS)

QUERIES = {
    # every cell of every daily metric (and its parts) on one week of days
    "daily_every_cell": [MF, "query", "--metrics", ",".join(_daily_metrics()),
                         "--group-by", "metric_time__day," + ALL_CELLS.format(cell="daily_cell"),
                         "--start-time", "2026-08-10", "--end-time", "2026-08-16"],
    # the daily metrics pooled over ISO weeks by age band (published days only)
    "daily_pooled_week_by_age_band": [MF, "query", "--metrics", ",".join(_daily_metrics(pooled_by_age_band=True)),
                                      "--group-by", "metric_time__week,daily_cell__age_band",
                                      "--where", "{{ Dimension('daily_cell__grouping') }} = 'age_band'"],
    "weekly_every_cell": [MF, "query", "--metrics", ",".join(_period_metrics("week")),
                          "--group-by", "metric_time__week," + ALL_CELLS.format(cell="period_cell")],
    "monthly_every_cell": [MF, "query", "--metrics", ",".join(_period_metrics("month")),
                           "--group-by", "metric_time__month," + ALL_CELLS.format(cell="period_cell")],
    "quarterly_every_cell": [MF, "query", "--metrics", ",".join(_period_metrics("quarter")),
                             "--group-by", "metric_time__quarter," + ALL_CELLS.format(cell="period_cell")],
    "half_yearly_every_cell": [MF, "query", "--metrics", ",".join(_period_metrics("half_year")),
                               "--group-by", "metric_time__day," + ALL_CELLS.format(cell="period_cell")],
}


def test_every_exposed_metric_is_queried():
    queried = {m for command in QUERIES.values() for m in parse_query(command)[0]}
    assert queried == set(metric_meta())


@pytest.mark.parametrize("name", list(QUERIES))
def test_mf_query_equals_the_published_marts(mf_view, published, tmp_path, name):
    checked = check_against_marts(mf_view, published, QUERIES[name], tmp_path / f"{name}.csv")
    assert checked > 0
    print(f"{name}: {checked} non-null cells equal")


def test_readme_mf_examples_run_as_written_and_match_the_marts(mf_view, published, tmp_path):
    _, commands = readme_commands()
    assert commands and any("metric_time__week" in c and "age_band" in c for c in commands)
    for i, line in enumerate(commands):
        command = shlex.split(line)
        command[0] = MF
        assert check_against_marts(mf_view, published, command, tmp_path / f"readme_{i}.csv") > 0, line
