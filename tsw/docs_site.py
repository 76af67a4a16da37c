"""`tsw docs`: generate the dbt docs site (models, columns, lineage, exposures) and serve it locally.

`dbt docs generate` reads the catalog (column types, row counts) from a copy of the
warehouse's working database, so a nightly run holding that file is never disturbed;
without a built warehouse the site still has every model, column description and
exposure, only without types. The site is served over HTTP on localhost (the dbt docs
page fetches manifest.json and catalog.json, which browsers refuse from file://);
`static_index.html` beside it is a single-file copy that opens without a server.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import tempfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tsw.dbt_runner import BuildConfig, run_dbt
from tsw.paths import WAREHOUSE_DIR

DEFAULT_PORT = 8080


def generate(warehouse: Path, site_dir: Path, *, stream: bool = True) -> Path:
    """Write the docs site into `site_dir`; returns its index.html."""
    site_dir = site_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="tsw-docs-") as tmp:
        catalog_db = Path(tmp) / "catalog.duckdb"
        work_db = warehouse / "work.duckdb"
        if work_db.exists():
            shutil.copyfile(work_db, catalog_db)
        config = BuildConfig(db_path=catalog_db, target_path=site_dir)
        # Metric units read the registry seed while they compile: load the reference seeds
        # (small) into the catalog copy first, so the site builds without a warehouse too.
        run_dbt(["seed", "--select", "tag:reference"], config, stream=stream)
        run_dbt(["docs", "generate", "--static"], config, stream=stream)
    return site_dir / "index.html"


def serve(site_dir: Path, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the site (call serve_forever on it)."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    return ThreadingHTTPServer((host, port), handler)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=WAREHOUSE_DIR, help=f"Warehouse folder (default: {WAREHOUSE_DIR}).")
    parser.add_argument("--site-dir", type=Path, default=None, help="Where the site is written (default: <warehouse>/dbt_docs).")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"Port on 127.0.0.1 (default: {DEFAULT_PORT}).")
    parser.add_argument("--no-serve", action="store_true", help="Only generate the site.")


def run(args: argparse.Namespace) -> int:
    warehouse = args.warehouse.resolve()
    site_dir = (args.site_dir or warehouse / "dbt_docs").resolve()
    index = generate(warehouse, site_dir)
    print(f"[tsw docs] site written to {site_dir} (single file without a server: {site_dir / 'static_index.html'})")
    if args.no_serve:
        return 0
    server = serve(site_dir, args.port)
    print(f"[tsw docs] serving {index.name} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
