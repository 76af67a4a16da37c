"""Vectorized text formatting of generated values (every raw column is written as text).

Per-row Python formatting is far too slow for ~100M impressions, so values are built
from small lookup tables with pyarrow `take` and `binary_join_element_wise`:
a timestamp is `<date>` + `T<hh:mm:ss>` + `<offset suffix>`, each part taken from a
table indexed by integer arithmetic on epoch seconds.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
EPOCH = date(1970, 1, 1)

# How producers write the instant: (suffix, minutes east of UTC). Index 0 is the common `Z`.
OFFSETS: tuple[tuple[str, int], ...] = (
    ("Z", 0),
    ("+00:00", 0),
    ("+01:00", 60),
    ("+02:00", 120),
    ("-05:00", -300),
    ("-03:00", -180),
    ("+05:30", 330),
    ("+09:00", 540),
    ("-08:00", -480),
)
EVENT_OFFSET_WEIGHTS = np.array([0.78, 0.02, 0.06, 0.04, 0.04, 0.02, 0.02, 0.01, 0.01])
PIPELINE_OFFSET_WEIGHTS = np.array([0.95, 0.01, 0.01, 0.01, 0.01, 0.0, 0.01, 0.0, 0.0])
_OFFSET_SECONDS = np.array([minutes * 60 for _, minutes in OFFSETS], dtype=np.int64)


_ZERO = ord("0")


def _pack(columns: np.ndarray, lengths: np.ndarray, null: np.ndarray | None = None, skip: np.ndarray | None = None,
          skip_from: int = 0) -> pa.Array:
    """A string array from a column-major byte matrix: row i's text is columns[:lengths[i], i].

    Built column-major because numpy writes whole rows of a (width, n) array fast; the
    transposed view is then read row by row through a mask of the bytes in use. With
    `skip`, row i also leaves out skip[i] bytes starting at byte `skip_from` (right-aligned
    digits of ids).
    """
    width, n = columns.shape
    lengths = np.asarray(lengths, dtype=np.int64)
    if null is not None:
        lengths = np.where(null, 0, lengths)
    if skip is None and n and (lengths == lengths[0]).all():
        data = np.ascontiguousarray(columns[: int(lengths[0])].T).reshape(-1)
    else:
        mask = np.arange(width)[:, None] < lengths[None, :]
        if skip is not None:
            rows = np.arange(width)[:, None]
            mask &= (rows < skip_from) | (rows >= skip_from + skip[None, :])
            lengths = lengths - skip
        data = columns.T[mask.T]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    validity, null_count = None, 0
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~np.asarray(null, bool), bitorder="little"))
        null_count = int(np.asarray(null, bool).sum())
    if offsets[-1] < 2**31 - 1:
        return pa.Array.from_buffers(pa.string(), n, [validity, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
                                     null_count=null_count)
    return pa.Array.from_buffers(pa.large_string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
                                 null_count=null_count).cast(pa.string())


def _vocabulary_matrix(values: list[str] | tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [v.encode() for v in values]
    width = max([len(e) for e in encoded] + [1])
    matrix = np.zeros((width, len(encoded)), dtype=np.uint8)
    for i, e in enumerate(encoded):
        matrix[: len(e), i] = np.frombuffer(e, dtype=np.uint8)
    return matrix, np.array([len(e) for e in encoded], dtype=np.int64)


def _put_digits(rows: np.ndarray, values: np.ndarray, width: int) -> None:
    for i in range(width):
        rows[i] = values // 10 ** (width - 1 - i) % 10 + _ZERO


def _date_columns(days: np.ndarray) -> np.ndarray:
    """(10, n) bytes of `YYYY-MM-DD` for day numbers."""
    as_days = days.astype("datetime64[D]")
    months = as_days.astype("datetime64[M]")
    columns = np.empty((10, len(days)), dtype=np.uint8)
    _put_digits(columns[0:4], as_days.astype("datetime64[Y]").astype(np.int64) + 1970, 4)
    columns[4] = columns[7] = ord("-")
    _put_digits(columns[5:7], months.astype(np.int64) % 12 + 1, 2)
    _put_digits(columns[8:10], (as_days - months).astype(np.int64) + 1, 2)
    return columns


_SUFFIX_COLUMNS, _SUFFIX_LENGTHS = _vocabulary_matrix([suffix for suffix, _ in OFFSETS])
_SUFFIX_COLUMNS = np.vstack([_SUFFIX_COLUMNS, np.zeros((6 - _SUFFIX_COLUMNS.shape[0], len(OFFSETS)), np.uint8)])
_TIME_COLUMNS = np.empty((9, DAY), dtype=np.uint8)  # "THH:MM:SS" for every second of a day
_seconds = np.arange(DAY)
_TIME_COLUMNS[0] = ord("T")
_TIME_COLUMNS[3] = _TIME_COLUMNS[6] = ord(":")
_put_digits(_TIME_COLUMNS[1:3], _seconds // 3600, 2)
_put_digits(_TIME_COLUMNS[4:6], _seconds // 60 % 60, 2)
_put_digits(_TIME_COLUMNS[7:9], _seconds % 60, 2)


def day_number(value: date) -> int:
    return (value - EPOCH).days


def epoch_seconds(value: date) -> int:
    return day_number(value) * DAY


def timestamps(seconds: np.ndarray, offset_index: np.ndarray | None = None, null: np.ndarray | None = None) -> pa.Array:
    """ISO-8601 text with an offset for UTC epoch seconds, written in the row's offset."""
    seconds = np.asarray(seconds, dtype=np.int64)
    n = len(seconds)
    if n == 0:
        return pa.array([], type=pa.string())
    offset_index = np.zeros(n, dtype=np.int64) if offset_index is None else np.asarray(offset_index, dtype=np.int64)
    local = seconds + _OFFSET_SECONDS[offset_index]
    if null is not None:
        local = np.where(null, local[~null][0] if (~null).any() else 0, local)
    days = local // DAY
    first = int(days.min())
    columns = np.empty((25, n), dtype=np.uint8)
    columns[:10] = _date_columns(np.arange(first, int(days.max()) + 1))[:, days - first]
    columns[10:19] = _TIME_COLUMNS[:, local - days * DAY]
    columns[19:] = _SUFFIX_COLUMNS[:, offset_index]
    return _pack(columns, 19 + _SUFFIX_LENGTHS[offset_index], null)


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """ISO dates for day numbers (days since 1970-01-01)."""
    days = np.asarray(days, dtype=np.int64)
    if len(days) == 0:
        return pa.array([], type=pa.string())
    if null is not None:
        days = np.where(null, 0, days)
    first = int(days.min())
    columns = _date_columns(np.arange(first, int(days.max()) + 1))[:, days - first]
    return _pack(columns, np.full(len(days), 10), null)


def ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """Opaque ids: a prefix and a decimal number (`u123`)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n = len(numbers)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    top = int(numbers.max()) if n else 0
    width = len(str(top))
    n_digits = np.ones(n, dtype=np.int64)
    for power in range(1, width):
        n_digits += numbers >= 10**power
    columns = np.empty((len(head) + width, n), dtype=np.uint8)
    columns[: len(head)] = head[:, None]
    _put_digits(columns[len(head):], numbers, width)  # zero-padded; the leading zeros are skipped
    return _pack(columns, np.full(n, len(head) + width), skip=width - n_digits, skip_from=len(head))


def codes(vocabulary: list[str] | tuple[str, ...], index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Vocabulary values for integer codes (null where `null`)."""
    index = np.asarray(index, dtype=np.int64)
    if null is not None:
        index = np.where(null, 0, index)
    matrix, lengths = _vocabulary_matrix(tuple(vocabulary))
    return _pack(matrix[:, index], lengths[index], null)


def booleans(values: np.ndarray) -> pa.Array:
    return codes(("false", "true"), np.asarray(values, dtype=np.int64))


def constant(value: str | None, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, pa.string())
    return codes((value,), np.zeros(n, dtype=np.int64))
