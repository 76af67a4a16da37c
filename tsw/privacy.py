"""Differencing protection for published metric tables: an audit and the suppression that passes it.

Small-cell suppression nulls a cell; complementary suppression hides a second cell in
its sibling set so the first cannot be recovered by subtracting from the set's total.
Inside one grouping that is enough, but a reader holds every grouping of a metric-day
and every metric at once: `age_band x plan` cells, the `plan` row and the `age_band` row
are linked, and metrics share quantities (a per-10k denominator *is* an `active_users`
cell, the minors' per-1k denominator is a sum of minor bands' active users, a rate's
category rows share the cell's denominator). A reader who writes all of those relations
down can solve a linear system for a suppressed cell.

This module writes the system down the way such a reader would and answers, for every
suppressed part (numerator, denominator, sample size) of every suppressed cell, whether
the published cells determine it:

* **Quantities.** Each published part is a linear function of an underlying additive
  quantity (`QUANTITY_LINKS`): e.g. `reports_per_10k_active_users.denominator` and
  `active_users.numerator` are the same quantity `active_users`, the denominator ignoring
  `surface`. Parts not listed are quantities of their own (`<metric>.<part>`).
* **Basis.** A quantity over segment columns {age_band, X1..Xk} is represented by its
  two-way tables age_band x Xi (the finest cells any grouping publishes), tied together by
  equal age_band margins; without age_band, by one vector per column with equal totals.
  Every published cell is a sum over that basis (an `all` value sums over the metric's own
  values of the column: for minor-only metrics `all` ages means the minor bands).
  Columns along which a quantity is not additive (`active_users` over `surface`: a user
  active on two surfaces counts once in `all`) split it into a `surface = all` quantity
  and a per-surface one.
* **Determined.** A suppressed part is determined when its functional lies in the row
  space of the published parts and the margin constraints (numerically: its residual
  after projection onto that space is ~0). `recoverable` additionally requires that the
  restricted truth is non-zero: that is a real leak, whatever value the solve gives (a
  link between metrics of different maturities differs by late rows, so the reader's
  value can miss the truth by a few and still disclose it).

`protect()` is the suppression that passes the audit: starting from the small-cell and
complementary flags, it hides every published copy of a hidden cell's parts (one mask
per quantity cell), then repeatedly finds determined non-zero suppressed parts and closes,
for each, the cheapest cycle of hidden cells through it (`tsw.privacy_cycles`: a
rectangle, a pair of age bands in every table, a pair of columns), falling back to the
smallest suppressible cell the recovery uses where no cycle exists, and runs layer 2's
complementary rule again over the cells it added, until nothing is determined; a part no
cell can hide is reported `unprotectable` (a dbt test fails on it).

Cost: each quantity's system is compiled into matrices once per cell layout (every day
of a build has the same cells) and solved with one factorization per pass; `protect()`
solves only quantities with a suppressed non-zero part and, after a pass, only those the
new suppressions touch (docs/privacy.md, "How layer 3 is solved").
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tsw.privacy_cycles import CycleCloser

SEGMENT_COLUMNS: tuple[str, ...] = ("age_band", "region", "plan", "surface", "policy_category", "feature")
PARTS: tuple[str, ...] = ("numerator", "denominator", "sample_size")
# Layer 2's sibling columns (macro suppress_small_cells): a grouping's first and second
# segment column values, null where the grouping has none.
SIBLING_COLUMNS: tuple[str, ...] = ("segment_value_1", "segment_value_2")
TOLERANCE = 1e-7


@dataclass(frozen=True)
class Link:
    """A metric part that is (a slice of) a shared quantity.

    `exact` says the two are equal by definition (same rows, same maturity); a link
    between metrics of different maturities differs only by rows ingested between the
    two finalization instants and is protected all the same (a reader can guess it).
    """

    quantity: str
    ignores: tuple[str, ...] = ()  # the part has the quantity's value whatever these columns say
    exact: bool = True


# Parts that are the same quantity as another metric's part. A part not listed is a
# quantity of its own, additive over the metric's segment columns, except that a count's
# sample_size is its numerator and a rate's sample_size is its denominator (see
# `quantity_link`).
QUANTITY_LINKS: dict[tuple[str, str], Link] = {
    ("active_users", "numerator"): Link("active_users"),
    ("impressions", "numerator"): Link("impressions"),
    ("reports_per_10k_active_users", "denominator"): Link("active_users", ("surface",)),
    ("stranger_adult_to_minor_contacts_per_1k", "denominator"): Link("active_users"),
    ("stranger_adult_to_minor_contacts_per_1k_unknown_sender", "denominator"): Link("active_users"),
    ("actioned_content_view_rate", "denominator"): Link("impressions", exact=False),
    ("minor_age_restricted_exposure_rate", "denominator"): Link("impressions"),
    ("reports_per_10k_active_users", "numerator"): Link("user_reports"),
    ("report_action_rate", "denominator"): Link("user_reports", exact=False),
    ("first_contact_messages", "numerator"): Link("first_contact_messages"),
    ("unwanted_contact_rate", "denominator"): Link("first_contact_messages", exact=False),
    # Weighted prevalence: every policy_category row shares the cell's labels.
    ("violating_view_rate", "denominator"): Link("violating_view_rate.denominator", ("policy_category",)),
    ("violating_view_rate", "sample_size"): Link("violating_view_rate.sample_size", ("policy_category",)),
}

# At a period grain, distinct users are counted once per period, but per-10k / per-1k
# denominators are summed daily active users (user-days, docs/metric_units.md): a
# quantity of their own, shared by those denominators, not the period's active_users.
PERIOD_LINKS: dict[tuple[str, str], Link] = {
    ("reports_per_10k_active_users", "denominator"): Link("active_user_days", ("surface",)),
    ("stranger_adult_to_minor_contacts_per_1k", "denominator"): Link("active_user_days"),
    ("stranger_adult_to_minor_contacts_per_1k_unknown_sender", "denominator"): Link("active_user_days"),
}

# Quantities that are not additive along a column: counted once in `all`.
NON_ADDITIVE: dict[str, tuple[str, ...]] = {"active_users": ("surface",)}


def quantity_link(metric: str, part: str, unit: str, period: bool = False) -> Link:
    """The quantity a metric part measures (the links, then the unit's default)."""
    if period and (metric, part) in PERIOD_LINKS:
        return PERIOD_LINKS[(metric, part)]
    if (metric, part) in QUANTITY_LINKS:
        return QUANTITY_LINKS[(metric, part)]
    if part == "sample_size" and unit == "count":
        return quantity_link(metric, "numerator", unit, period)
    if part == "sample_size" and unit in ("proportion", "per_10k", "per_1k"):
        return quantity_link(metric, "denominator", unit, period)
    return Link(f"{metric}.{part}")


@dataclass
class MetricShape:
    """What a reader knows of a metric: its segment columns and each column's values."""

    name: str
    columns: tuple[str, ...]
    values: dict[str, tuple[str, ...]]
    parts: tuple[str, ...]
    unit: str = "count"
    maturity_days: int = 0  # protect() decides cells in order of maturity (docs/privacy.md)


def metric_shapes(registry: pd.DataFrame, segment_values: pd.DataFrame, age_bands: pd.DataFrame) -> dict[str, MetricShape]:
    """Metric shapes from the registry and the reference seeds (the grid's rules)."""
    minor_bands = set(age_bands.loc[age_bands["is_minor"].astype(str).str.lower() == "true", "age_band"])
    values_by_column = {
        column: tuple(group.sort_values("sort_order")["segment_value"])
        for column, group in segment_values.groupby("segment_column")
    }
    shapes: dict[str, MetricShape] = {}
    for row in registry.itertuples():
        columns = tuple(str(row.segment_columns).split("|"))
        minor_only = str(row.is_minor_only).lower() == "true"
        values = {}
        for column in columns:
            column_values = values_by_column[column]
            if column == "age_band" and minor_only:
                column_values = tuple(v for v in column_values if v in minor_bands)
            values[column] = column_values
        unit = row.unit
        if unit == "count":
            parts = ("numerator", "sample_size")
        elif unit in ("proportion", "per_10k", "per_1k"):
            parts = ("numerator", "denominator", "sample_size")
        else:
            parts = ("sample_size",)
        maturity = getattr(row, "maturity_days", 0)
        maturity = 0 if maturity is None or pd.isna(maturity) else int(maturity)
        shapes[row.metric_name] = MetricShape(row.metric_name, columns, values, parts, unit, maturity)
    return shapes


def _quantity_of(
    metric: str, part: str, unit: str, cell: dict[str, str], period: bool = False
) -> tuple[str, Link, tuple[str, ...]]:
    """The quantity a part measures, the columns it ignores, and the columns it keeps only.

    A quantity that is not additive along a column (active_users over surface) is two
    quantities: its `all` cells, and its per-value cells, which are additive only across
    age_band (one age band per user-day) and so keep only age_band and that column.
    """
    link = quantity_link(metric, part, unit, period)
    for column in NON_ADDITIVE.get(link.quantity, ()):
        if column in link.ignores or cell.get(column, "all") == "all":
            return f"{link.quantity}|{column}=all", Link(link.quantity, tuple({*link.ignores, column})), ()
        return f"{link.quantity}|by_{column}", link, ("age_band", column)
    return link.quantity, link, ()


@dataclass
class _System:
    """One quantity on one day (or period): its basis and the observations of it."""

    columns: tuple[str, ...]
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    observations: list[tuple[int, str, dict[str, frozenset[str]]]] = field(default_factory=list)


def _cell_sets(
    shape: MetricShape, cell: dict[str, str], ignores: tuple[str, ...], keeps: tuple[str, ...] = ()
) -> dict[str, frozenset[str]]:
    sets = {}
    for column in shape.columns:
        if column in ignores or (keeps and column not in keeps):
            continue
        value = cell[column]
        sets[column] = frozenset(shape.values[column]) if value == "all" else frozenset([value])
    return sets


def _basis(system: _System) -> tuple[dict, list[np.ndarray]]:
    """Index of basis cells and the margin constraints for one quantity."""
    columns = list(system.columns)
    index: dict = {}
    constraints: list[dict] = []
    if "age_band" in columns and len(columns) > 1:
        ages = sorted(system.values["age_band"])
        others = [c for c in columns if c != "age_band"]
        for other in others:
            for age in ages:
                for value in sorted(system.values[other]):
                    index[(other, age, value)] = len(index)
        first = others[0]
        for other in others[1:]:
            for age in ages:
                constraints.append(
                    {**{(first, age, v): 1.0 for v in system.values[first]},
                     **{(other, age, v): -1.0 for v in system.values[other]}}
                )
    elif columns:
        for column in columns:
            for value in sorted(system.values[column]):
                index[(column, None, value)] = len(index)
        first = columns[0]
        for column in columns[1:]:
            constraints.append(
                {**{(first, None, v): 1.0 for v in system.values[first]},
                 **{(column, None, v): -1.0 for v in system.values[column]}}
            )
    else:
        index[("total", None, None)] = 0
    rows = []
    for constraint in constraints:
        row = np.zeros(len(index))
        for key, coefficient in constraint.items():
            row[index[key]] += coefficient
        rows.append(row)
    return index, rows


def _functional(system: _System, index: dict, sets: dict[str, frozenset[str]]) -> np.ndarray:
    row = np.zeros(len(index))
    columns = list(system.columns)
    if not columns:
        row[0] = 1.0
        return row
    specified = [c for c in columns if c in sets and len(sets[c]) == 1 and len(system.values[c]) > 1]
    if "age_band" in columns and len(columns) > 1:
        others = [c for c in columns if c != "age_band"]
        ages = sets.get("age_band", frozenset(system.values["age_band"]))
        other = next((c for c in specified if c != "age_band"), others[0])
        other_values = sets.get(other, frozenset(system.values[other]))
        for age in ages:
            for value in other_values:
                row[index[(other, age, value)]] = 1.0
    else:
        column = specified[0] if specified else columns[0]
        for value in sets.get(column, frozenset(system.values[column])):
            row[index[(column, None, value)]] = 1.0
    return row


def _systems_for(day_cells: pd.DataFrame, shapes: dict[str, MetricShape]) -> dict[str, _System]:
    period = "period_grain" in day_cells.columns and (day_cells["period_grain"] != "day").any()
    """Every quantity observed on one day, with each observation's value sets."""
    observations: dict[str, list[tuple[int, str, dict[str, frozenset[str]]]]] = defaultdict(list)
    records = day_cells.to_dict("records")
    for position, record in enumerate(records):
        shape = shapes.get(record["metric_name"])
        if shape is None:
            continue
        cell = {c: record[c] for c in SEGMENT_COLUMNS}
        for part in shape.parts:
            quantity, link, keeps = _quantity_of(shape.name, part, shape.unit, cell, period)
            observations[quantity].append((position, part, _cell_sets(shape, cell, link.ignores, keeps)))
    systems: dict[str, _System] = {}
    for quantity, quantity_observations in observations.items():
        columns = sorted({c for _, _, sets in quantity_observations for c in sets}, key=SEGMENT_COLUMNS.index)
        system = _System(columns=tuple(columns))
        for _, _, sets in quantity_observations:
            for column, value_set in sets.items():
                system.values[column].update(value_set)
        for position, part, sets in quantity_observations:
            # A part over fewer columns than its quantity (a per-1k denominator over
            # age_band x region of active users kept by plan too) is the quantity's `all`
            # over the missing columns.
            full = {c: sets.get(c, frozenset(system.values[c])) for c in columns}
            system.observations.append((position, part, full))
        systems[quantity] = system
    return systems


@dataclass(frozen=True)
class _Compiled:
    """One quantity's system as matrices: the same on every day with the same cells.

    Only the values and the suppressed mask change from day to day, so the basis and
    every observation's functional are built once per cell layout (`_compiled_systems`).
    """

    quantity: str
    positions: np.ndarray  # observation -> cell position in the group
    parts: tuple[str, ...]  # observation -> part
    part_index: np.ndarray  # observation -> column of the value matrix (PARTS order)
    functionals: np.ndarray  # observation x basis cell
    row_ids: np.ndarray  # observation -> id of its functional (equal functionals share one)
    constraints: np.ndarray  # margin constraints, deduplicated
    is_constraint_id: np.ndarray  # functional id -> equal to a constraint row
    basis_keys: tuple = ()  # basis column -> (table column, age band, value) (tsw.privacy_cycles)


def _compile(quantity: str, system: _System) -> _Compiled:
    index, constraint_rows = _basis(system)
    functionals = np.array(
        [_functional(system, index, sets) for _, _, sets in system.observations], dtype=float
    ).reshape(len(system.observations), len(index))
    constraints = np.array(constraint_rows, dtype=float).reshape(len(constraint_rows), len(index))
    stacked = np.vstack([constraints, functionals])
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    n_constraints = len(constraints)
    # Keep constraints in their order, each distinct row once (as the solver always did).
    kept = sorted({int(first[i]) for i in inverse[:n_constraints]})
    return _Compiled(
        quantity=quantity,
        positions=np.array([p for p, _, _ in system.observations], dtype=int),
        parts=tuple(part for _, part, _ in system.observations),
        part_index=np.array([PARTS.index(part) for _, part, _ in system.observations], dtype=int),
        functionals=functionals,
        row_ids=inverse[n_constraints:].astype(int),
        constraints=constraints[kept] if kept else constraints[:0],
        is_constraint_id=np.isin(np.arange(len(first)), inverse[:n_constraints]),
        basis_keys=tuple(index),
    )


_LAYOUT_CACHE: dict[tuple, list[_Compiled]] = {}
_LAYOUT_CACHE_SIZE = 32  # a layout holds every observation x basis matrix; one per maturity stage and grain


def _compiled_systems(group: pd.DataFrame, shapes: dict[str, MetricShape]) -> list[_Compiled]:
    """Every quantity's compiled system for the cells of `group`, cached by cell layout."""
    period = "period_grain" in group.columns and bool((group["period_grain"] != "day").any())
    layout = (
        period,
        tuple(map(tuple, group[["metric_name", *SEGMENT_COLUMNS]].astype(str).to_numpy().tolist())),
        repr([shapes[name] for name in sorted(shapes)]),
    )
    compiled = _LAYOUT_CACHE.get(layout)
    if compiled is None:
        systems = _systems_for(group, shapes)
        compiled = [_compile(quantity, system) for quantity, system in systems.items()]
        if len(_LAYOUT_CACHE) >= _LAYOUT_CACHE_SIZE:
            _LAYOUT_CACHE.pop(next(iter(_LAYOUT_CACHE)))
        _LAYOUT_CACHE[layout] = compiled
    return compiled


def _in_cell_order(group: pd.DataFrame) -> pd.DataFrame:
    """The group's cells sorted by metric and segments: the same layout every day, so its
    compiled systems are reused, and ties between equal cells break the same way."""
    return group.sort_values(["metric_name", *SEGMENT_COLUMNS], kind="stable").reset_index(drop=True)


def _value_matrix(group: pd.DataFrame) -> np.ndarray:
    """The parts of every cell (PARTS order) as floats, NaN where a part is null."""
    columns = [group[part] if part in group.columns else pd.Series(np.nan, index=group.index) for part in PARTS]
    return np.column_stack([pd.to_numeric(c, errors="coerce").to_numpy(dtype=float) for c in columns])


def _solve(
    system: _Compiled,
    values: np.ndarray,
    suppressed: np.ndarray,
    only: np.ndarray | None = None,
    truth: np.ndarray | None = None,
):
    """Yield (observation, position, part, is_determined, recovered, known cell positions
    used) for the suppressed parts of one quantity (all of them, or the observations in
    `only`); with `truth` (each observation's true value), only the determined parts
    whose truth is non-zero: every one is a leak, whatever value the solve gives (an
    inexact link, e.g. metrics of different maturities, makes the published rows slightly
    inconsistent, so the recovered value can miss the truth by a few late rows).

    A suppressed part is determined when its functional is a combination of the known rows
    (published parts and margin constraints); the minimum-norm combination gives the
    recovered value and the published cells it uses.
    """
    observed_suppressed = suppressed[system.positions]
    unknown = np.flatnonzero(observed_suppressed) if only is None else only
    if not len(unknown):
        return
    observed = values[system.positions, system.part_index]
    known = np.flatnonzero(~observed_suppressed & ~np.isnan(observed))
    known_ids = system.row_ids[known]
    _, first = np.unique(known_ids, return_index=True)
    first = np.sort(first)
    first = first[~system.is_constraint_id[known_ids[first]]]
    chosen = known[first]
    n_constraints = len(system.constraints)
    if n_constraints + len(chosen) == 0:
        for j in unknown:
            yield int(j), int(system.positions[j]), system.parts[j], False, None, ()
        return
    rows = np.vstack([system.constraints, system.functionals[chosen]])
    row_values = np.concatenate([np.zeros(n_constraints), observed[chosen]])
    row_positions = np.concatenate([np.full(n_constraints, -1), system.positions[chosen]])
    target_ids, target_of = np.unique(system.row_ids[unknown], return_inverse=True)
    target_of = target_of.reshape(-1)
    representative = unknown[np.unique(target_of, return_index=True)[1]]
    targets = system.functionals[representative].T
    coefficients, *_ = np.linalg.lstsq(rows.T, targets, rcond=None)
    residuals = np.linalg.norm(rows.T @ coefficients - targets, axis=0)
    recovered = coefficients.T @ row_values
    reported = np.ones(len(unknown), dtype=bool)
    if truth is not None:  # vectorized _is_leak: determined, and the truth is non-zero
        true_values = truth[unknown]
        with np.errstate(invalid="ignore"):
            reported = (residuals[target_of] < 1e-6) & ~np.isnan(true_values) & (true_values != 0)
    for j, t in zip(unknown[reported], target_of[reported]):
        position, part = int(system.positions[j]), system.parts[j]
        if residuals[t] >= 1e-6:
            yield int(j), position, part, False, None, ()
            continue
        used_positions = row_positions[np.abs(coefficients[:, t]) > 1e-9]
        used = tuple(used_positions[used_positions >= 0].tolist())
        yield int(j), position, part, True, float(recovered[t]), used


def _disclosed_by_shorter_maturity(system: _Compiled, values: np.ndarray, suppressed: np.ndarray,
                                   maturity: np.ndarray, determined: list[int]) -> set[int]:
    """The determined observations that the published cells of strictly shorter maturity
    determine on their own: a value already public (under its own metric's rule, final
    days earlier) when the longer-maturity cell was decided, not a leak of that cell."""
    out: set[int] = set()
    by_stage: dict[int, list[int]] = defaultdict(list)
    for j in determined:
        by_stage[int(maturity[system.positions[j]])].append(j)
    for stage, observations in by_stage.items():
        shorter_published = ~suppressed & (maturity < stage)
        if not shorter_published.any():
            continue
        for j, _, _, is_determined, _, _ in _solve(system, values, ~shorter_published, np.array(observations)):
            if is_determined:
                out.add(j)
    return out


_BLAS_LIMIT: list = []


def _one_blas_thread():
    """Limit BLAS to one thread for the rest of the process, not just a `with` block: dbt
    runs the daily and periodic models in two threads of one process, and the first
    block to end would lift the limit the other still relies on (BLAS threads spinning
    on 2 busy cores made the daily model several times slower)."""
    if not _BLAS_LIMIT:
        _BLAS_LIMIT.append(threadpool_limits(limits=1))
    return contextlib.nullcontext()


def determined_parts(cells: pd.DataFrame, shapes: dict[str, MetricShape], group_keys: list[str]) -> pd.DataFrame:
    """Every suppressed part of `cells` with whether the published parts determine it.

    `cells` has the published columns (metric_name, segment columns, numerator,
    denominator, sample_size, is_suppressed) plus `group_keys` (the day, or grain and
    period); a suppressed cell's parts are unknown, an unsuppressed cell's parts known.
    Optional `true_<part>` columns (restricted truth) give each recovered value's check.
    """
    rows: list[dict] = []
    with _one_blas_thread():  # small matrices: threads only contend
        _collect_audit(cells, shapes, group_keys, rows)
    columns = [*group_keys, "metric_name", *SEGMENT_COLUMNS, "part", "quantity", "is_determined", "recovered", "truth",
               "disclosed_by_final"]
    return pd.DataFrame(rows, columns=columns)


def _collect_audit(cells: pd.DataFrame, shapes: dict[str, MetricShape], group_keys: list[str], rows: list[dict]) -> None:
    for key, group in cells.groupby(group_keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        group = _in_cell_order(group)
        records = group.to_dict("records")
        suppressed = group["is_suppressed"].to_numpy(dtype=bool)
        values = _value_matrix(group)
        maturity = maturities(group, shapes)
        for system in _compiled_systems(group, shapes):
            found = list(_solve(system, values, suppressed))
            disclosed = _disclosed_by_shorter_maturity(
                system, values, suppressed, maturity, [j for j, _, _, is_determined, _, _ in found if is_determined]
            )
            for j, position, part, is_determined, recovered, _ in found:
                record = records[position]
                rows.append({
                    **dict(zip(group_keys, key)),
                    "metric_name": record["metric_name"],
                    **{c: record[c] for c in SEGMENT_COLUMNS},
                    "part": part,
                    "quantity": system.quantity,
                    "is_determined": is_determined,
                    "recovered": recovered,
                    "truth": record.get(f"true_{part}"),
                    "disclosed_by_final": j in disclosed,
                })


def _is_leak(recovered: float | None, truth) -> bool:
    """A determined part leaks when its truth is non-zero, whatever value the solve gives:
    an inexact link (different maturities) can make the recovered value miss the truth by
    a few late rows, and that is still a disclosure."""
    if recovered is None or truth is None or pd.isna(truth):
        return False
    return float(truth) != 0


def recoverable(audit: pd.DataFrame) -> pd.DataFrame:
    """The determined parts whose true value is non-zero: real leaks. A part that the
    published cells of shorter-maturity metrics determine on their own
    (`disclosed_by_final`, see `disclosed_by_final`) is not counted: it is that value's
    publication, final before this cell existed, not this cell's."""
    if audit.empty:
        return audit
    mask = _determined_non_zero(audit)
    if "disclosed_by_final" in audit.columns:
        mask &= ~audit["disclosed_by_final"].fillna(False).to_numpy(dtype=bool)
    return audit[mask]


def disclosed_by_final(audit: pd.DataFrame) -> pd.DataFrame:
    """The determined non-zero parts of longer-maturity cells that shorter-maturity
    published cells determine alone (a report_action_rate denominator is the report
    count a per-10k rate published, final days earlier): reported, not counted as leaks.
    Layer 3 in maturity order cannot hide them without changing a final cell."""
    if audit.empty or "disclosed_by_final" not in audit.columns:
        return audit.head(0)
    return audit[_determined_non_zero(audit) & audit["disclosed_by_final"].to_numpy(dtype=bool)]


def _determined_non_zero(audit: pd.DataFrame) -> np.ndarray:
    """Per audit row: determined, with a non-zero truth (`_is_leak`)."""
    return np.array(
        [bool(d) and _is_leak(r, t) for d, r, t in zip(audit["is_determined"], audit["recovered"], audit["truth"])],
        dtype=bool,
    )


def protect(cells: pd.DataFrame, shapes: dict[str, MetricShape], group_keys: list[str]) -> pd.DataFrame:
    """Extend `is_suppressed` until no suppressed non-zero part is recoverable.

    `cells` carries the *unsuppressed* parts (numerator, denominator, sample_size: the
    restricted truth), `is_suppressed` (small-cell and complementary flags) and
    `can_be_suppressed` (small-cell metric, non-empty cell), and, to keep layer 2's
    invariant, `grouping_name`, `segment_value_1` and `segment_value_2` (the sibling
    sets of macro suppress_small_cells): every cell this adds is followed by layer 2
    again, so no sibling set is left with exactly one suppressed cell. Returns `cells`
    with `is_suppressed` extended and `is_linked_suppression` marking the cells this
    added; `unprotectable` (bool) marks suppressed cells with a part that is still
    determined because no suppressible cell could hide it (a hard failure downstream).
    """
    out = []
    with _one_blas_thread():  # small matrices: threads only contend
        for _, group in cells.groupby(group_keys, sort=False, dropna=False):
            out.append(_protect_in_maturity_order(_in_cell_order(group), shapes))
    if not out:
        return cells.assign(is_linked_suppression=False, unprotectable=False)
    return pd.concat(out, ignore_index=True)


def maturities(group: pd.DataFrame, shapes: dict[str, MetricShape]) -> np.ndarray:
    """Each cell's metric maturity in days (0 for a metric without a shape)."""
    return group["metric_name"].map(
        lambda name: shapes[name].maturity_days if name in shapes else 0
    ).to_numpy(dtype=int)


def _protect_in_maturity_order(group: pd.DataFrame, shapes: dict[str, MetricShape]) -> pd.DataFrame:
    """Layer 3 one maturity at a time, so that a final cell's suppression never changes.

    A day's metrics become final at different instants (maturity 3 to 33 days). Stage m
    solves the cells of every metric with maturity <= m, but may hide only the cells of
    maturity m: the shorter maturities' suppression is fixed (decided at their stage,
    from their final values), and their published cells are what a reader already holds.
    So a cell's suppression depends only on the values of cells at most as mature as
    it, which are final when it is (docs/privacy.md, "Finality: layer 3 in order of
    maturity"). A part of a longer-maturity cell that the shorter maturities' published
    cells determine on their own (a report_action_rate denominator is the reports a
    per-10k rate published days earlier) is not a leak of that cell: it was published
    under its own metric's rule before this cell existed (`disclosed_by_final`).
    """
    maturity = maturities(group, shapes)
    suppressed = group["is_suppressed"].to_numpy(dtype=bool).copy()
    original = suppressed.copy()
    unprotectable = np.zeros(len(group), dtype=bool)
    for stage in sorted(set(maturity.tolist())):
        members = np.flatnonzero(maturity <= stage)
        if not suppressed[members].any():
            continue  # nothing hidden among these cells yet: nothing can be recovered
        current = maturity[members] == stage
        sub = group.iloc[members].reset_index(drop=True)
        sub["is_suppressed"] = suppressed[members]
        decided = _protect_group(sub, shapes, fixed=~current)
        suppressed[members] = decided["is_suppressed"].to_numpy(dtype=bool)
        unprotectable[members] |= decided["unprotectable"].to_numpy(dtype=bool)
    group = group.copy()
    group["is_suppressed"] = suppressed
    group["is_linked_suppression"] = suppressed & ~original
    group["unprotectable"] = unprotectable
    return group


def _sibling_sets(group: pd.DataFrame) -> list[np.ndarray]:
    """Layer 2's sibling sets of a day's cells: one metric and grouping, cells equal in
    every segment column of the grouping but one (macro suppress_small_cells); each set
    lists its cell positions ordered as that macro breaks ties (sample size, then the
    varying value is applied at choice time). Empty without the grouping columns."""
    if "grouping_name" not in group.columns or not set(SIBLING_COLUMNS) <= set(group.columns):
        return []
    sets: list[np.ndarray] = []
    metric = group["metric_name"].astype(str).to_numpy()
    grouping = group["grouping_name"].astype(str).to_numpy()
    for varying, other in (SIBLING_COLUMNS, SIBLING_COLUMNS[::-1]):
        present = group[varying].notna().to_numpy()
        if not present.any():
            continue
        varying_values = group[varying].astype("string").fillna("").astype(str).to_numpy()
        other_values = group[other].astype("string").fillna("\0").astype(str).to_numpy()
        members_of: dict[tuple[str, str, str], list[int]] = {}
        for position in np.flatnonzero(present).tolist():
            members_of.setdefault((metric[position], grouping[position], other_values[position]), []).append(position)
        for members in members_of.values():
            members = np.asarray(members, dtype=int)
            sets.append(members[np.argsort(varying_values[members], kind="stable")])
    return sets


def _complete_siblings(
    sets: list[np.ndarray], sets_of: dict[int, list[int]], suppressed: np.ndarray,
    suppressible: np.ndarray, sizes: np.ndarray, changed: set[int],
) -> set[int]:
    """Layer 2 again on the cells layer 3 added: wherever a sibling set has exactly one
    suppressed cell, suppress its smallest suppressible unsuppressed cell (sample size,
    then the varying value), pass after pass, looking only at sets a new cell is in.
    Marks `suppressed` in place and returns the cells it added."""
    added: set[int] = set()
    pending = {s for position in changed for s in sets_of.get(position, ())}
    while pending:
        newly: set[int] = set()
        for s in pending:
            members = sets[s]
            if int(suppressed[members].sum()) != 1:
                continue
            free = members[suppressible[members] & ~suppressed[members]]
            if len(free):
                newly.add(int(free[np.argmin(sizes[free])]))  # first of the smallest: the lower value
        if not newly:
            break
        suppressed[list(newly)] = True
        added |= newly
        pending = {s for position in newly for s in sets_of.get(position, ())}
    return added


def _protect_group(group: pd.DataFrame, shapes: dict[str, MetricShape],
                   fixed: np.ndarray | None = None) -> pd.DataFrame:
    """Layer 3 over one group's cells; `fixed` marks cells whose suppression is decided
    (shorter maturities): never hidden here, their published parts known to the reader."""
    compiled = _compiled_systems(group, shapes)
    values = _value_matrix(group)
    suppressed = group["is_suppressed"].to_numpy(dtype=bool).copy()
    original = suppressed.copy()
    fixed = np.zeros(len(group), dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    suppressible = group["can_be_suppressed"].to_numpy(dtype=bool) & ~fixed
    last_resort = (_last_resort(group) | suppressible) & ~fixed
    sizes = group["sample_size"].fillna(0).to_numpy(dtype=float)
    cost_of = _hiding_costs(group, suppressible, last_resort, sizes)
    fallback_cost = np.where(last_resort, 0.0, np.inf)  # the greedy may hide a grand total
    unprotectable = np.zeros(len(group), dtype=bool)
    sets = _sibling_sets(group)
    sets_of: dict[int, list[int]] = defaultdict(list)
    for s, members in enumerate(sets):
        for position in members.tolist():
            sets_of[position].append(s)
    # Only a suppressed part with a non-zero truth can leak: a quantity without one is
    # never solved, and a solve covers only those parts.
    observations, truths = [], []
    quantities_of: dict[int, list[int]] = defaultdict(list)  # cell position -> its systems
    for k, system in enumerate(compiled):
        truth = values[system.positions, system.part_index]
        observations.append(np.flatnonzero(~np.isnan(truth) & (truth != 0)))
        truths.append(truth)
        for position in set(system.positions.tolist()):
            quantities_of[position].append(k)
    # A fixed published cell stays published: a hidden cell's copy in it is known.
    published_fixed = fixed & ~suppressed
    closer = CycleCloser(compiled, truths, cost_of, skip=published_fixed)
    # Parts that the fixed published cells determine on their own are no leak of this
    # stage, and nothing here could hide them (a fixed cell's were settled at its stage).
    # Only quantities this stage's cells observe can change: a quantity of fixed cells
    # alone was settled at their stage.
    touched = {k for k, system in enumerate(compiled) if not fixed[system.positions].all()}
    exempt: dict[int, set[int]] = defaultdict(set)
    if published_fixed.any():
        for k in touched:
            system = compiled[k]
            if len(observations[k]):
                exempt[k] = {j for j, *_ in _solve(system, values, ~published_fixed, observations[k], truths[k])}
    # Layers 1-2 hid a cell, but another metric may publish the same quantity cell (a
    # link): the copies get the same mask before anything is solved.
    first = {int(p) for p in np.flatnonzero(suppressed)}
    _, linked = closer.closure(first, suppressed, np.zeros(len(group)))
    linked = {p for p in linked - first if cost_of[p] < np.inf}
    suppressed[list(linked)] = True
    linked |= _complete_siblings(sets, sets_of, suppressed, suppressible, sizes, linked)
    leaks: dict[int, list[tuple[int, int, tuple[int, ...]]]] = {}
    while True:
        # Each pass closes, for every determined non-zero part, the cheapest cycle of
        # hidden cells through it (tsw.privacy_cycles); where no cycle avoids a cell that
        # must stay published it falls back to hiding the smallest suppressible cell the
        # recovery uses (if it uses none: the smallest empty cell the rule covers; if none
        # either, the part is unprotectable); then layer 2 again over the added cells.
        # Passes repeat until no suppressed non-zero part is determined. A quantity none
        # of whose cells changed keeps its leaks from the last pass.
        for k in touched:
            system = compiled[k]
            candidates = observations[k][suppressed[system.positions[observations[k]]]]
            leaks[k] = [
                (j, position, used)
                for j, position, _, _, _, used in _solve(system, values, suppressed, candidates, truths[k])
                if j not in exempt[k]
            ]
        additions: set[int] = set()
        hidden = suppressed.copy()
        unprotectable[:] = False  # what is left after the last pass
        for k in range(len(compiled)):
            vectors: list[tuple] = []
            for j, position, used in leaks.get(k, ()):
                if closer.moves(k, j, vectors):
                    continue  # a cycle closed this pass already leaves it undetermined
                found = closer.close(k, j, hidden)
                if found is not None:
                    cells, vector = found
                    vectors.append(vector)
                    hidden[list(cells)] = True
                    additions |= cells
                    continue
                # The recovery uses only cells layers 1-2 never hide or that cycles keep
                # (a grand total): the smallest suppressible cell it uses, else an empty
                # cell the rule covers (see _last_resort), whose copies can all be hidden.
                cells = _fallback(closer, used, hidden, suppressible, last_resort, sizes, fallback_cost)
                if cells:
                    hidden[list(cells)] = True
                    additions |= cells
                elif not any(hidden[p] for p in used):
                    unprotectable[position] = True
        if not additions:
            break
        suppressed[list(additions)] = True
        additions |= _complete_siblings(sets, sets_of, suppressed, suppressible, sizes, additions)
        touched = {k for position in additions | linked for k in quantities_of[position]}
        linked = set()
    group["is_suppressed"] = suppressed
    group["is_linked_suppression"] = suppressed & ~original
    group["unprotectable"] = unprotectable
    return group


def _fallback(closer: CycleCloser, used: tuple[int, ...], hidden: np.ndarray, suppressible: np.ndarray,
              last_resort: np.ndarray, sizes: np.ndarray, fallback_cost: np.ndarray) -> set[int]:
    """The greedy choice where no cycle exists: the smallest suppressible cell the recovery
    uses (then an empty covered one), with every copy of its parts; cells whose copies
    include a cell the rule does not cover are skipped. Empty when none qualifies."""
    for eligible in (suppressible, last_resort):
        for p in sorted((p for p in used if eligible[p] and not hidden[p]), key=lambda p: (sizes[p], p)):
            cost, cells = closer.closure({p}, hidden, fallback_cost)
            if cost < np.inf:
                return cells
    return set()


EMPTY_CELL_COST = 50.0  # an empty cell hidden in a cycle: as dear as a cell at the threshold


def _hiding_costs(group: pd.DataFrame, suppressible: np.ndarray, last_resort: np.ndarray,
                  sizes: np.ndarray) -> np.ndarray:
    """What hiding each cell costs a reader: its sample size; an empty covered cell
    EMPTY_CELL_COST (a cycle through empty cells can be narrowed by non-negativity);
    infinity for cells that stay published (a metric's grand total, cells the small-cell
    rule does not cover)."""
    cost = np.where(suppressible, sizes, np.where(last_resort, EMPTY_CELL_COST, np.inf))
    grand = np.ones(len(group), dtype=bool)
    for column in SEGMENT_COLUMNS:
        grand &= (group[column] == "all").to_numpy(dtype=bool)
    cost[grand] = np.inf
    return cost


def _last_resort(group: pd.DataFrame) -> np.ndarray:
    """Cells the small-cell rule covers that layers 1-2 never hide because their sample
    is empty: a per-10k row of reporters with no impressions that day still publishes
    its reports, and an empty count still publishes the 0 an inexact link (the same
    quantity at a longer maturity) is read against. Hidden only when a recovery uses no
    suppressible cell."""
    if "suppression_rule" not in group.columns:
        return np.zeros(len(group), dtype=bool)
    return (group["suppression_rule"] == "small_cell").to_numpy(dtype=bool)
