// The dashboard's behaviour: selectors redraw the trend with Plotly.react.
// DATA (embedded JSON) holds, per grain, metric and segment dimension, one column set per
// segment value: x, value, lo, hi, n, final, suppressed.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("tsw-data").textContent);
  const MINORS = ["under_13", "13_15", "16_17"];
  const ADULTS = ["18_24", "25_34", "35_plus"];
  const MINOR_COLORS = {under_13: "#b2182b", "13_15": "#e6550d", "16_17": "#fd8d3c"};
  const ADULT_COLORS = {"18_24": "#2166ac", "25_34": "#4393c3", "35_plus": "#92c5de"};
  const OTHER_COLORS = ["#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b15928", "#6a3d9a", "#ff7f00", "#33a02c", "#fb9a99"];
  const sel = (id) => document.getElementById(id);
  const metricsByName = Object.fromEntries(DATA.metrics.map((m) => [m.metric_name, m]));

  function fmt(v, unit) {
    if (v === null || v === undefined) return "–";
    if (unit === "proportion") return (100 * v).toFixed(v < 0.01 ? 3 : 2) + "%";
    if (unit === "count") return Math.round(v).toLocaleString("en");
    return v.toLocaleString("en", {maximumFractionDigits: 2});
  }

  function colorOf(dim, segment, i) {
    if (segment === "all") return "#222222";
    if (dim === "age_band") return MINOR_COLORS[segment] || ADULT_COLORS[segment] || "#999999";
    return OTHER_COLORS[i % OTHER_COLORS.length];
  }

  function segmentOrder(dim, segments) {
    if (dim !== "age_band") return segments.slice().sort((a, b) => (a === "all" ? -1 : b === "all" ? 1 : a.localeCompare(b)));
    const order = ["all"].concat(MINORS, ADULTS, ["unknown"]);
    return segments.slice().sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }

  function fillDimensions() {
    const metric = sel("metric").value;
    const grain = sel("grain").value;
    const dims = Object.keys((DATA.series[grain] || {})[metric] || {});
    const dimSelect = sel("dimension");
    const previous = dimSelect.value;
    dimSelect.innerHTML = "";
    for (const d of DATA.dimensions) {
      if (!dims.includes(d)) continue;
      const o = document.createElement("option");
      o.value = d; o.textContent = d;
      dimSelect.appendChild(o);
    }
    if (dims.includes(previous)) dimSelect.value = previous;
  }

  function hexToRgba(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }

  function traces(metric, dim, grain) {
    const block = ((DATA.series[grain] || {})[metric] || {})[dim] || {};
    const unit = metricsByName[metric].unit;
    const out = [];
    const notes = [];
    const summary = [];
    segmentOrder(dim, Object.keys(block)).forEach((segment, i) => {
      const s = block[segment];
      const color = colorOf(dim, segment, i);
      const isMinor = dim === "age_band" && MINORS.includes(segment);
      const width = segment === "all" ? 2 : isMinor ? 3.5 : 1.5;
      const label = dim === "age_band" && segment !== "all" ? `${segment} (${isMinor ? "minor" : ADULTS.includes(segment) ? "adult" : "age unknown"})` : segment;
      const finalY = s.value.map((v, k) => (s.final[k] && !s.suppressed[k] ? v : null));
      const provY = s.value.map((v, k) => (!s.final[k] && !s.suppressed[k] ? v : null));
      // Provisional points connect to the last final one so the line reads on.
      const lastFinal = s.final.lastIndexOf(true);
      if (lastFinal >= 0 && provY.some((v) => v !== null) && !s.suppressed[lastFinal]) provY[lastFinal] = s.value[lastFinal];
      const hasBand = s.lo.some((v, k) => v !== null && s.final[k] && !s.suppressed[k]);
      if (hasBand) {
        const xs = [], ys = [];
        const idx = s.x.map((_, k) => k).filter((k) => s.final[k] && !s.suppressed[k] && s.lo[k] !== null);
        idx.forEach((k) => { xs.push(s.x[k]); ys.push(s.hi[k]); });
        idx.slice().reverse().forEach((k) => { xs.push(s.x[k]); ys.push(s.lo[k]); });
        out.push({x: xs, y: ys, type: "scatter", mode: "lines", fill: "toself", line: {width: 0},
          fillcolor: hexToRgba(color, isMinor ? 0.22 : 0.12), hoverinfo: "skip", showlegend: false,
          legendgroup: segment, name: `${label} 95% interval`});
      }
      const text = s.x.map((_, k) => s.lo[k] !== null ? `${fmt(s.value[k], unit)} [${fmt(s.lo[k], unit)}, ${fmt(s.hi[k], unit)}] n=${s.n[k]}` : `${fmt(s.value[k], unit)} n=${s.n[k]}`);
      out.push({x: s.x, y: finalY, type: "scatter", mode: "lines+markers", name: label, legendgroup: segment,
        line: {color: color, width: width}, marker: {size: isMinor ? 6 : 4}, connectgaps: false,
        text: text, hovertemplate: `%{x}<br>${label}: %{text}<extra>final</extra>`});
      if (provY.some((v) => v !== null)) {
        out.push({x: s.x, y: provY, type: "scatter", mode: "lines+markers", name: `${label} (provisional)`,
          legendgroup: segment, showlegend: false, line: {color: "#aaaaaa", width: 1.5, dash: "dot"},
          marker: {size: 6, symbol: "circle-open", color: color}, connectgaps: false, text: text,
          hovertemplate: `%{x}<br>${label}: %{text}<extra>provisional: not final</extra>`});
      }
      const suppressed = s.suppressed.filter(Boolean).length;
      if (suppressed) notes.push(`${label}: ${suppressed} of ${s.x.length}`);
      const finals = s.x.map((_, k) => k).filter((k) => s.final[k] && !s.suppressed[k] && s.value[k] !== null);
      if (finals.length) {
        const k = finals[finals.length - 1];
        const k0 = finals.length > 4 ? finals[finals.length - 5] : null;
        summary.push({segment: label, x: s.x[k], value: s.value[k], lo: s.lo[k], hi: s.hi[k], n: s.n[k],
          before: k0 === null ? null : s.value[k0], beforeX: k0 === null ? null : s.x[k0]});
      }
    });
    return {data: out, notes: notes, summary: summary, unit: unit};
  }

  function provisionalStart(metric, dim, grain) {
    const block = ((DATA.series[grain] || {})[metric] || {})[dim] || {};
    // The provisional zone: from the first non-final point after the last final one.
    let lastFinal = null, first = null, last = null;
    for (const s of Object.values(block)) {
      s.x.forEach((x, k) => {
        if (s.final[k] && (lastFinal === null || x > lastFinal)) lastFinal = x;
        if (last === null || x > last) last = x;
      });
    }
    for (const s of Object.values(block)) {
      s.x.forEach((x, k) => {
        if (!s.final[k] && (lastFinal === null || x > lastFinal) && (first === null || x < first)) first = x;
      });
    }
    return first === null ? null : [first, last];
  }

  function launchShapes(metric) {
    const shapes = [], annotations = [];
    (DATA.interventions || []).forEach((iv, i) => {
      if (!iv.launched_at) return;
      const x = String(iv.launched_at).slice(0, 10);
      const effect = (DATA.effects || []).find((e) => (e.intervention_id === iv.intervention_id) && e.metric_name === metric);
      const verdict = effect ? effect.verdict : null;
      const color = verdict === "improved" ? "#1a9641" : verdict === "worsened" ? "#d7191c" : "#555555";
      shapes.push({type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: {color: color, width: 1.5, dash: "dash"}});
      annotations.push({x: x, y: 1 - 0.07 * (i % 4), xref: "x", yref: "paper", showarrow: false, xanchor: "left",
        font: {size: 10, color: color}, bgcolor: "rgba(255,255,255,0.8)",
        text: `${iv.name || iv.intervention_id}${verdict ? ": " + verdict : ""}`});
    });
    return {shapes, annotations};
  }

  function draw() {
    const metric = sel("metric").value;
    const grain = sel("grain").value;
    const dim = sel("dimension").value;
    const m = metricsByName[metric];
    const t = traces(metric, dim, grain);
    const {shapes, annotations} = launchShapes(metric);
    const prov = provisionalStart(metric, dim, grain);
    if (prov) {
      shapes.push({type: "rect", xref: "x", yref: "paper", x0: prov[0], x1: prov[1], y0: 0, y1: 1,
        fillcolor: "rgba(150,150,150,0.15)", line: {width: 0}, layer: "below"});
      annotations.push({x: prov[0], y: 0.02, xref: "x", yref: "paper", showarrow: false, xanchor: "left",
        font: {size: 10, color: "#666"}, text: "provisional: not final, excluded from trend reading"});
    }
    const layout = {
      title: {text: `${metric} by ${dim}, ${grain === "day" ? "daily" : "weekly (ISO weeks)"}`},
      xaxis: {title: {text: grain === "day" ? "day" : "week starting"}, type: "date"},
      yaxis: {title: {text: m.unit}, tickformat: m.unit === "proportion" ? ".2%" : undefined, rangemode: "tozero"},
      legend: {orientation: "h", y: -0.2}, margin: {t: 50, r: 20, b: 80, l: 70}, height: 520,
      shapes: shapes, annotations: annotations, hovermode: "closest",
    };
    Plotly.react("trend", t.data, layout, {displaylogo: false, responsive: true});
    sel("metric-description").textContent = `${m.description || ""} (unit ${m.unit}, ${m.direction}, final after ${m.maturity_days} days)`;
    sel("suppressed-note").textContent = t.notes.length
      ? `Suppressed cells (fewer than 50 units, or complementary suppression) are gaps, never zeros: ${t.notes.join("; ")}.`
      : "No suppressed cells in this view.";
    const rows = t.summary.map((r) => {
      const change = r.before !== null && r.value !== null && r.before !== 0 ? ((r.value / r.before - 1) * 100).toFixed(1) + "% vs " + r.beforeX : "";
      return `<tr><td>${r.segment}</td><td>${r.x}</td><td>${fmt(r.value, t.unit)}</td><td>${r.lo !== null ? fmt(r.lo, t.unit) + " – " + fmt(r.hi, t.unit) : ""}</td><td>${r.n === null ? "" : r.n.toLocaleString("en")}</td><td>${change}</td></tr>`;
    }).join("");
    sel("latest").innerHTML = `<tr><th>segment</th><th>latest final</th><th>value</th><th>95% interval</th><th>n</th><th>change (final only)</th></tr>${rows}`;
    document.body.dataset.view = `${metric}|${dim}|${grain}`;
  }

  for (const id of ["metric", "grain"]) sel(id).addEventListener("change", () => { fillDimensions(); draw(); });
  sel("dimension").addEventListener("change", draw);
  fillDimensions();
  draw();
  window.tswDashboard = {draw: draw};
})();
