"""Cycle closing for linked suppression: hide a cheap null vector instead of a greedy pick.

A suppressed part is undetermined exactly when some vector `v` over its quantity's basis
is orthogonal to every published row (published parts and margin constraints) and not
to the part. Classic cell suppression builds such vectors from cycles of hidden cells:

* an **interior cell** (a, x) of a two-way table age_band x X: the rectangle
  +(a, x) -(a, y) -(b, x) +(b, y) leaves every margin (and any subtotal over a set of
  ages holding both a and b, such as the minors' per-1k denominator) unchanged;
* an **age-band margin** a (shared by every table of the quantity): the pair
  +(a, x_t) -(b, x_t) in every table t moves the margins a and b the same way in every
  table; the cells (a, y_t), (b, y_t) are hidden with them so that no sibling set of
  the grouping age_band x X_t holds a lone hidden cell;
* a **column margin** x of one table: +(a, x) -(a, y), with (b, x), (b, y) for the
  same reason;
* a cell of a one-way system: the pair +(x) -(y) in the same column.

The cost of a vector is the sample size of every published cell it forces hidden: the
cells observing a functional the vector moves, and, because a cell hides all of its
parts, every other published copy of those parts' functionals (`QUANTITY_LINKS`: the
same quantity in another metric gets the same mask). Cells that must stay published
(grand totals, cells the small-cell rule does not cover) cost infinity. `close()`
returns the cheapest vector's new cells; the caller re-solves to verify
(tsw.privacy.protect), and falls back to a greedy choice only where no vector exists.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

EPS = 1e-9


class CycleCloser:
    """Cheapest cycle of hidden cells for a determined part, over one day's systems."""

    def __init__(self, compiled: list, truths: list[np.ndarray], cost_of: np.ndarray,
                 skip: np.ndarray | None = None) -> None:
        self.compiled = compiled
        self.cost_of = cost_of
        # Cells that stay published whatever is hidden (a shorter maturity's decided
        # cells): a hidden cell's copy there is known, not hidden with it.
        self.skip = np.zeros(len(cost_of), dtype=bool) if skip is None else skip
        self.truths = truths
        # cell position -> every (system, observation) of its parts with a non-zero truth
        self.cell_obs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        # (system, functional id) -> observations sharing it (the copies of one quantity cell)
        self.copies: list[dict[int, np.ndarray]] = []
        self.unit_obs: list[dict[int, np.ndarray]] = []  # basis column -> observations of exactly it
        self.column_of: list[dict] = []
        self.tables: list[dict[str, tuple[list, list]]] = []
        for k, system in enumerate(compiled):
            truth = truths[k]
            for j, position in enumerate(system.positions.tolist()):
                if not np.isnan(truth[j]) and truth[j] != 0:
                    self.cell_obs[position].append((k, j))
            groups: dict[int, list[int]] = defaultdict(list)
            for j, rid in enumerate(system.row_ids.tolist()):
                groups[rid].append(j)
            self.copies.append({rid: np.array(js) for rid, js in groups.items()})
            functionals = system.functionals
            nonzero = functionals != 0
            single = np.flatnonzero(nonzero.sum(axis=1) == 1)
            units: dict[int, list[int]] = defaultdict(list)
            for j in single.tolist():
                units[int(np.flatnonzero(nonzero[j])[0])].append(j)
            self.unit_obs.append({c: np.array(js) for c, js in units.items()})
            keys = system.basis_keys
            self.column_of.append({key: c for c, key in enumerate(keys)})
            tables: dict[str, tuple[list, list]] = {}
            for table, age, value in keys:
                ages, values = tables.setdefault(table, ([], []))
                if age not in ages:
                    ages.append(age)
                if value not in values:
                    values.append(value)
            self.tables.append(tables)

    # ---- cost -------------------------------------------------------------------------

    def _forced(self, k: int, columns: list[int], coefficients: list[float], extra: list[int],
                hidden: np.ndarray) -> tuple[float, set[int]]:
        """The cells a vector forces hidden (not yet hidden) and their cost."""
        system = self.compiled[k]
        moved = system.functionals[:, columns] @ np.asarray(coefficients, dtype=float)
        observations = np.flatnonzero(np.abs(moved) > EPS)
        for c in extra:
            if c in self.unit_obs[k]:
                observations = np.concatenate([observations, self.unit_obs[k][c]])
        cells = {int(p) for p in system.positions[observations].tolist() if not hidden[p]}
        return self.closure(cells, hidden)

    def closure(self, cells: set[int], hidden: np.ndarray,
                cost_of: np.ndarray | None = None) -> tuple[float, set[int]]:
        """`cells` plus every published copy of their parts' functionals, transitively,
        and what hiding them costs (`cost_of`, default the cycles' costs)."""
        cost_of = self.cost_of if cost_of is None else cost_of
        pending = list(cells)
        out = set(cells)
        cost = 0.0
        while pending:
            position = pending.pop()
            cost += cost_of[position]
            if cost == np.inf:
                return cost, out
            for k, j in self.cell_obs.get(position, ()):
                system = self.compiled[k]
                for j2 in self.copies[k][int(system.row_ids[j])].tolist():
                    p2 = int(system.positions[j2])
                    if p2 not in out and not hidden[p2] and not self.skip[p2]:
                        out.add(p2)
                        pending.append(p2)
        return cost, out

    # ---- candidates -------------------------------------------------------------------

    def _candidates(self, k: int, j: int, hidden: np.ndarray):
        """Yield (columns, coefficients, extra columns) of vectors that move part j."""
        system = self.compiled[k]
        support = np.flatnonzero(system.functionals[j] != 0).tolist()
        if not support:
            return
        keys = [system.basis_keys[c] for c in support]
        col = self.column_of[k]
        table = keys[0][0]
        if any(key[0] != table for key in keys) or table == "total":
            return
        ages_all, values_all = self.tables[k][table]
        ages = {key[1] for key in keys}
        values = {key[2] for key in keys}
        if keys[0][1] is None:  # one-way system: pair with another value of the column
            if len(values) == 1:
                (x,) = values
                for y in values_all:
                    if y != x:
                        yield [col[(table, None, x)], col[(table, None, y)]], [1.0, -1.0], []
            return
        if len(ages) == 1 and len(values) == 1:  # interior cell: rectangles
            (a,), (x,) = ages, values
            for b in ages_all:
                for y in values_all:
                    if b != a and y != x:
                        yield ([col[(table, a, x)], col[(table, a, y)], col[(table, b, x)], col[(table, b, y)]],
                               [1.0, -1.0, -1.0, 1.0], [])
        elif len(ages) == 1 and len(values) == len(values_all):  # age margin: pair in every table
            (a,) = ages
            for b in ages_all:
                if b == a:
                    continue
                columns, coefficients, extra = [], [], []
                for other, (t_ages, t_values) in self.tables[k].items():
                    if a not in t_ages or b not in t_ages or len(t_values) < 2:
                        columns = []
                        break
                    x, y = self._cheapest_pair(k, other, a, b, t_values, hidden)
                    columns += [col[(other, a, x)], col[(other, b, x)]]
                    coefficients += [1.0, -1.0]
                    extra += [col[(other, a, y)], col[(other, b, y)]]
                if columns:
                    yield columns, coefficients, extra
        elif len(values) == 1:  # column margin (or a subtotal over ages) of one table
            (x,) = values
            for a in sorted(ages):  # a set of strings: sorted, or the choice depends on the hash seed
                for y in values_all:
                    if y == x:
                        continue
                    b = self._cheapest_partner(k, table, a, (x, y), ages_all, hidden)
                    if b is not None:
                        yield ([col[(table, a, x)], col[(table, a, y)]], [1.0, -1.0],
                               [col[(table, b, x)], col[(table, b, y)]])

    def _unit_cost(self, k: int, column: int, hidden: np.ndarray) -> float:
        observations = self.unit_obs[k].get(column)
        if observations is None:
            return 0.0
        positions = self.compiled[k].positions[observations]
        return float(self.cost_of[positions[~hidden[positions]]].sum())

    def _cheapest_pair(self, k, table, a, b, values, hidden):
        col = self.column_of[k]
        costs = sorted(
            (self._unit_cost(k, col[(table, a, v)], hidden) + self._unit_cost(k, col[(table, b, v)], hidden), i)
            for i, v in enumerate(values)
        )
        return values[costs[0][1]], values[costs[1][1]]

    def _cheapest_partner(self, k, table, a, pair, ages, hidden):
        col = self.column_of[k]
        best = None
        for b in ages:
            if b == a:
                continue
            cost = sum(self._unit_cost(k, col[(table, b, v)], hidden) for v in pair)
            if best is None or cost < best[0]:
                best = (cost, b)
        return None if best is None else best[1]

    # ---- choice -----------------------------------------------------------------------

    def close(self, k: int, j: int, hidden: np.ndarray) -> tuple[set[int], tuple] | None:
        """The cells (not yet hidden) of the cheapest vector that moves part j, and the
        vector (columns, coefficients), or None when every vector needs a forbidden cell."""
        best = None
        for columns, coefficients, extra in self._candidates(k, j, hidden):
            cost, cells = self._forced(k, columns, coefficients, extra, hidden)
            if cost < np.inf and (best is None or cost < best[0]):
                best = (cost, cells, (np.array(columns), np.array(coefficients)))
        return None if best is None else (best[1], best[2])

    def moves(self, k: int, j: int, vectors: list[tuple]) -> bool:
        """Whether a vector already chosen in system k moves part j (j is then undetermined)."""
        row = self.compiled[k].functionals[j]
        return any(abs(row[columns] @ coefficients) > EPS for columns, coefficients in vectors)
