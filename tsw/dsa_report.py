"""`tsw dsa-report`: write the EU DSA transparency export for one reporting period.

Reads the published mart `dsa_transparency_report` (the current release by default) and
writes one CSV per template section, laid out with the template's row and column labels
(`area`, `row_label`, then one column per column label), plus `summary.md` with each
section's finality. The export is a draft for the compliance team, not a filing
(docs/dsa.md).
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from tsw.paths import SERVING_DIR
from tsw.publish import serving_database

TABLE = "dsa_transparency_report"
GRAINS = ("half_year", "quarter", "year")
_PERIOD_PATTERNS = {
    "half_year": re.compile(r"^(\d{4})H([12])$"),
    "quarter": re.compile(r"^(\d{4})Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
EU_AREA = "EU"


@dataclass(frozen=True)
class SectionStatus:
    section: str
    title: str
    maturity_days: int
    is_final: bool
    final_on: date


def parse_period(period: str, grain: str | None = None) -> tuple[str, str]:
    """(grain, label) of a period label such as 2026H1, 2026Q3 or 2026; --grain must agree."""
    label = period.strip().upper()
    matches = [name for name, pattern in _PERIOD_PATTERNS.items() if pattern.match(label)]
    if not matches:
        raise ValueError(f"period {period!r} is not YYYYH1|H2, YYYYQ1..Q4 or YYYY")
    inferred = matches[0]
    if grain is not None and grain != inferred:
        raise ValueError(f"period {label} is a {inferred} period, not {grain}")
    return inferred, label


def resolve_database(release: Path | None, database: Path | None, serving_dir: Path) -> Path:
    """The database to read: --database, else --release (folder or its metrics.duckdb), else the current release."""
    if database is not None and release is not None:
        raise ValueError("give --release or --database, not both")
    if database is not None:
        path = database
    elif release is not None:
        path = release / "metrics.duckdb" if release.is_dir() else release
    else:
        path = serving_database(serving_dir)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}: publish a release (`tsw demo`, `tsw nightly`) or pass --database")
    return path


def load_period(database: Path, grain: str, label: str) -> list[dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        if TABLE not in tables:
            raise RuntimeError(f"{database} has no {TABLE}: build and publish a release that includes the DSA marts")
        cursor = con.execute(
            f"select * from {TABLE} where period_grain = ? and period_label = ? "
            "order by section, case when area = ? then 0 else 1 end, area, row_order, column_order",
            [grain, label, EU_AREA],
        )
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values)) for values in cursor.fetchall()]
    if not rows:
        raise LookupError(f"{database} has no {grain} period {label} (the data does not reach it)")
    return rows


def format_value(value: float | None, kind: str) -> str:
    if value is None:
        return ""
    if kind == "count":
        return str(int(round(value)))
    return f"{value:.4f}"


def write_sections(rows: list[dict], out_dir: Path) -> list[Path]:
    """One CSV per section: area, row_label, then the section's column labels in template order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for section in sorted({row["section"] for row in rows}):
        cells = [row for row in rows if row["section"] == section]
        columns = [label for _, label in sorted({(row["column_order"], row["column_label"]) for row in cells})]
        lines: dict[tuple[str, str], dict[str, str]] = {}
        for row in cells:
            line = lines.setdefault((row["area"], row["row_label"]), {"area": row["area"], "row_label": row["row_label"]})
            line[row["column_label"]] = format_value(row["value"], row["figure_kind"])
        path = out_dir / f"{section}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["area", "row_label", *columns], lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(lines.values())
        written.append(path)
    return written


def section_statuses(rows: list[dict]) -> list[SectionStatus]:
    statuses: dict[str, SectionStatus] = {}
    for row in rows:
        if row["section"] not in statuses:
            statuses[row["section"]] = SectionStatus(
                section=row["section"],
                title=row["section_title"],
                maturity_days=int(row["maturity_days"]),
                is_final=bool(row["is_final"]),
                final_on=row["period_end"] + timedelta(days=int(row["maturity_days"])),
            )
    return [statuses[name] for name in sorted(statuses)]


def _eu_value(rows: list[dict], section: str, row_label: str, column_label: str) -> str:
    for row in rows:
        if (row["section"], row["area"], row["row_label"], row["column_label"]) == (section, EU_AREA, row_label, column_label):
            return format_value(row["value"], row["figure_kind"]) or "n/a"
    return "n/a"


def render_summary(rows: list[dict], grain: str, label: str, database: Path) -> str:
    first = rows[0]
    statuses = section_statuses(rows)
    all_final = all(status.is_final for status in statuses)
    covered = bool(first["is_period_covered"])
    lines = [
        f"# DSA transparency export: {label} ({grain.replace('_', '-')})",
        "",
        "**Draft for the compliance team, not a filing.** Figures come from the warehouse's marts under the "
        "catalog metrics' knowledge-time rules; see docs/dsa.md for what each figure means.",
        "",
        f"- Period: {first['period_start']} to {first['period_end']}",
        f"- As-of date of the build: {first['as_of_date']}",
        f"- Source: {database}",
        f"- Status: **{'FINAL' if all_final else 'PROVISIONAL'}**"
        + ("" if all_final else f" (final once every section is; the last on {max(s.final_on for s in statuses)})"),
    ]
    if not covered:
        lines.append("- Coverage: **partial**: the data starts after the period's first day, so the figures cover only part of it.")
    lines += ["", "| section | follows maturity of | status |", "|---|---|---|"]
    for status in statuses:
        state = "final" if status.is_final else f"provisional (final on {status.final_on})"
        lines.append(f"| {status.section}: {status.title} | {status.maturity_days} days | {state} |")
    lines += [
        "",
        "## EU totals",
        "",
        f"- Notices of illegal content received: {_eu_value(rows, '1_notices', 'TOTAL', 'notices_received')}"
        f" (trusted flaggers: {_eu_value(rows, '1_notices', 'TOTAL', 'notices_from_trusted_flaggers')};"
        f" acted on: {_eu_value(rows, '1_notices', 'TOTAL', 'notices_acted_on')};"
        f" median hours to action: {_eu_value(rows, '1_notices', 'TOTAL', 'median_hours_notice_to_action')})",
        f"- Own-initiative actions: {_eu_value(rows, '2_own_initiative', 'TOTAL', 'actions_total')}"
        f" (share detected by automated means: {_eu_value(rows, '2_own_initiative', 'TOTAL', 'share_detected_by_automated_means')};"
        f" decided by automated means: {_eu_value(rows, '2_own_initiative', 'TOTAL', 'share_decided_by_automated_means')})",
        f"- Actions in the EU view: {_eu_value(rows, '3_territorial_scope', 'total_in_area', 'total')}"
        f" (global: {_eu_value(rows, '3_territorial_scope', 'scope_global', 'total')};"
        f" listing member states: {_eu_value(rows, '3_territorial_scope', 'scope_listed_member_states', 'total')});"
        f" not in the EU view (non-EU countries only): "
        f"{_eu_value(rows, '3_territorial_scope', 'outside_eu_view_non_eu_countries_only', 'total')}",
        f"- Complaints received: {_eu_value(rows, '4_complaints', 'TOTAL', 'complaints_received')}"
        f" (upheld {_eu_value(rows, '4_complaints', 'TOTAL', 'decided_upheld')},"
        f" reversed {_eu_value(rows, '4_complaints', 'TOTAL', 'decided_reversed')},"
        f" withdrawn {_eu_value(rows, '4_complaints', 'TOTAL', 'withdrawn')},"
        f" pending at period end {_eu_value(rows, '4_complaints', 'TOTAL', 'pending_at_period_end')};"
        f" median hours to resolution {_eu_value(rows, '4_complaints', 'TOTAL', 'median_hours_to_resolution')})",
        f"- Average monthly active recipients in the EU: "
        f"{_eu_value(rows, '5_active_recipients', 'average_monthly_active_recipients', 'average_monthly_active_recipients')}",
        "",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", required=True, help="Reporting period: 2026H1 (half-year), 2026Q2 (quarter) or 2026 (year).")
    parser.add_argument("--grain", choices=GRAINS, default=None,
                        help="Grain of --period (inferred from it; given, it must agree). Half-year is the DSA default.")
    parser.add_argument("--release", type=Path, default=None, help="A published release folder (or its metrics.duckdb). Default: the current release.")
    parser.add_argument("--database", type=Path, default=None, help="Read this database instead of a release (e.g. a built work database).")
    parser.add_argument("--serving-dir", type=Path, default=SERVING_DIR, help=f"Serving folder whose current release is read (default: {SERVING_DIR}).")
    parser.add_argument("--out", type=Path, required=True, help="Folder to write <section>.csv files and summary.md into.")


def run(args: argparse.Namespace) -> int:
    try:
        grain, label = parse_period(args.period, args.grain)
        database = resolve_database(args.release, args.database, args.serving_dir)
        rows = load_period(database, grain, label)
    except (ValueError, FileNotFoundError, RuntimeError, LookupError) as exc:
        print(f"dsa-report: {exc}")
        return 1
    written = write_sections(rows, args.out)
    summary = args.out / "summary.md"
    summary.write_text(render_summary(rows, grain, label, database))
    status = "final" if all(s.is_final for s in section_statuses(rows)) else "provisional"
    print(f"dsa-report: {label} ({status}): wrote {len(written)} section files and {summary}")
    return 0
