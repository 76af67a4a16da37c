"""`tsw docs` generates the dbt docs site with the exposures and serves it over HTTP on localhost."""

from __future__ import annotations

import json
import threading
import urllib.request

from tsw.docs_site import generate, serve

EXPOSURES = {"safety_dashboard", "nightly_publication", "analyst_sql_access", "dsa_transparency_export"}


def test_docs_site_has_exposures_and_serves(tmp_path):
    index = generate(tmp_path / "warehouse", tmp_path / "site", stream=False)
    assert index.exists() and (tmp_path / "site" / "static_index.html").exists()
    manifest = json.loads((tmp_path / "site" / "manifest.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert EXPOSURES <= set(exposures)
    assert "model.tsw.metrics_daily" in exposures["safety_dashboard"]["depends_on"]["nodes"]
    server = serve(tmp_path / "site", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/") as response:
            assert response.status == 200 and b"<html" in response.read(2000).lower()
        with urllib.request.urlopen(f"{base}/manifest.json") as response:
            assert "safety_dashboard" in json.loads(response.read())["exposures"].__repr__()
    finally:
        server.shutdown()
        server.server_close()
