"""Today (UTC), and the refusal of as-of dates in the future.

A build as of a future date makes days final that have not happened yet (value 0 or null);
once published and logged they poison the restatement audit. `tsw build`, `tsw nightly`
and `tsw demo` therefore refuse an as-of date later than today (UTC), unless the caller
states a "now" for a replay of historical or generated data (`--now YYYY-MM-DD`): the as-of
date must then be on or before that stated day.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timezone


class FutureAsOfDate(ValueError):
    """The as-of date is after today (or after the stated --now)."""


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def check_as_of(as_of: date, *, now: date | None = None) -> None:
    """Raise FutureAsOfDate when `as_of` is later than `now` (default: today UTC)."""
    if now is None:
        today = today_utc()
        if as_of > today:
            raise FutureAsOfDate(
                f"as-of date {as_of} is in the future (today is {today} UTC): days up to it would "
                "become final before they happened. Use a date on or before today; to replay "
                f"historical or generated data, state the replay's 'now' explicitly: --now {as_of}"
            )
        return
    if as_of > now:
        raise FutureAsOfDate(f"as-of date {as_of} is after the stated --now {now}; use an as-of date on or before it")


def add_now_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        type=date.fromisoformat,
        default=None,
        help=(
            "State 'today' (YYYY-MM-DD) for a replay of historical or generated data: allows an "
            "as-of date up to it. Without it, an as-of date after today (UTC) is refused."
        ),
    )
