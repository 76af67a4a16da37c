"""Great Expectations Data Docs read offline after tsw.ge_offline rewrites them.

A page shaped like GE's index (CDN scripts and stylesheets, a bootstrap-table filled by
jQuery) is rewritten, then opened in headless Chromium with the network off: no remote
asset is left, no console error, the table has its rows and the tabs switch. The real
site is checked too when a demo warehouse has one.
"""

from __future__ import annotations

import base64
import re

import pytest

from test_dashboard_browser import CHROMIUM, open_page
from tsw.ge_offline import make_offline
from tsw.paths import WAREHOUSE_DIR

PAGE = """<!DOCTYPE html><html><head><title>Data Docs</title>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css">
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js"></script>
</head><body>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">
<ul class="nav nav-tabs"><li><a class="nav-link active" id="a-tab" data-toggle="tab" href="#A">A</a></li>
<li><a class="nav-link" id="b-tab" data-toggle="tab" href="#B">B</a></li></ul>
<div class="tab-content"><div class="tab-pane fade show active" id="A"><table id="t" data-toggle="table"></table></div>
<div class="tab-pane fade" id="B"><p id="b-text">suites</p></div></div>
<script>
function rowAttributesLinks(row, index) { return {"class": "clickable-row", "data-href": row._table_row_link_path}; }
$('#t').bootstrapTable(Object.assign({columns: [{'field': 'asset_name', 'title': 'Asset Name'}, {'field': 'run_time', 'title': 'Run Time', 'sortName': '_run_time_sort'}],
  data: [{'asset_name': 'metrics_daily', 'run_time': 'r1', '_run_time_sort': 1, '_table_row_link_path': 'v/1.html'},
         {'asset_name': 'fct_contact_safety_daily', 'run_time': 'r2', '_run_time_sort': 2, '_table_row_link_path': 'v/2.html'}]},
  {'rowAttributes': 'rowAttributesLinks', 'sortName': 'run_time', 'sortOrder': 'desc'}));
$(document).ready(function () { $('#t').on('click-row.bs.table', function () {}); });
</script></body></html>"""

# A 1x1 PNG: GE's site ships its logo under static/images/; the synthetic site needs one too.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
REMOTE = re.compile(r"<(script|link|img)[^>]+(src|href)=\"https?://", re.IGNORECASE)


def test_rewritten_page_has_no_remote_assets(tmp_path):
    (tmp_path / "index.html").write_text(PAGE)
    assert make_offline(tmp_path) == 1
    text = (tmp_path / "index.html").read_text()
    assert not REMOTE.search(text)
    assert 'src="static/tsw_offline.js"' in text and 'src="static/images/logo-long.png"' in text
    assert make_offline(tmp_path) == 0  # idempotent


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make test installs it)")
def test_rewritten_page_renders_offline(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "static" / "images").mkdir(parents=True)
    (tmp_path / "static" / "images" / "logo-long.png").write_bytes(PNG)
    make_offline(tmp_path)
    with sync_api.sync_playwright() as playwright:
        context, page = open_page(playwright, tmp_path / "profile")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto((tmp_path / "index.html").as_uri())
            rows = page.locator("#t tbody tr")
            assert rows.count() == 2
            assert rows.nth(0).inner_text().startswith("fct_contact_safety_daily")  # sorted by run time, desc
            assert page.locator("#t thead th").all_inner_texts() == ["Asset Name", "Run Time"]
            assert not page.locator("#b-text").is_visible()
            page.click("#b-tab")
            assert page.locator("#b-text").is_visible()
        finally:
            context.close()
    assert errors == []


@pytest.mark.skipif(not (WAREHOUSE_DIR / "data_docs" / "index.html").exists(), reason="no Data Docs in warehouse/ (make demo)")
def test_demo_data_docs_have_no_remote_assets():
    for page in (WAREHOUSE_DIR / "data_docs").rglob("*.html"):
        assert not REMOTE.search(page.read_text()), page
