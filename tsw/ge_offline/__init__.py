"""Make Great Expectations Data Docs readable offline (a post-processing step of `tsw validate`).

Data Docs pages load jQuery, Bootstrap, bootstrap-table, Vega and Font Awesome from CDNs;
offline the index page is blank (its tables are filled in by bootstrap-table). This step
rewrites every page of the site: remote scripts and stylesheets are removed, the GE logo
points at the site's own copy, and two local files are linked instead: `static/tsw_offline.js`
(a small stand-in for the handful of jQuery/bootstrap-table calls the pages make) and
`static/tsw_offline.css`. Validation results themselves are plain HTML and unchanged.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE)
REMOTE_STYLESHEET = re.compile(r"<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>", re.IGNORECASE)
REMOTE_LOGO = re.compile(r"src=\"https?://[^\"]*/logo-long\.png[^\"]*\"")
MARKER = "tsw_offline.js"


def make_offline(site_dir: Path) -> int:
    """Rewrite every HTML page under `site_dir` to use only local assets; returns pages changed."""
    site_dir = Path(site_dir)
    static = site_dir / "static"
    static.mkdir(parents=True, exist_ok=True)
    package = resources.files("tsw.ge_offline")
    (static / "tsw_offline.js").write_text(package.joinpath("shim.js").read_text())
    (static / "tsw_offline.css").write_text(package.joinpath("offline.css").read_text())
    changed = 0
    for page in site_dir.rglob("*.html"):
        text = page.read_text()
        if MARKER in text:
            continue
        prefix = os.path.relpath(static, page.parent).replace(os.sep, "/")
        text = REMOTE_SCRIPT.sub("", text)
        text = REMOTE_STYLESHEET.sub("", text)
        text = REMOTE_LOGO.sub(f'src="{prefix}/images/logo-long.png"', text)
        local = (f'<link rel="stylesheet" href="{prefix}/tsw_offline.css">'
                 f'<script src="{prefix}/{MARKER}"></script>')
        text = re.sub(r"<head>", "<head>" + local, text, count=1, flags=re.IGNORECASE)
        page.write_text(text)
        changed += 1
    return changed
