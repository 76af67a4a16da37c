"""The dashboard page: one self-contained HTML file (plotly's JavaScript inlined).

The trend view is drawn in the browser from embedded JSON (tsw/dashboard/app.js), so
the selectors work offline; the AI-evaluation and data-quality views are plotly figures
and tables rendered here.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from tsw.dashboard.data import AI_TABLES, SEGMENT_DIMENSIONS, Release

DEFAULT_METRIC = "violating_view_rate"
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222;padding:0 1em}
h1{margin-bottom:.2em} h2{border-top:2px solid #ddd;padding-top:.6em;margin-top:1.6em}
.controls{display:flex;gap:1.2em;flex-wrap:wrap;align-items:end;background:#f5f5f5;padding:.7em 1em;border-radius:6px}
.controls label{display:flex;flex-direction:column;font-size:.85em;color:#444}
.controls select{font-size:1em;padding:.2em}
.note{color:#555;font-size:.9em} .absent{color:#8a5a00;background:#fff6e0;padding:.5em 1em;border-radius:4px}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0} td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td:first-child,th:first-child{text-align:left} .scroll{max-height:320px;overflow:auto}
.legend-key span{display:inline-block;margin-right:1.2em}
"""


def _table(rows: list[dict[str, Any]], limit: int = 200) -> str:
    if not rows:
        return "<p class='note'>No rows.</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in columns) + "</tr>" for row in rows[:limit]
    )
    more = f"<p class='note'>First {limit} of {len(rows)} rows.</p>" if len(rows) > limit else ""
    return f"<div class='scroll'><table><tr>{head}</tr>{body}</table></div>{more}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _figure_html(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(height=380, margin={"t": 40, "r": 20, "b": 50, "l": 60}, legend={"orientation": "h", "y": -0.25})
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id, config={"displaylogo": False})


def _x_column(columns: list[str]) -> str | None:
    for name in columns:
        if name.endswith("_date") or name in ("run_date", "metric_date", "event_date", "period_start"):
            return name
    return next((c for c in columns if c.endswith("_at")), None)


def _generic_chart(rows: list[dict[str, Any]], div_id: str, title: str) -> str:
    """A line per numeric rate-like column (and per feature/model when present) over the table's date."""
    if not rows:
        return ""
    columns = list(rows[0])
    x = _x_column(columns)
    measures = [c for c in columns if any(k in c for k in ("rate", "accuracy", "kappa", "share"))
                and isinstance(next((r[c] for r in rows if r[c] is not None), None), (int, float))
                and not c.startswith(("ci_", "lower", "upper")) and not c.endswith(("_lower", "_upper"))]
    if x is None or not measures:
        return ""
    split = next((c for c in ("model_version", "feature", "judge_id", "table_name") if c in columns), None)
    fig = go.Figure()
    for measure in measures[:4]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(str(row[split]) if split else measure, []).append(row)
        for key, members in sorted(groups.items()):
            members = sorted(members, key=lambda r: str(r[x]))
            fig.add_trace(go.Scatter(x=[r[x] for r in members], y=[r[measure] for r in members], mode="lines+markers",
                                     name=f"{measure} {key}" if split else measure))
    fig.update_layout(title={"text": title})
    return _figure_html(fig, div_id)


def _ai_section(release: Release) -> str:
    parts = ["<h2 id='ai'>AI evaluation</h2><p class='note'>Per feature and model version: red-team attack success "
             "and over-refusal by eval run, production unsafe-output rate, and the judge's quality "
             "(agreement with humans, calibration accuracy).</p>"]
    for name in AI_TABLES:
        rows = release.ai.get(name)
        if rows is None:
            parts.append(f"<h3>{name}</h3><p class='absent'>Not in this release: <code>{name}</code> is not published yet.</p>")
            continue
        parts.append(f"<h3>{name}</h3>" + _generic_chart(rows, f"ai-{name}", name) + _table(rows))
    ai_metrics = [m["metric_name"] for m in release.metrics if m["metric_name"].startswith("ai_")]
    parts.append("<p class='note'>AI metrics in metrics_daily (pick them in the trend above): "
                 + (", ".join(ai_metrics) if ai_metrics else "none in this release") + ".</p>")
    return "".join(parts)


def _dq_section(release: Release) -> str:
    parts = ["<h2 id='dq'>Data quality</h2>"]
    recon = release.dq.get("dq_raw_reconciliation")
    if recon is None:
        parts.append("<p class='absent'>dq_raw_reconciliation is not in this release.</p>")
    else:
        bad = [r["table_name"] for r in recon if r.get("is_reconciled") is False]
        parts.append("<h3>Reconciliation and quarantine</h3><p class='note'>Every raw row is staged, quarantined (with a "
                     "reason, in the restricted quarantine_rows model), a duplicate, or not yet known. "
                     + ("All tables reconcile." if not bad else f"<b>Not reconciled: {', '.join(bad)}</b>") + "</p>")
        fig = go.Figure()
        tables = [r["table_name"] for r in recon]
        for column in ("quarantined_rows", "duplicate_rows", "not_yet_known_rows"):
            if column in recon[0]:
                fig.add_trace(go.Bar(x=tables, y=[r[column] for r in recon], name=column))
        fig.update_layout(barmode="group", title={"text": "Rows not staged, by raw table"}, yaxis={"type": "log"})
        parts.append(_figure_html(fig, "dq-reconciliation") + _table(recon))
    late = release.dq.get("dq_late_beyond_finality")
    if late is None:
        parts.append("<p class='absent'>dq_late_beyond_finality is not in this release.</p>")
    else:
        per: dict[str, dict[str, float]] = {}
        for row in late:
            per.setdefault(row["table_name"], {}).setdefault(row["event_date"], 0)
            per[row["table_name"]][row["event_date"]] = max(per[row["table_name"]][row["event_date"]], row["late_rows"] or 0)
        fig = go.Figure()
        for table, days in sorted(per.items()):
            xs = sorted(days)
            fig.add_trace(go.Scatter(x=xs, y=[days[d] for d in xs], mode="lines", name=table))
        fig.update_layout(title={"text": "Rows ingested after their day's finalization instant (late beyond finality)"})
        parts.append("<h3>Late rows</h3>" + _figure_html(fig, "dq-late"))
    for name in ("dq_unknown_reference_share", "dq_quarantine_summary"):
        rows = release.dq.get(name)
        if rows is not None:
            parts.append(f"<h3>{name}</h3>" + _table(rows))
    return "".join(parts)


def _interventions_section(release: Release) -> str:
    if release.interventions is None:
        return ("<h2 id='interventions'>Interventions</h2><p class='absent'>No interventions table in this release: "
                "no launch markers.</p>")
    parts = ["<h2 id='interventions'>Interventions</h2><p class='note'>Launches are dashed lines on the trend; "
             "their readout verdict for the selected metric is in the label (green improved, red worsened).</p>",
             _table(release.interventions)]
    if release.effects is None:
        parts.append("<p class='absent'>intervention_effects is not in this release: markers carry no verdicts.</p>")
    else:
        parts.append("<h3>intervention_effects</h3>" + _table(release.effects))
    return "".join(parts)


def _options(values: list[tuple[str, str]], selected: str) -> str:
    return "".join(
        f"<option value='{html.escape(v)}'{' selected' if v == selected else ''}>{html.escape(label)}</option>"
        for v, label in values
    )


def _round(value: Any) -> Any:
    return float(f"{value:.6g}") if isinstance(value, float) else value


def _payload(release: Release) -> str:
    series = {
        grain: {
            metric: {
                dim: {seg: {k: [_round(v) for v in col] if k in ("value", "lo", "hi") else col for k, col in s.items()}
                      for seg, s in block.items()}
                for dim, block in dims.items()
            }
            for metric, dims in metrics.items()
        }
        for grain, metrics in release.series.items()
    }
    payload = {
        "metrics": [{k: m.get(k) for k in ("metric_name", "unit", "direction", "maturity_days", "description")} for m in release.metrics],
        "dimensions": list(SEGMENT_DIMENSIONS),
        "series": series,
        "interventions": release.interventions,
        "effects": release.effects,
    }
    # "</" must not end the script element early.
    return json.dumps(payload, separators=(",", ":"), default=str).replace("</", "<\\/")


def render_page(release: Release) -> str:
    names = [m["metric_name"] for m in release.metrics]
    default = DEFAULT_METRIC if DEFAULT_METRIC in names else (names[0] if names else "")
    script = resources.files("tsw.dashboard").joinpath("app.js").read_text()
    plotly_js = pio.to_html(go.Figure(), include_plotlyjs=True, full_html=False, div_id="trend",
                            config={"displaylogo": False})
    week_note = ("Weeks come from metrics_periodic." if release.week_source == "metrics_periodic" else
                 "This release has no metrics_periodic: weeks are pooled from the published daily cells (summed parts, "
                 "Wilson interval on the pooled effective n); a week with a suppressed day is a gap; quantiles and "
                 "active_users are not pooled.")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trust &amp; safety metrics</title>
<style>{STYLE}</style></head>
<body data-view="">
<h1>Trust &amp; safety metrics</h1>
<p class="note">Release {html.escape(release.release_id or "unknown")}, as of {html.escape(release.as_of)}. Read-only from the
published release (serving/current). Jump to <a href="#interventions">interventions</a>, <a href="#ai">AI evaluation</a>,
<a href="#dq">data quality</a>.</p>
<h2 id="trends">Trends</h2>
<div class="controls">
<label>metric<select id="metric">{_options([(n, n) for n in names], default)}</select></label>
<label>segment<select id="dimension"><option value="age_band">age_band</option></select></label>
<label>grain<select id="grain">{_options([("day", "daily"), ("week", "weekly")], "day")}</select></label>
</div>
<p id="metric-description" class="note"></p>
<p class="note legend-key"><span>solid line + shaded band: final values with their 95% interval</span>
<span>dotted grey, open markers, grey zone: provisional (not final; do not read trends there)</span>
<span>thick warm lines: minors (under_13, 13_15, 16_17); thin blue: adults</span></p>
{plotly_js}
<p id="suppressed-note" class="note"></p>
<table id="latest"></table>
<p class="note">{html.escape(week_note)}</p>
{_interventions_section(release)}
{_ai_section(release)}
{_dq_section(release)}
<script type="application/json" id="tsw-data">{_payload(release)}</script>
<script>{script}</script>
</body></html>
"""
