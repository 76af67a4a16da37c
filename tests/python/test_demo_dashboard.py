"""The demo's own dashboard (after `make demo`) in headless Chromium: the minors-vs-adults
weekly trend of violating_view_rate has values and intervals; screenshots for the README.

Skipped unless a demo warehouse exists: $TSW_DEMO_WAREHOUSE, else the project's warehouse/.
Screenshots go to $TSW_SCREENSHOT_DIR when set (docs/img/ for the README), else tmp.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from test_dashboard_browser import CHROMIUM, open_page
from tsw.paths import WAREHOUSE_DIR

WAREHOUSE = Path(os.environ.get("TSW_DEMO_WAREHOUSE", WAREHOUSE_DIR))
DASHBOARD = WAREHOUSE / "dashboard.html"
MINORS = ("under_13", "13_15", "16_17")
ADULTS = ("18_24", "25_34", "35_plus")


@pytest.mark.skipif(not DASHBOARD.exists() or not CHROMIUM.exists(), reason="no demo dashboard (make demo) or no chromium")
def test_demo_dashboard_weekly_minors_vs_adults(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = Path(os.environ.get("TSW_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        context, page = open_page(playwright, tmp_path / "profile")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(DASHBOARD.as_uri())
            page.wait_for_function("document.body.dataset.view !== ''")
            page.select_option("#metric", "violating_view_rate")
            page.select_option("#dimension", "age_band")
            page.select_option("#grain", "week")
            page.wait_for_function("document.body.dataset.view === 'violating_view_rate|age_band|week'")
            bands = page.evaluate(
                """() => {
                    const gd = document.getElementById('trend');
                    const out = {};
                    for (const t of gd.data) {
                        const band = t.legendgroup;
                        out[band] = out[band] || {values: 0, band_points: 0};
                        if (t.fill === 'toself') out[band].band_points += t.y.filter(v => v !== null).length;
                        else if (!String(t.name).includes('provisional')) out[band].values += t.y.filter(v => v !== null).length;
                    }
                    return out;
                }"""
            )
            page.screenshot(path=str(shots / "dashboard_week_age_band.png"))
            page.select_option("#grain", "day")
            page.select_option("#metric", "unwanted_contact_rate")
            page.wait_for_function("document.body.dataset.view.startsWith('unwanted_contact_rate|')")
            page.screenshot(path=str(shots / "dashboard_day_unwanted_contact.png"))
            page.locator("#ai").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "dashboard_ai_dq.png"))
        finally:
            context.close()
    assert errors == []
    for band in MINORS + ADULTS:
        assert bands[band]["values"] >= 8, f"{band}: {bands[band]}"
        assert bands[band]["band_points"] >= 16, f"{band}: no interval band"
