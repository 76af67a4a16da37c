"""The age macros (macros/segments/age.sql) against the spec, computed independently.

The macros are plain Jinja, so they are rendered here without dbt and evaluated by DuckDB
over many (birth date, day) pairs: leap days, birthdays, band boundaries, 1900 and
future birth dates. The expected age counts birthdays one by one (a 29 February
birthday falls on 1 March in other years) and the expected band comes from
seeds/reference/ref_age_bands.csv, so the macro's hard-coded thresholds must agree with it.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

import duckdb
import jinja2
import pytest

from tsw.paths import PROJECT_DIR, REFERENCE_SEEDS_DIR

AGE_MACROS = PROJECT_DIR / "macros" / "segments" / "age.sql"


def _macros():
    return jinja2.Environment().from_string(AGE_MACROS.read_text()).module


def _birthday(birth: date, year: int) -> date:
    """The day someone born on `birth` has their birthday in `year`."""
    if birth.month == 2 and birth.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 3, 1)
    return date(year, birth.month, birth.day)


def expected_age(birth: date | None, day: date) -> int | None:
    if birth is None or birth < date(1900, 1, 1) or birth > day:
        return None
    years = 0
    while _birthday(birth, birth.year + years + 1) <= day:
        years += 1
    return years


def reference_bands() -> list[dict]:
    with open(REFERENCE_SEEDS_DIR / "ref_age_bands.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def expected_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for band in reference_bands():
        if band["min_age"] == "":
            continue
        low = int(band["min_age"])
        high = int(band["max_age"]) if band["max_age"] != "" else 10**6
        if low <= age <= high:
            return band["age_band"]
    raise AssertionError(f"ref_age_bands.csv has no band for age {age}")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return date(day.year - years, 2, 28)


def _pairs() -> list[tuple[date | None, date]]:
    days = [
        date(2026, 2, 28), date(2026, 3, 1), date(2026, 5, 31), date(2026, 6, 1),
        date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1), date(2026, 12, 31), date(2027, 1, 1),
    ]
    pairs: list[tuple[date | None, date]] = []
    for day in days:
        births: list[date | None] = [None, date(1899, 12, 31), date(1900, 1, 1), day, day + timedelta(days=1)]
        # birth dates around every band boundary (12/13, 15/16, 17/18, 24/25, 34/35) on this day
        for years in (1, 12, 13, 15, 16, 17, 18, 24, 25, 34, 35, 60):
            anchor = _years_before(day, years)
            births += [anchor + timedelta(days=shift) for shift in range(-2, 3)]
        births += [date(year, 2, 29) for year in range(1988, 2029, 4)]
        pairs += [(birth, day) for birth in births]
    return pairs


@pytest.fixture(scope="module")
def macro_results() -> list[tuple[date | None, date, int | None, str]]:
    macros = _macros()
    sql = f"""
        select
            birth_date,
            day,
            {macros.age_in_years('birth_date', 'day')} as age_years,
            {macros.age_band('birth_date', 'day')} as age_band
        from pairs
    """
    with duckdb.connect() as con:
        con.execute("create table pairs (birth_date date, day date)")
        con.executemany("insert into pairs values (?, ?)", _pairs())
        return con.execute(sql).fetchall()


def test_age_in_years_counts_completed_years_by_month_and_day(macro_results):
    wrong = [
        (birth, day, age, expected_age(birth, day))
        for birth, day, age, _ in macro_results
        if age != expected_age(birth, day)
    ]
    assert not wrong, f"{len(wrong)} wrong ages, e.g. (birth, day, macro, expected): {wrong[:5]}"


def test_age_band_thresholds_agree_with_ref_age_bands(macro_results):
    wrong = [
        (birth, day, band, expected_band(expected_age(birth, day)))
        for birth, day, _, band in macro_results
        if band != expected_band(expected_age(birth, day))
    ]
    assert not wrong, f"{len(wrong)} wrong bands, e.g. (birth, day, macro, expected): {wrong[:5]}"


def test_every_reference_band_is_reached(macro_results):
    reached = {band for _, _, _, band in macro_results}
    assert reached == {band["age_band"] for band in reference_bands()}


@pytest.mark.parametrize(
    ("birth", "day", "age", "band"),
    [
        (date(2010, 6, 1), date(2026, 5, 31), 15, "13_15"),  # the contract's example
        (date(2010, 6, 1), date(2026, 6, 1), 16, "16_17"),
        (date(2008, 2, 29), date(2026, 2, 28), 17, "16_17"),  # 29 February: older on 1 March
        (date(2008, 2, 29), date(2026, 3, 1), 18, "18_24"),
        (date(2008, 2, 29), date(2028, 2, 29), 20, "18_24"),
        (date(2013, 12, 31), date(2026, 1, 1), 12, "under_13"),  # date_diff('year') would say 13
        (date(1991, 5, 10), date(2026, 5, 10), 35, "35_plus"),
        (date(2026, 6, 2), date(2026, 6, 1), None, "unknown"),
        (date(1899, 12, 31), date(2026, 6, 1), None, "unknown"),
        (None, date(2026, 6, 1), None, "unknown"),
    ],
)
def test_hand_computed_ages(birth, day, age, band):
    macros = _macros()
    with duckdb.connect() as con:
        con.execute("create table pair as select ?::date as birth_date, ?::date as day", [birth, day])
        got = con.execute(
            f"select {macros.age_in_years('birth_date', 'day')}, {macros.age_band('birth_date', 'day')} from pair"
        ).fetchone()
    assert got == (age, band)
