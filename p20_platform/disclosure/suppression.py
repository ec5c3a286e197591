"""Primary and complementary cell suppression for tables published together.

1. Primary: every count the policy forbids (1..max_small_count; zero too if the policy
   says so), in the cells and in every margin.
2. Complementary, by lines, across rows, columns and linked tables: in a line whose total is
   shown, the suppressed cells must be at least two and must add up to more than
   max_small_count (otherwise the total minus the shown cells gives them away, or shows them
   to be small); in a line whose total is suppressed, at least two members are suppressed.
   The complements that satisfy every line at once are found by integer programming (HiGHS
   through scipy's `milp`): the fewest cells of the highest priority (a table ranks the cells its
   readers compare, `CountTable.featured`: 2 for the comparisons a document is about, 1 for the
   others it shows; of those, the largest), then the fewest of the next priority, ..., then the
   fewest cells, then the smallest counts.
   Should the solver not finish in time, cells are added one at a time, each the cheapest
   that does the job (`_suppression_order`), to a fixed point.
3. Audit by linear programming (see `intervals`): a cell still pinned to one value or shown
   to be small gets its cheapest unsuppressed neighbour suppressed, then
   back to step 2. Every round suppresses more, and a fully suppressed structure discloses
   nothing, so this ends; the result passes `audit` by construction.
4. Least information lost: steps 2-3 choose one complement at a time, so some complements
   end up protecting nothing that others do not already protect. Each complementary cell
   (the highest priority first, the smallest of them first; then the unranked ones, the largest
   first: the most information a reader gets back) is shown again if every line through it still keeps
   the line rule and the linear-programming audit of its linked group (one measure) still
   finds nothing; otherwise it stays suppressed. Every release is checked, so the result
   still passes `audit`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import pandas as pd

import scipy  # its submodules load on first use, not when the code location loads

from p20_platform.disclosure.intervals import disclosed_cells
from p20_platform.disclosure.policy import DisclosurePolicy
from p20_platform.disclosure.tables import (
    COMPLEMENTARY,
    SHOWN,
    CellSpace,
    CountTable,
    PublishedTable,
    describe,
    primary_status,
)

Line = tuple[int, tuple[int, ...]]
_SOLVER_SECONDS = 60.0  # the integer program of a statewide report solves in seconds; past this, greedy


def protect(tables: Sequence[CountTable], policy: DisclosurePolicy | None = None) -> list[PublishedTable]:
    """Suppress the tables that will be published together; returns them in the same order.

    The policy applied is the strictest of `policy` (if given) and the rules of every
    source of every table, since linked tables share cells.
    """
    if not tables:
        raise ValueError("nothing to protect: no tables given")
    names = [t.name for t in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"table names must be unique, got {names}")
    policy = _policy_for(tables, policy)
    space = CellSpace()
    frames = [t.with_margins() for t in tables]
    ids = [space.add_table(t.name, t.measure, t.dimensions, f) for t, f in zip(tables, frames)]
    values = _values(space, frames, ids, tables)
    featured = np.zeros(len(values), dtype=np.int64)  # each cell's priority (0: not featured)
    for table, frame, variable_ids in zip(tables, frames, ids):
        if table.featured is not None:
            np.maximum.at(featured, variable_ids, table.featured(frame).to_numpy(dtype=np.int64))
    order = _suppression_order(values, featured)

    primary = np.array([policy.is_sensitive(int(v)) for v in values], dtype=bool)
    suppressed = _fewest_by_lines(sorted(space.lines), values, featured, primary, policy.max_small_count)
    lines_of = space.lines_of_each_cell()
    while True:
        _suppress_by_lines(sorted(space.lines), values, order, suppressed, policy.max_small_count)
        exposed = disclosed_cells(np.where(suppressed, np.nan, values.astype(float)), space.lines, (), policy)
        if not exposed.disclosed:
            break
        for cell in exposed.disclosed:
            _suppress_nearest(cell, lines_of, order, suppressed)
    _release_redundant(space, values, featured, order, primary, suppressed, policy)

    status = np.where(primary, primary_status(policy), np.where(suppressed, COMPLEMENTARY, SHOWN))
    return [
        PublishedTable(
            name=t.name, measure=t.measure, dimensions=t.dimensions, policy=policy, sources=t.sources,
            cells=frame.drop(columns="count").assign(
                count=pd.array(np.where(suppressed[i], pd.NA, values[i]), dtype="Int64"), status=status[i]),
        )
        for t, frame, i in zip(tables, frames, ids)
    ]


def _policy_for(tables: Sequence[CountTable], policy: DisclosurePolicy | None) -> DisclosurePolicy:
    by_sources = DisclosurePolicy.for_sources(sorted({s for t in tables for s in t.sources}))
    return by_sources if policy is None else policy.combine(by_sources)


def _values(space: CellSpace, frames: list[pd.DataFrame], ids: list[np.ndarray],
            tables: Sequence[CountTable]) -> np.ndarray:
    """One value per variable; linked tables must agree on the cells they share."""
    values = np.full(len(space.keys), -1, dtype=np.int64)
    for table, frame, variable_ids in zip(tables, frames, ids):
        counts = frame["count"].to_numpy()
        known = values[variable_ids] >= 0
        clash = known & (values[variable_ids] != counts)
        if clash.any():
            first = int(np.flatnonzero(clash)[0])
            raise ValueError(f"table {table.name!r} disagrees with a table published with it on "
                             f"{describe(space.keys[variable_ids[first]])}: {counts[first]} vs "
                             f"{values[variable_ids[first]]}; tables counting different populations "
                             "need different measure names")
        values[variable_ids] = counts
    return values


def _suppression_order(values: np.ndarray, featured: np.ndarray) -> np.ndarray:
    """Each cell's rank as a complement, cheapest first: the lowest priority first (not featured
    before featured), then a positive count before a zero (a zero hides nothing), then the smallest
    count (of featured cells the largest, see `_fewest_by_lines`), then the id."""
    ranked = np.lexsort((np.arange(len(values)), np.where(featured > 0, -values, values), values == 0, featured))
    order = np.empty(len(values), dtype=np.int64)
    order[ranked] = np.arange(len(values))
    return order


def _fewest_by_lines(lines: list[Line], values: np.ndarray, featured: np.ndarray, primary: np.ndarray,
                     max_small: int) -> np.ndarray:
    """The fewest suppressed cells of the highest priority in `featured`, then of the next, ..., then
    the fewest cells, then the smallest counts, that contain `primary` and keep the line rule.

    Binary s_i per cell. For each line and each member i: the other members' s sum to at least
    s_i (no member hidden alone). For each child i of a line with total t:
    sum(v_j s_j over children) + K s_t >= K s_i with K = max_small + 1 (hidden children with a
    shown total add up to more than the small range). Falls back to the greedy line rule.
    """
    suppressed = primary.copy()
    if not primary.any():
        return suppressed
    rows, columns, coefficients, row = [], [], [], 0
    limit = max_small + 1
    for total, children in lines:
        members = (total, *children)
        for member in members:
            rows += [row] * len(members)
            columns += list(members)
            coefficients += [-1.0 if m == member else 1.0 for m in members]
            row += 1
        for child in children:
            terms = {c: float(values[c]) for c in children}
            terms[child] = terms[child] - limit
            terms[total] = float(limit)
            rows += [row] * len(terms)
            columns += list(terms)
            coefficients += list(terms.values())
            row += 1
    matrix = scipy.sparse.coo_array((coefficients, (rows, columns)), shape=(row, len(values))).tocsr()
    # A cell costs 1 plus less than 1/n by its count (fewest cells, then smallest: the least of the
    # table's total hidden). A featured cell costs more than all cells of lower priority together
    # (n times the dearest of them, plus 2), so no number of them outweighs one, and among cells of
    # one priority the largest count is the cheapest: a hidden count stays bounded by its lines to a
    # few units, which tells the least about a large count (for a rate, about a large group) and the
    # most about a small one. The gap is 0: the default relative gap (1e-4) would stop at a solution
    # that hides a dearer cell than needed once the weights span several priorities.
    weights = 1.0 + values / (len(values) * (float(values.max()) + 1.0))
    step = 0.0
    for priority in range(1, int(featured.max(initial=0)) + 1):
        step = len(values) * (step + 2.0) + 2.0
        weights = np.where(featured == priority, step + 1.0 / (values + 1.0), weights)
    result = scipy.optimize.milp(weights, integrality=np.ones(len(values)), bounds=scipy.optimize.Bounds(primary.astype(float), 1.0),
                  constraints=scipy.optimize.LinearConstraint(matrix, lb=0.0),
                  options={"time_limit": _SOLVER_SECONDS, "mip_rel_gap": 0.0})
    if result.x is None:
        _suppress_by_lines(lines, values, _suppression_order(values, featured), suppressed, max_small)
        return suppressed
    return result.x > 0.5


def _suppress_by_lines(lines: list[Line], values: np.ndarray, order: np.ndarray, suppressed: np.ndarray,
                       max_small: int) -> None:
    """Apply the line rule to every line until no line changes."""
    changed = True
    while changed:
        changed = False
        for total, children in lines:
            while (cell := _complement_needed(total, children, values, order, suppressed, max_small)) is not None:
                suppressed[cell] = changed = True


def _complement_needed(total: int, children: tuple[int, ...], values: np.ndarray, order: np.ndarray,
                       suppressed: np.ndarray, max_small: int) -> int | None:
    """The cell to suppress next in this line, or None when the line protects its suppressed cells."""
    hidden = [c for c in children if suppressed[c]]
    if not hidden and not suppressed[total]:
        return None
    candidates = [c for c in children if not suppressed[c]]
    if suppressed[total]:
        return None if hidden else _cheapest(candidates, order)
    hidden_sum = int(values[hidden].sum())
    if len(hidden) >= 2 and hidden_sum > max_small:
        return None
    if not candidates:  # every child hidden but the total shown gives their sum away
        return total
    enough = [c for c in candidates if hidden_sum + values[c] > max_small]
    return _cheapest(enough, order) if enough else max(candidates, key=lambda c: (values[c], -c))


def _cheapest(cells: list[int], order: np.ndarray) -> int:
    """The complement that loses least (`_suppression_order`)."""
    return min(cells, key=lambda c: order[c])


def _release_redundant(space: CellSpace, values: np.ndarray, featured: np.ndarray, order: np.ndarray,
                       primary: np.ndarray, suppressed: np.ndarray, policy: DisclosurePolicy) -> None:
    """Show again every complementary cell that protection does not need (step 4): the highest
    priority first, the smallest of them first, then the unranked cells, the largest first (the
    reverse of the order in which they are cheapest to hide)."""
    lines_of = space.lines_of_each_cell()
    groups = _measure_groups(space)
    complementary = [int(c) for c in np.flatnonzero(suppressed & ~primary)]
    for cell in sorted(complementary, key=lambda c: (-featured[c], values[c] if featured[c] else -values[c], c)):
        suppressed[cell] = False
        members, lines = groups[space.keys[cell][0]]
        keeps_line_rule = all(_complement_needed(total, children, values, order, suppressed, policy.max_small_count)
                              is None for total, children in lines_of[cell])
        if not keeps_line_rule or disclosed_cells(np.where(suppressed[members], np.nan, values[members].astype(float)),
                                                  lines, (), policy).disclosed:
            suppressed[cell] = True


def _measure_groups(space: CellSpace) -> dict[str, tuple[np.ndarray, list[Line]]]:
    """Per measure, its variables and its lines renumbered to them: lines never join two measures,
    so each measure can be audited on its own."""
    members: dict[str, list[int]] = {}
    for variable, (measure, _) in enumerate(space.keys):
        members.setdefault(measure, []).append(variable)
    local = {v: i for variables in members.values() for i, v in enumerate(variables)}
    lines: dict[str, list[Line]] = {measure: [] for measure in members}
    for total, children in sorted(space.lines):
        lines[space.keys[total][0]].append((local[total], tuple(local[c] for c in children)))
    return {measure: (np.array(variables), lines[measure]) for measure, variables in members.items()}


def _suppress_nearest(cell: int, lines_of: list[list[Line]], order: np.ndarray, suppressed: np.ndarray) -> None:
    """Suppress the cheapest shown cell in the lines around `cell`, searching outwards
    through suppressed cells until some line still has a shown member."""
    seen, frontier = {cell}, deque([cell])
    while frontier:
        ring = [frontier.popleft() for _ in range(len(frontier))]
        members = {m for c in ring for total, children in lines_of[c] for m in (total, *children)}
        shown = [m for m in members if not suppressed[m]]
        if shown:
            suppressed[_cheapest(shown, order)] = True
            return
        frontier.extend(sorted(members - seen))
        seen |= members
    raise RuntimeError(f"cell {cell} is exposed although every cell linked to it is suppressed")
