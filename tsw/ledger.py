"""The landing ledger: every landing file a build has read, so a rewritten or vanished one is caught.

The nightly job reads only the raw rows that arrived since the previous run (docs/spec_decisions.md,
decision 18), so an already-read file that is rewritten in place, or deleted, would change
what a full build sees without the nightly noticing. The ledger
(`<warehouse>/landing_ledger.json`) records for every landing file read: its path relative
to the landing directory, size, modification time (ns) and SHA-256 of its content.

Hashing is cheap: a file whose size and mtime match its entry is taken as unchanged; only
new files and files whose size or mtime moved are hashed in full (a file touched but not
changed keeps its entry, with the new mtime).

`check(...)` runs before the build: a changed or missing file fails the run before anything
is published, naming the file and the remedy. The updated ledger is written only when the
run is promoted (with the working database, the release and the log, tsw/recovery.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

LEDGER_FILE = "landing_ledger.json"
LANDING_SUFFIXES = (".csv", ".csv.gz", ".parquet")  # compared case-insensitively


class LandingChanged(RuntimeError):
    """An already-read landing file changed or disappeared."""


@dataclass(frozen=True)
class FileEntry:
    size: int
    mtime_ns: int
    sha256: str

    def as_dict(self) -> dict:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256}


@dataclass
class LedgerCheck:
    """The outcome of comparing the landing directory with the ledger."""

    entries: dict[str, FileEntry]  # the ledger to store if the run is promoted
    new_files: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    hashed: int = 0

    @property
    def ok(self) -> bool:
        return not self.changed and not self.missing

    def message(self, landing_dir: Path) -> str:
        lines = []
        for name in self.changed:
            lines.append(f"landing file changed after it was read: {landing_dir / name}")
        for name in self.missing:
            lines.append(f"landing file read by an earlier run is gone: {landing_dir / name}")
        lines.append(
            "Landing files must not be rewritten or removed once read (values already published "
            "would silently differ from a rebuild). Remedy: restore the original file(s), or, if the "
            "change is intended, run `tsw nightly --full-refresh` (the restatement audit then shows "
            "which final values moved; record an intended correction with `tsw restate`)."
        )
        return "\n".join(lines)

    def summary(self) -> dict:
        return {
            "files": len(self.entries),
            "new_files": len(self.new_files),
            "hashed_files": self.hashed,
            "changed": self.changed,
            "missing": self.missing,
        }


def is_landing_file(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and not name.startswith(".") and name.endswith(LANDING_SUFFIXES)


def landing_files(landing_dir: Path) -> list[Path]:
    """Every landing file under `landing_dir` (all depths; .csv, .csv.gz, .parquet in any case)."""
    return sorted(p for p in Path(landing_dir).rglob("*") if is_landing_file(p))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(ledger_path: Path) -> dict[str, FileEntry]:
    if not ledger_path.exists():
        return {}
    data = json.loads(ledger_path.read_text())
    return {name: FileEntry(**entry) for name, entry in data.get("files", {}).items()}


def check(landing_dir: Path, ledger_path: Path, *, full_refresh: bool = False) -> LedgerCheck:
    """Compare the landing directory with the ledger; a full refresh starts a new ledger."""
    landing_dir = Path(landing_dir)
    previous = {} if full_refresh else load(ledger_path)
    result = LedgerCheck(entries={})
    present = set()
    for path in landing_files(landing_dir):
        name = path.relative_to(landing_dir).as_posix()
        present.add(name)
        stat = path.stat()
        known = previous.get(name)
        if known is not None and known.size == stat.st_size and known.mtime_ns == stat.st_mtime_ns:
            result.entries[name] = known
            continue
        digest = sha256_of(path)
        result.hashed += 1
        result.entries[name] = FileEntry(size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=digest)
        if known is None:
            result.new_files.append(name)
        elif known.sha256 != digest:
            result.changed.append(name)
    result.missing = sorted(set(previous) - present)
    return result


def write(ledger_path: Path, entries: dict[str, FileEntry], *, landing_dir: Path) -> None:
    """Write the ledger atomically (a temporary file renamed over the old one)."""
    payload = {
        "landing_dir": str(Path(landing_dir).resolve()),
        "files": {name: entry.as_dict() for name, entry in sorted(entries.items())},
    }
    tmp = ledger_path.with_name(ledger_path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, ledger_path)
