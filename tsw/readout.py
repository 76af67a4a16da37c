"""`tsw readout`: one HTML readout per intervention, for a policy partner.

Reads the published intervention marts (intervention_effects, intervention_event_study,
intervention_experiment_effects) from the serving database or any built database, and
writes `<out>/<intervention_id>.html` plus `<out>/index.html`: what launched and for whom,
what changed with how much certainty (95% intervals, verdicts), the event-study chart
(plotly, JavaScript inlined so the file opens offline), the pre-trend and placebo results
and the caveats that apply. Methods: docs/interventions.md.
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

from tsw.paths import WAREHOUSE_DIR
from tsw.publish import serving_database

DEFAULT_OUT = WAREHOUSE_DIR / "readouts"
SMALL_COUNT = 30  # fewer events than this in a cell: say the estimate is imprecise

VERDICT_TEXT = {
    "improved": "improved",
    "worsened": "worsened",
    "no_detectable_change": "no detectable change",
    "inconclusive_pre_trend": "inconclusive (the groups were already drifting apart before launch)",
}


def _value(x: float | None, unit: str) -> str:
    if x is None or pd.isna(x):
        return "–"
    if unit == "proportion":
        return f"{x:.3%}"
    return f"{x:,.2f}"


def _difference(x: float | None, unit: str) -> str:
    """A difference of proportions in percentage points, else in the metric's unit."""
    if x is None or pd.isna(x):
        return "–"
    return f"{x * 100:+.2f} pp" if unit == "proportion" else f"{x:+,.2f}"


def _percent(x: float | None) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:+.0%}"


def _tables(database: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as con:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        return {
            name: con.execute(f"select * from {name}").df() if name in present else pd.DataFrame()
            for name in ("intervention_effects", "intervention_event_study", "intervention_experiment_effects")
        }


def _event_study_chart(study: pd.DataFrame, metric: str, unit: str, include_js: bool) -> str:
    fig = go.Figure()
    for analysis, color in (("launch", "#1f5fa8"), ("placebo", "#999999")):
        s = study[study.analysis == analysis].sort_values("event_week")
        if s.empty:
            continue
        fig.add_trace(go.Scatter(
            x=s.event_week, y=s.estimate, mode="markers+lines", name="real launch" if analysis == "launch" else "placebo launch",
            line={"color": color, "dash": "solid" if analysis == "launch" else "dot"},
            error_y={"type": "data", "symmetric": False, "array": s.ci_upper - s.estimate, "arrayminus": s.estimate - s.ci_lower},
        ))
    fig.add_hline(y=0, line={"color": "black", "width": 1})
    fig.add_vline(x=0, line={"color": "#d08a1f", "dash": "dash"}, annotation_text="launch")
    fig.update_layout(
        title=f"Event study: {metric}", height=380, margin={"l": 60, "r": 20, "t": 50, "b": 50},
        xaxis_title="weeks relative to launch (week -1 = the 7 days before)",
        yaxis_title=f"targeted − comparison gap vs pre period ({unit})",
    )
    return fig.to_html(full_html=False, include_plotlyjs=include_js)


def _caveats(row: pd.Series, placebo: pd.Series | None) -> list[str]:
    notes = []
    counts = [row.targeted_pre_numerator, row.targeted_post_numerator]
    if row.unit != "proportion" and min(counts) < SMALL_COUNT:
        notes.append(f"Few events in the targeted group ({counts[0]:.0f} before, {counts[1]:.0f} after): the interval is wide.")
    if not row.is_final:
        notes.append("Some days used are not final yet: late data can still change these numbers.")
    if row.post_days_used < 28:
        notes.append(f"The post period covers only {row.post_days_used} days (clipped at the end or the as-of date).")
    if not row.pre_trend_passed:
        notes.append("The targeted and comparison groups were trending apart before launch; the comparison is not a fair counterfactual.")
    if placebo is not None and placebo.verdict not in ("no_detectable_change", None):
        notes.append(f"The placebo launch shows '{placebo.verdict}': treat the real estimate with caution.")
    notes.append(
        "Difference-in-differences assumes the targeted group would have moved like the comparison group without the launch."
    )
    return notes


def _did_section(effects: pd.DataFrame, study: pd.DataFrame, include_js: bool) -> tuple[str, bool]:
    parts = []
    for metric, rows in effects.groupby("metric_name"):
        launch = rows[rows.analysis == "launch"]
        if launch.empty:
            continue
        r = launch.iloc[0]
        placebo_rows = rows[rows.analysis == "placebo"]
        p = placebo_rows.iloc[0] if not placebo_rows.empty else None
        verdict = VERDICT_TEXT.get(r.verdict, "not estimable")
        sentence = (
            f"In the targeted group ({html.escape(r.targeted_segment)}) <b>{metric}</b> went from "
            f"{_value(r.targeted_pre, r.unit)} to {_value(r.targeted_post, r.unit)}; in the comparison group "
            f"({html.escape(str(r.comparison_segment))}) from {_value(r.comparison_pre, r.unit)} to "
            f"{_value(r.comparison_post, r.unit)}. The difference-in-differences is "
            f"<b>{_difference(r.did_estimate, r.unit)}</b> (95% interval {_difference(r.did_ci_lower, r.unit)} to "
            f"{_difference(r.did_ci_upper, r.unit)}), a relative change of <b>{_percent(r.relative_change)}</b> "
            f"({_percent(r.relative_ci_lower)} to {_percent(r.relative_ci_upper)}) against what the comparison "
            f"group's trend predicts. Verdict: <b>{verdict}</b>."
        )
        pre_trend = (
            f"Pre-trend test: slope of the weekly gap {_difference(r.pre_trend_slope, r.unit)} per week "
            f"(z = {r.pre_trend_z:.2f}): {'passed' if r.pre_trend_passed else 'FAILED'}."
            if r.pre_trend_z is not None and not pd.isna(r.pre_trend_z) else "Pre-trend test: not computable (too few weeks)."
        )
        placebo = (
            f"Placebo launch on {p.anchor_date:%Y-%m-%d} (only pre-launch data): difference-in-differences "
            f"{_difference(p.did_estimate, p.unit)} ({_difference(p.did_ci_lower, p.unit)} to {_difference(p.did_ci_upper, p.unit)}), "
            f"verdict <b>{VERDICT_TEXT.get(p.verdict, 'not estimable')}</b>."
            if p is not None else "No placebo."
        )
        table = pd.DataFrame({
            "": ["targeted", "comparison"],
            f"pre ({r.pre_start:%m-%d}..{r.pre_end:%m-%d}, {r.pre_days_used} d)": [_value(r.targeted_pre, r.unit), _value(r.comparison_pre, r.unit)],
            f"post ({r.post_start:%m-%d}..{r.post_end:%m-%d}, {r.post_days_used} d)": [_value(r.targeted_post, r.unit), _value(r.comparison_post, r.unit)],
            "change": [_difference(r.targeted_change, r.unit), _difference(r.comparison_change, r.unit)],
            "users (pre / post)": [f"{r.targeted_pre_users} / {r.targeted_post_users}", f"{r.comparison_pre_users} / {r.comparison_post_users}"],
        }).to_html(index=False, border=0)
        chart = _event_study_chart(study[study.metric_name == metric], metric, r.unit, include_js)
        include_js = False
        caveats = "".join(f"<li>{html.escape(c)}</li>" for c in _caveats(r, p))
        parts.append(
            f"<section><h2>{metric} (v{r.metric_version}, {r.direction.replace('_', ' ')})</h2><p>{sentence}</p>{table}"
            f"<p>{pre_trend}</p><p>{placebo}</p>{chart}<h3>Caveats</h3><ul>{caveats}</ul></section>"
        )
    return "".join(parts), include_js


def _experiment_section(experiments: pd.DataFrame) -> str:
    parts = []
    for r in experiments.itertuples():
        srm = (
            f"Sample ratio: {r.treatment_users} treatment / {r.control_users} control users "
            f"(expected share {r.expected_treatment_share:.0%}, chi-square {r.srm_chi_square:.2f}, p = {r.srm_p_value:.3f})"
            + (": <b>MISMATCH, the assignment is suspect</b>." if r.srm_detected else ": fine.")
        )
        parts.append(
            f"<section><h2>{r.metric_name} (randomized experiment {html.escape(r.experiment_id)})</h2>"
            f"<p>Treatment: {_value(r.treatment_value, r.unit)} ({r.treatment_numerator:.0f} of {r.treatment_denominator:.0f}); "
            f"control: {_value(r.control_value, r.unit)} ({r.control_numerator:.0f} of {r.control_denominator:.0f}), "
            f"from each user's assignment on. Difference <b>{_difference(r.difference, r.unit)}</b> "
            f"(95% interval {_difference(r.ci_lower, r.unit)} to {_difference(r.ci_upper, r.unit)}; relative "
            f"{_percent(r.relative_change)}). With the users' pre-launch value as covariate (CUPED): "
            f"<b>{_difference(r.cuped_difference, r.unit)}</b> ({_difference(r.cuped_ci_lower, r.unit)} to "
            f"{_difference(r.cuped_ci_upper, r.unit)}), variance reduced by {r.variance_reduction or 0:.0%}. "
            f"Verdict: <b>{VERDICT_TEXT.get(r.verdict, 'not estimable')}</b> (raw: {VERDICT_TEXT.get(r.raw_verdict, '–')}).</p>"
            f"<p>{srm}</p><h3>Caveats</h3><ul>"
            + ("" if r.is_final else "<li>Some days used are not final yet.</li>")
            + (f"<li>Only {r.treatment_numerator + r.control_numerator:.0f} unsafe outputs in total: the interval is wide.</li>"
               if r.treatment_numerator + r.control_numerator < SMALL_COUNT else "")
            + "<li>Only outputs the primary judge rated are counted (a sample of production outputs).</li></ul></section>"
        )
    return "".join(parts)


def render(database: Path) -> dict[str, str]:
    """intervention_id -> HTML page."""
    t = _tables(database)
    effects, study, experiments = t["intervention_effects"], t["intervention_event_study"], t["intervention_experiment_effects"]
    ids = sorted(set(effects.get("intervention_id", [])) | set(experiments.get("intervention_id", [])))
    pages = {}
    for intervention_id in ids:
        e = effects[effects.intervention_id == intervention_id] if not effects.empty else effects
        x = experiments[experiments.intervention_id == intervention_id] if not experiments.empty else experiments
        head = e.iloc[0] if not e.empty else x.iloc[0]
        did_html, _ = _did_section(e, study[study.intervention_id == intervention_id], include_js=True) if not e.empty else ("", True)
        as_of = head.as_of_date
        who = html.escape(head.targeted_segment) if "targeted_segment" in head else "all users, randomized"
        pages[intervention_id] = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{intervention_id} readout</title><style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}"
            "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd}</style></head><body>"
            f"<h1>{html.escape(head.intervention_name)} ({intervention_id})</h1>"
            f"<p>{html.escape(str(head.intervention_description))}</p>"
            f"<p><b>Launched</b> {head.launch_date:%Y-%m-%d}. <b>For whom:</b> {who}. "
            f"Numbers as of {as_of:%Y-%m-%d}; a verdict says improved or worsened only when the 95% interval "
            "excludes no change in the direction the metric calls better.</p>"
            f"{did_html}{_experiment_section(x)}</body></html>"
        )
    return pages


def write(database: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    links = []
    for intervention_id, page in render(database).items():
        path = out / f"{intervention_id}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
        links.append(f"<li><a href='{path.name}'>{intervention_id}</a></li>")
    (out / "index.html").write_text(f"<!doctype html><html><body><h1>Intervention readouts</h1><ul>{''.join(links)}</ul></body></html>")
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", type=Path, default=None,
                        help="Database with the intervention marts (default: the current serving release).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"Folder to write the readouts to (default: {DEFAULT_OUT}).")


def run(args: argparse.Namespace) -> int:
    database = args.database or serving_database()
    if not Path(database).exists():
        print(f"no database at {database}: build or publish first")
        return 1
    for path in write(Path(database), args.out):
        print(f"wrote {path}")
    return 0
