"""A published release of the built demo seeds, and a project view whose `warehouse/` holds it.

The view is a folder of symlinks to the project's files plus its own `warehouse/` and
`target/`, so README commands and analyses run there exactly as written (relative paths)
without touching the developer's warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

from tsw.paths import PROJECT_DIR
from tsw.publish import publish

LINKED = ("dbt_project.yml", "models", "macros", "seeds", "analyses", "tests", "profiles", ".venv", "tsw")


def project_view(root: Path, work_db: Path, as_of_date) -> Path:
    """root/project: symlinks to the project plus warehouse/serving with a release of work_db."""
    view = root / "project"
    view.mkdir()
    for name in LINKED:
        os.symlink(PROJECT_DIR / name, view / name)
    publish(work_db, view / "warehouse" / "serving", release_id="readme", as_of_date=as_of_date)
    return view
