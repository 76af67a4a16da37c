"""`tsw bench`: measure the warehouse against hand-written DuckDB and pandas on the same data.

One run at one scale (users x days of generated landing data, Parquet):

(a) full build: `tsw nightly --full-refresh` as of the day before the data's as-of date
    (dbt models + dbt tests + Great Expectations + publication), wall time and peak RSS;
(b) one nightly incremental run for the next day (the late rows of one night arrive);
(c) the hand-written single-script DuckDB baseline for the core metrics (impressions,
    active_users, violating_view_rate, reports_per_10k_active_users), same cells, straight
    from the landing files;
(d) the same in pandas (run under an address-space cap so that running out of memory is a
    measured outcome, not a crashed machine).

Every phase runs in its own process; peak memory is that process tree's maximum resident
set size (wait4). The ratios and figures are printed and written to
docs/benchmarks/bench-<users>x<days>.json, and docs/benchmarks.md is regenerated from every
result file present (the scaling table). Targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tsw.paths import DOCS_DIR, PROJECT_DIR

BENCH_DIR = PROJECT_DIR / "bench"
RESULTS_DIR = DOCS_DIR / "benchmarks"
CORE_METRICS = ("impressions", "active_users", "violating_view_rate", "reports_per_10k_active_users")
TARGETS = {"build_over_duckdb": 2.0, "nightly_over_full": 0.10, "peak_memory_gib": 8.0}


@dataclass
class Measured:
    seconds: float
    peak_rss_gib: float
    returncode: int
    output_tail: str

    def as_dict(self) -> dict:
        return {"seconds": round(self.seconds, 1), "peak_rss_gib": round(self.peak_rss_gib, 2), "returncode": self.returncode}


def measure(cmd: list[str], *, memory_cap_gib: float | None = None, log: Path | None = None) -> Measured:
    """Run cmd, streaming its output to `log`, and return wall time and the tree's peak RSS."""

    def cap() -> None:
        if memory_cap_gib:
            limit = int(memory_cap_gib * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.monotonic()
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(cmd, cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT, preexec_fn=cap)
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if log:
            out.close()
    seconds = time.monotonic() - started
    tail = ""
    if log and log.exists():
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
    return Measured(seconds, usage.ru_maxrss / 1024**2, os.waitstatus_to_exitcode(status), tail)


def _tsw(*args: str) -> list[str]:
    return [sys.executable, "-m", "tsw.cli", *args]


def _progress(message: str) -> None:
    print(f"[tsw bench {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def _dbt_model_seconds(target: Path, *, select_ancestors_of: str) -> float:
    """Execution time of the models the given model depends on (from the full build's artifacts)."""
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = manifest["nodes"]
    wanted: set[str] = set()
    stack = [uid for uid in nodes if uid.endswith("." + select_ancestors_of)]
    while stack:
        uid = stack.pop()
        if uid in wanted:
            continue
        wanted.add(uid)
        stack.extend(d for d in nodes.get(uid, {}).get("depends_on", {}).get("nodes", []) if d.startswith("model."))
    return sum(r["execution_time"] for r in results if r["unique_id"] in wanted)


def _agreement(work_db: Path, baseline: Path) -> dict:
    """Compare a baseline's cells with the warehouse's unsuppressed values for the same as-of date."""
    import duckdb

    with duckdb.connect(str(work_db), read_only=True) as con:
        row = con.execute(
            f"""
            with b as (select * from read_parquet('{baseline}')),
            w as (
                select * from fct_metrics_daily_unsuppressed
                where metric_name in {CORE_METRICS} and feature = 'all'
            )
            select count(*) as cells,
                count(*) filter (where w.metric_name is null) as missing_in_warehouse,
                max(abs(coalesce(b.numerator, 0) - coalesce(w.numerator, 0))) as max_numerator_diff,
                max(abs(coalesce(b.denominator, 0) - coalesce(w.denominator, 0)))
                    filter (where b.denominator is not null) as max_denominator_diff
            from b left join w using (metric_name, metric_date, age_band, region, plan, surface, policy_category)
            """
        ).fetchone()
    return dict(zip(["cells", "missing_in_warehouse", "max_numerator_diff", "max_denominator_diff"], row))


def run_bench(users: int, days: int, *, seed: int, data_dir: Path | None, skip_pandas: bool, pandas_cap_gib: float) -> dict:
    label = f"{users}x{days}"
    root = BENCH_DIR / label
    root.mkdir(parents=True, exist_ok=True)
    landing = data_dir or root / "landing"
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    result: dict = {
        "scale": {"users": users, "days": days, "seed": seed},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "targets": TARGETS,
    }
    scenario_file = landing / "scenario.json"
    if scenario_file.exists() and json.loads(scenario_file.read_text()).get("params", {}).get("users") in (users, None):
        _progress(f"reusing landing data in {landing}")
    else:
        _progress(f"generating {label} landing data into {landing}")
        gen = measure(
            _tsw("generate", "--out", str(landing), "--format", "parquet", "--users", str(users), "--days", str(days), "--seed", str(seed)),
            log=logs / "generate.log",
        )
        result["generate"] = gen.as_dict()
        if gen.returncode:
            raise SystemExit(f"generation failed:\n{gen.output_tail}")
    as_of = date.fromisoformat(json.loads(scenario_file.read_text())["as_of_date"])
    impressions = _count_rows(landing / "impressions")
    result["impressions_raw_rows"] = impressions

    warehouse = root / "warehouse"
    _progress(f"(a) full build as of {as_of - timedelta(days=1)} (dbt build + tests + Great Expectations + publication)")
    full = measure(
        _tsw("nightly", "--full-refresh", "--date", (as_of - timedelta(days=1)).isoformat(), "--landing-dir", str(landing), "--warehouse", str(warehouse)),
        log=logs / "full_build.log",
    )
    result["full_build"] = full.as_dict()
    if full.returncode:
        raise SystemExit(f"full build failed:\n{full.output_tail}")
    target = warehouse / "dbt_target"
    result["full_build"]["core_metric_models_seconds"] = round(_dbt_model_seconds(target, select_ancestors_of="int_metric_values"), 1)

    _progress(f"(b) nightly incremental run for {as_of}")
    nightly = measure(_tsw("nightly", "--date", as_of.isoformat(), "--landing-dir", str(landing), "--warehouse", str(warehouse)), log=logs / "nightly.log")
    result["nightly"] = nightly.as_dict()
    if nightly.returncode:
        raise SystemExit(f"nightly failed:\n{nightly.output_tail}")

    _progress("(c) hand-written DuckDB baseline")
    duck_out = root / "baseline_duckdb.parquet"
    duck = measure([sys.executable, "-m", "tsw.bench", "_baseline", "duckdb", str(landing), as_of.isoformat(), str(duck_out)], log=logs / "duckdb.log")
    result["duckdb_baseline"] = duck.as_dict()
    if duck.returncode == 0:
        result["duckdb_baseline"]["agreement"] = _agreement(warehouse / "work.duckdb", duck_out)

    if not skip_pandas:
        _progress(f"(d) pandas baseline (address space capped at {pandas_cap_gib} GiB)")
        pandas_out = root / "baseline_pandas.parquet"
        pan = measure(
            [sys.executable, "-m", "tsw.bench", "_baseline", "pandas", str(landing), as_of.isoformat(), str(pandas_out)],
            memory_cap_gib=pandas_cap_gib,
            log=logs / "pandas.log",
        )
        result["pandas_baseline"] = pan.as_dict()
        if pan.returncode == 0:
            result["pandas_baseline"]["agreement"] = _agreement(warehouse / "work.duckdb", pandas_out)
        else:
            result["pandas_baseline"]["failure"] = "out of memory" if "MemoryError" in pan.output_tail else pan.output_tail[-500:]

    ratios = {
        "build_over_duckdb": round(full.seconds / duck.seconds, 2) if duck.returncode == 0 else None,
        "core_models_over_duckdb": round(result["full_build"]["core_metric_models_seconds"] / duck.seconds, 2) if duck.returncode == 0 else None,
        "nightly_over_full": round(nightly.seconds / full.seconds, 3),
        "peak_memory_gib": round(max(full.peak_rss_gib, nightly.peak_rss_gib), 2),
    }
    if "pandas_baseline" in result and result["pandas_baseline"]["returncode"] == 0:
        ratios["pandas_over_build"] = round(result["pandas_baseline"]["seconds"] / full.seconds, 2)
    result["ratios"] = ratios
    result["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"bench-{label}.json").write_text(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    write_report()
    return result


def _count_rows(folder: Path) -> int:
    import duckdb

    files = sorted(str(p) for p in folder.glob("*.parquet"))
    if not files:
        return 0
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from read_parquet({files})").fetchone()[0]


def write_report() -> Path:
    """docs/benchmarks.md from every docs/benchmarks/bench-*.json (the scaling table)."""
    results = sorted(
        (json.loads(p.read_text()) for p in RESULTS_DIR.glob("bench-*.json")),
        key=lambda r: (r["scale"]["users"], r["scale"]["days"]),
    )
    lines = [
        "# Benchmarks",
        "",
        "Measured by `tsw bench` on this project's machine (2 cores, 24 GiB). Each phase runs in its own",
        "process; memory is the process tree's peak resident set size. Regenerated from",
        "`docs/benchmarks/bench-*.json` after every run. Targets (issue: scale and speed): full build at most",
        f"{TARGETS['build_over_duckdb']}x the DuckDB baseline, nightly at most {TARGETS['nightly_over_full']:.0%} of the full build,",
        f"peak memory at most {TARGETS['peak_memory_gib']} GiB.",
        "",
        "| users x days | raw impressions | full build s | nightly s | DuckDB baseline s | pandas s | build / DuckDB | core models / DuckDB | nightly / full | pandas / build | peak GiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratios = r.get("ratios", {})
        pandas = r.get("pandas_baseline")
        pandas_s = "skipped" if pandas is None else (f"{pandas['seconds']}" if pandas["returncode"] == 0 else f"failed ({pandas.get('failure', '')[:40]})")
        duck = r["duckdb_baseline"]
        duck_s = f"{duck['seconds']}" if duck["returncode"] == 0 else f"failed (exit {duck['returncode']})"
        lines.append(
            f"| {r['scale']['users']:,} x {r['scale']['days']} | {r.get('impressions_raw_rows', 0):,} | {r['full_build']['seconds']} | "
            f"{r['nightly']['seconds']} | {duck_s} | {pandas_s} | {ratios.get('build_over_duckdb')} | "
            f"{ratios.get('core_models_over_duckdb')} | {ratios.get('nightly_over_full')} | {ratios.get('pandas_over_build', '-')} | "
            f"{ratios.get('peak_memory_gib')} |"
        )
    lines += [
        "",
        "Columns: *full build* is the whole `tsw nightly --full-refresh` job (every model, every dbt test, the",
        "Great Expectations checkpoint, publication); *core models* is the dbt execution time of the models the",
        "four core metrics depend on (staging of their tables, segments, the exposure family), the like-for-like",
        "comparison with the baseline, which computes only those four metrics; *nightly* is the next night's",
        "incremental run. Agreement of each baseline with the warehouse (cells compared, largest difference)",
        "is in the JSON files.",
        "",
    ]
    notes = DOCS_DIR / "benchmarks_notes.md"
    if notes.exists():
        lines += [notes.read_text()]
    path = DOCS_DIR / "benchmarks.md"
    path.write_text("\n".join(lines))
    return path


def _run_baseline(kind: str, landing: str, as_of: str, out: str) -> int:
    from tsw import bench_baselines

    func = bench_baselines.duckdb_baseline if kind == "duckdb" else bench_baselines.pandas_baseline
    frame = func(Path(landing), date.fromisoformat(as_of))
    frame.to_parquet(out, index=False)
    print(f"{kind} baseline: {len(frame)} cells")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=1_000_000, help="Users in the generated data (default 1,000,000).")
    parser.add_argument("--days", type=int, default=90, help="Days in the generated data (default 90).")
    parser.add_argument("--seed", type=int, default=1, help="Generator seed (default 1).")
    parser.add_argument("--data-dir", type=Path, default=None, help="Reuse (or create) landing data here instead of bench/<users>x<days>/landing.")
    parser.add_argument("--skip-pandas", action="store_true", help="Skip the pandas baseline.")
    parser.add_argument("--pandas-memory-cap", type=float, default=20.0, help="Address-space cap for the pandas process, GiB (default 20).")


def run(args: argparse.Namespace) -> int:
    result = run_bench(args.users, args.days, seed=args.seed, data_dir=args.data_dir, skip_pandas=args.skip_pandas, pandas_cap_gib=args.pandas_memory_cap)
    print(json.dumps(result["ratios"], indent=2))
    print(f"report: {DOCS_DIR / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "_baseline":
        sys.exit(_run_baseline(*sys.argv[2:]))
    raise SystemExit("usage: tsw bench --help")
