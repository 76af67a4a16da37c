"""Writing raw tables: duplicate deliveries, planted bad rows, files, and per-table counts.

A table arrives here as chunks of text columns in contract order plus hidden numeric
columns (names starting with `_`) that describe each row for the bookkeeping:

* `_ing`: ingested_at in epoch seconds, `_evt`: the table's event time in epoch seconds;
* `_copy`: the row repeats a key already delivered earlier (duplicate or state update);
* `_unknown_ref`: the row references an id absent from the referenced table;
* `_ts_<column>`: epoch seconds of each timestamp column (null-safe: -1 when null).

Hidden columns are dropped before writing. Every count in the scenario's `tables`
section comes from these columns, so it matches the files by construction; the tests
recount the files independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from tsw.contract import Table
from tsw.generate import text

BAD_REASONS = (
    "missing_key",
    "missing_value",
    "unparseable_value",
    "unknown_enum_value",
    "out_of_range",
    "event_time_in_future",
    "event_time_before_2006",
    "decided_before_flagged",
    "resolved_before_submitted",
)
NULL_TS = -1
LATE_THRESHOLD_SECONDS = 10 * text.DAY
# Fixed writer options (byte-identical files); dictionary encoding only where values repeat.
# Column min/max statistics on, as pipelines write them.
PARQUET_OPTIONS = dict(compression="zstd", compression_level=1, write_statistics=True, version="2.6")
PART_ROWS = 2_000_000

_UNPARSEABLE = {
    "timestamp": ("2026-02-30T10:00:00Z", "31/05/2026 10:00", "2026-05-03 10:00:00", "unknown"),
    "date": ("1990-02-30", "31.12.1999", "n/a"),
    "boolean": ("maybe", "tru", "y?"),
    "decimal": ("abc", "0.1.2", "n/a"),
}
_OUT_OF_RANGE = ("0", "1.5", "-0.1", "0.0", "2")
_BEFORE_2006 = ("1970-01-01T00:00:00Z", "2003-07-15T12:00:00Z", "2005-12-31T23:59:59Z", "1999-12-31T23:00:00-01:00")
_FAR_FUTURE = 4_070_908_800  # 2099-01-01T00:00:00Z


def applicable_reasons(table: Table) -> list[str]:
    """The bad-input reasons a row of this table can have (in BAD_REASONS order)."""
    non_key = [c for c in table.columns if c.name not in table.key and c.name != "ingested_at"]
    reasons = ["missing_key"]
    if any(not c.nullable for c in non_key):
        reasons.append("missing_value")
    if any(c.data_type in _UNPARSEABLE for c in non_key):
        reasons.append("unparseable_value")
    if any(c.enum is not None for c in non_key):
        reasons.append("unknown_enum_value")
    if any(c.range for c in non_key):
        reasons.append("out_of_range")
    if any(c.event_time for c in table.columns):
        reasons += ["event_time_in_future", "event_time_before_2006"]
    reasons += [c.not_before[1] for c in table.columns if c.not_before]
    return reasons


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TableStats:
    raw_rows: int = 0
    not_yet_known_rows: int = 0
    staged_rows: int = 0
    duplicate_rows_known: int = 0
    exact_duplicate_deliveries: int = 0
    unknown_reference_rows: int = 0
    late_over_10_days_rows: int = 0
    bad_rows: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "raw_rows": self.raw_rows,
            "not_yet_known_rows": self.not_yet_known_rows,
            "quarantined_rows": sum(self.bad_rows.values()),
            "staged_rows": self.staged_rows,
            "duplicate_rows_known": self.duplicate_rows_known,
            "exact_duplicate_deliveries": self.exact_duplicate_deliveries,
            "unknown_reference_rows": self.unknown_reference_rows,
            "late_over_10_days_rows": self.late_over_10_days_rows,
            "bad_rows": dict(sorted(self.bad_rows.items())),
        }


class TableSink:
    """One raw table's output: seeds CSV or landing parts, plus its bookkeeping."""

    def __init__(self, table: Table, out_dir: Path, layout: str, file_format: str, knowledge_instant: int, window_seconds: int):
        self.table = table
        self.window_seconds = window_seconds
        self.layout = layout
        self.file_format = file_format
        self.knowledge = knowledge_instant
        self.stats = TableStats(bad_rows={reason: 0 for reason in applicable_reasons(table)})
        self.parts = 0
        self._csv_handle = None
        self.dictionary_columns = [
            c.name for c in table.columns
            if c.data_type in ("enum", "boolean") or (c.name.endswith("_id") and c.name not in table.key)
        ]
        if layout == "seeds":
            self.path = out_dir / f"raw_{table.name}.csv"
        else:
            self.path = out_dir / table.name
            self.path.mkdir(parents=True, exist_ok=True)

    # -- rows --------------------------------------------------------------------------------

    def add_duplicates(self, chunk: pa.Table, rng: np.random.Generator, rate: float, minimum: int = 0) -> pa.Table:
        """Append re-deliveries of some rows (same key, same values, later or equal ingested_at)."""
        originals = np.flatnonzero(~np.asarray(chunk["_copy"]))
        count = min(len(originals), max(minimum, int(rng.binomial(len(originals), rate)) if len(originals) else 0))
        if count == 0:
            return chunk
        picked = np.sort(rng.choice(originals, size=count, replace=False))
        copies = chunk.take(pa.array(picked))
        ing = np.asarray(copies["_ing"]).copy()
        identical = rng.random(count) < 0.15
        delay = rng.integers(60, 3 * text.DAY, size=count)
        ing = np.where(identical, ing, ing + delay)
        self.stats.exact_duplicate_deliveries += count
        columns = {name: copies[name] for name in copies.column_names}
        columns["ingested_at"] = pa.array(
            np.where(identical, np.asarray(copies["ingested_at"], dtype=object), np.asarray(text.timestamps(ing), dtype=object)),
            type=pa.string(),
        )
        # Some re-deliveries write the same instants with another offset (same values, other text).
        rewrite = (~identical) & (rng.random(count) < 0.3)
        for column in self.table.columns:
            if column.data_type != "timestamp" or column.name == "ingested_at":
                continue
            seconds = np.asarray(copies[f"_ts_{column.name}"])
            offsets = rng.choice(len(text.OFFSETS), size=count, p=text.EVENT_OFFSET_WEIGHTS)
            rewritten = text.timestamps(seconds, offsets, null=seconds == NULL_TS)
            columns[column.name] = pa.array(
                np.where(rewrite, np.asarray(rewritten, dtype=object), np.asarray(copies[column.name], dtype=object)),
                type=pa.string(),
            )
        columns["_ing"] = pa.array(ing)
        columns["_copy"] = pa.array(np.ones(count, dtype=bool))
        duplicates = pa.table(columns).select(chunk.column_names)
        return pa.concat_tables([chunk, duplicates])

    def add_bad_rows(self, chunk: pa.Table, rng: np.random.Generator, counts: dict[str, int], serial: list[int]) -> pa.Table:
        """Append planted bad rows: copies of valid rows with a fresh key and exactly one defect.

        Vectorized per reason and column (a day of 100M-row data has ~10k bad rows).
        """
        table = self.table
        # Any valid copy known at the as-of date (e.g. a resolved appeal): its event times all lie
        # before the knowledge instant, so the planted defect is the only one.
        originals = np.flatnonzero(~np.asarray(chunk["_bad"]) & (np.asarray(chunk["_ing"]) < self.knowledge))
        reasons = np.array([r for r in BAD_REASONS for _ in range(counts.get(r, 0))], dtype=object)
        n = len(reasons)
        if len(originals) == 0 or n == 0:
            return chunk
        source = chunk.take(pa.array(rng.choice(originals, size=n, replace=True)))
        values = {c: np.array(source[c].to_pylist(), dtype=object) for c in table.column_names}
        hidden = {c: np.asarray(source[c]).copy() for c in source.column_names if c.startswith("_")}
        keep = np.ones(n, dtype=bool)
        first_key = table.key[0]
        numbers = np.arange(serial[0] + 1, serial[0] + n + 1)
        serial[0] += n
        values[first_key] = np.array([f"{k}x{i}" for k, i in zip(values[first_key], numbers)], dtype=object)
        # Delivered some time in the window (never after the knowledge instant: planted bad rows
        # are quarantined at the scenario's as-of date, never "not yet known").
        hidden["_ing"] = self.knowledge - rng.integers(3600, self.window_seconds, n)
        values["ingested_at"] = np.array(text.timestamps(hidden["_ing"]).to_pylist(), dtype=object)
        hidden["_copy"] = np.zeros(n, dtype=bool)
        hidden["_bad"] = np.ones(n, dtype=bool)
        non_key = [c for c in table.columns if c.name not in table.key and c.name != "ingested_at"]
        not_before_of = {c.not_before[0]: c.name for c in table.columns if c.not_before}

        def choose(rows: np.ndarray, candidates: list, allowed: np.ndarray | None = None) -> np.ndarray:
            """Index of a random allowed candidate per row (-1 when none is allowed)."""
            scores = rng.random((len(rows), len(candidates)))
            if allowed is not None:
                scores = np.where(allowed, scores, -1.0)
            best = scores.argmax(axis=1) if candidates else np.zeros(len(rows), dtype=int)
            return np.where(scores.max(axis=1) >= 0, best, -1) if candidates else np.full(len(rows), -1)

        def pick_values(options: tuple, k: int) -> np.ndarray:
            return np.array(options, dtype=object)[rng.integers(0, len(options), k)]

        for reason in dict.fromkeys(reasons):
            rows = np.flatnonzero(reasons == reason)
            if reason == "missing_key":
                candidates = [c.name for c in table.columns if c.name in table.key]
                allowed = None
            elif reason == "missing_value":
                candidates = [c.name for c in non_key if not c.nullable]
                allowed = None
            elif reason == "unparseable_value":
                candidates = [c.name for c in non_key if c.data_type in _UNPARSEABLE]
                allowed = np.stack([values[c][rows] != None for c in candidates], axis=1)  # noqa: E711
            elif reason == "unknown_enum_value":
                candidates = [c.name for c in non_key if c.enum is not None]
                allowed = None
            elif reason == "out_of_range":
                candidates = [c.name for c in non_key if c.range]
                allowed = None
            elif reason in ("event_time_in_future", "event_time_before_2006"):
                future = reason == "event_time_in_future"
                candidates, masks = [], []
                for c in table.columns:
                    if not c.event_time:
                        continue
                    ok = values[c.name][rows] != None  # noqa: E711
                    # Exactly one defect: never move a time past one that must follow it, or before
                    # the one it must follow.
                    if future and c.name in not_before_of:
                        ok &= values[not_before_of[c.name]][rows] == None  # noqa: E711
                    if not future and c.not_before:
                        ok &= values[c.not_before[0]][rows] == None  # noqa: E711
                    candidates.append(c.name)
                    masks.append(ok)
                allowed = np.stack(masks, axis=1)
            else:
                column = next(c for c in table.columns if c.not_before and c.not_before[1] == reason)
                candidates = [column.name]
                earlier = hidden[f"_ts_{column.not_before[0]}"][rows]
                allowed = ((earlier != NULL_TS) & (values[column.name][rows] != None))[:, None]  # noqa: E711
            chosen = choose(rows, candidates, allowed)
            keep[rows[chosen < 0]] = False
            for ci, name in enumerate(candidates):
                r = rows[chosen == ci]
                k = len(r)
                if k == 0:
                    continue
                column = table.column(name)
                if reason in ("missing_key", "missing_value"):
                    values[name][r] = None
                elif reason == "unparseable_value":
                    values[name][r] = pick_values(_UNPARSEABLE[column.data_type], k)
                elif reason == "unknown_enum_value":
                    current = np.where(values[name][r] == None, column.enum[0], values[name][r])  # noqa: E711
                    values[name][r] = np.array([f"{v}_V2" if v.isupper() else f"{v}_v2" for v in current], dtype=object)
                elif reason == "out_of_range":
                    values[name][r] = pick_values(_OUT_OF_RANGE, k)
                elif reason == "event_time_in_future":
                    when = _FAR_FUTURE + rng.integers(0, 360 * text.DAY, k)
                    values[name][r] = np.array(text.timestamps(when).to_pylist(), dtype=object)
                elif reason == "event_time_before_2006":
                    values[name][r] = pick_values(_BEFORE_2006, k)
                else:
                    earlier = hidden[f"_ts_{column.not_before[0]}"][r]
                    moved = earlier - rng.integers(3600, 2 * text.DAY, k)
                    values[name][r] = np.array(text.timestamps(moved).to_pylist(), dtype=object)
        for reason in BAD_REASONS:
            planted = int((keep & (reasons == reason)).sum())
            if planted:
                self.stats.bad_rows[reason] += planted
        columns = {c: pa.array(values[c][keep], type=pa.string()) for c in table.column_names}
        columns.update({c: pa.array(hidden[c][keep]) for c in hidden})
        bad = pa.table(columns).select(chunk.column_names).cast(chunk.schema)
        return pa.concat_tables([chunk, bad])

    # -- files -------------------------------------------------------------------------------

    def write(self, chunk: pa.Table, sort: bool = True) -> None:
        """Account for and write one chunk (sorted by ingestion unless `sort` is false)."""
        if chunk.num_rows == 0 and self.layout != "seeds":
            return
        if sort:
            order = np.argsort(np.asarray(chunk["_ing"]), kind="stable")
            chunk = chunk.take(pa.array(order))
        self._count(chunk)
        visible = chunk.select(self.table.column_names)
        if self.layout == "seeds":
            self._write_seed_csv(visible)
            return
        start = 0
        while start < visible.num_rows or (start == 0 and visible.num_rows == 0):
            part = visible.slice(start, PART_ROWS)
            self._write_part(part)
            start += PART_ROWS
            if visible.num_rows == 0:
                break

    def write_split(self, chunk: pa.Table, parts: int) -> None:
        """Write a whole table as `parts` files (mixed landing: both formats present)."""
        if self.layout == "seeds" or parts <= 1:
            self.write(chunk, sort=False)
            return
        self._count(chunk)
        visible = chunk.select(self.table.column_names)
        bounds = np.linspace(0, visible.num_rows, parts + 1).astype(int)
        for i in range(parts):
            self._write_part(visible.slice(bounds[i], bounds[i + 1] - bounds[i]))

    def _count(self, chunk: pa.Table) -> None:
        ing = np.asarray(chunk["_ing"])
        copy = np.asarray(chunk["_copy"])
        bad = np.asarray(chunk["_bad"])
        known = ing < self.knowledge
        staged = known & ~copy & ~bad
        self.stats.raw_rows += chunk.num_rows
        self.stats.not_yet_known_rows += int((~known).sum())
        self.stats.staged_rows += int(staged.sum())
        self.stats.duplicate_rows_known += int((known & copy & ~bad).sum())
        self.stats.unknown_reference_rows += int((staged & np.asarray(chunk["_unknown_ref"])).sum())
        late = (ing - np.asarray(chunk["_evt"])) > LATE_THRESHOLD_SECONDS
        self.stats.late_over_10_days_rows += int((staged & late).sum())

    def _write_seed_csv(self, visible: pa.Table) -> None:
        if self._csv_handle is None:
            self._csv_handle = open(self.path, "wb")
            self._csv_handle.write((",".join(self.table.column_names) + "\n").encode())
        if visible.num_rows:
            pcsv.write_csv(visible, self._csv_handle, pcsv.WriteOptions(include_header=False, quoting_style="none"))

    def _part_format(self) -> str:
        if self.file_format == "mixed":
            return "parquet" if self.parts % 2 == 0 else "csv"
        return self.file_format

    def _write_part(self, part: pa.Table) -> None:
        fmt = self._part_format()
        path = self.path / f"part-{self.parts:05d}.{fmt}"
        self.parts += 1
        if fmt == "parquet":
            pq.write_table(part, path, use_dictionary=self.dictionary_columns, **PARQUET_OPTIONS)
        else:
            with open(path, "wb") as handle:
                handle.write((",".join(self.table.column_names) + "\n").encode())
                if part.num_rows:
                    pcsv.write_csv(part, handle, pcsv.WriteOptions(include_header=False, quoting_style="none"))

    def close(self) -> None:
        if self.layout == "seeds" and self._csv_handle is None:
            self._write_seed_csv(pa.table({c: pa.array([], pa.string()) for c in self.table.column_names}))
        if self._csv_handle is not None:
            self._csv_handle.close()
            self._csv_handle = None
