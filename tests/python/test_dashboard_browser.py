"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright).

Opens the rendered file offline, checks there are no console errors, switches selectors
and sees the chart's data change, and saves a screenshot (to $TSW_SCREENSHOT_DIR when set,
else the test's temporary folder). `make test` installs chromium (see the Makefile).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard_fixture import build_release
from tsw.dashboard import render

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


def open_page(playwright, user_data_dir: Path):
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=str(CHROMIUM), headless=True, args=["--headless", *FLAGS],
        viewport={"width": 1280, "height": 1100}, offline=True,
    )
    return context, context.new_page()


def trend_state(page) -> dict:
    return page.evaluate(
        """() => {
            const gd = document.getElementById('trend');
            const lines = gd.data.filter(t => !t.fill);
            return {
                title: gd.layout.title.text,
                names: lines.map(t => t.name),
                ys: lines.map(t => t.y.filter(v => v !== null).length),
                first: lines.length ? lines[0].y.find(v => v !== null) : null,
                bands: gd.data.filter(t => t.fill === 'toself').length,
                view: document.body.dataset.view,
            };
        }"""
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make test installs it)")
def test_dashboard_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "dashboard.html"
    page_file.write_text(render(build_release(tmp_path)))
    shots = Path(os.environ.get("TSW_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        context, page = open_page(playwright, tmp_path / "chromium-profile")
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(page_file.as_uri())
            page.wait_for_function("document.body.dataset.view !== ''")
            daily = trend_state(page)
            assert daily["view"] == "violating_view_rate|age_band|day"
            assert "under_13 (minor)" in daily["names"] and "18_24 (adult)" in daily["names"]
            assert daily["bands"] >= 8  # a 95% interval band per segment
            page.select_option("#grain", "week")
            page.wait_for_function("document.body.dataset.view.endsWith('|week')")
            weekly = trend_state(page)
            assert weekly["title"] != daily["title"]
            assert max(weekly["ys"]) < max(daily["ys"])  # fewer points: weeks, not days
            assert weekly["bands"] >= 8
            page.screenshot(path=str(shots / "fixture_week_age_band.png"))
            page.select_option("#metric", "impressions")
            page.wait_for_function("document.body.dataset.view.startsWith('impressions|')")
            counts = trend_state(page)
            assert counts["first"] != weekly["first"] and counts["title"].startswith("impressions")
            assert "suppressed" in page.inner_text("#suppressed-note").lower()
        finally:
            context.close()
    assert errors == []
    assert (shots / "fixture_week_age_band.png").stat().st_size > 20_000
