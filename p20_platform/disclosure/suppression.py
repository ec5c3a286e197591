"""Primary and complementary cell suppression for tables published together.

1. Primary: every count the policy forbids (1..max_small_count; zero too if the policy
   says so), in the cells and in every margin.
2. Complementary, by lines, to a fixed point across rows, columns and linked tables: in a
   line whose total is shown, the suppressed cells must be at least two and must add up to
   more than max_small_count (otherwise the total minus the shown cells gives them away, or
   shows them to be small); in a line whose total is suppressed, at least two members are
   suppressed. Each time the smallest cell that does the job is added.
3. Audit by linear programming (see `intervals`): a cell still pinned to one value or shown
   to be small gets its smallest unsuppressed neighbour suppressed, then back to step 2.
   Every round suppresses more, and a fully suppressed structure discloses nothing, so this
   ends; the result passes `audit` by construction.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import pandas as pd

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

    primary = np.array([policy.is_sensitive(int(v)) for v in values], dtype=bool)
    suppressed = primary.copy()
    lines_of = space.lines_of_each_cell()
    while True:
        _suppress_by_lines(sorted(space.lines), values, suppressed, policy.max_small_count)
        exposed = disclosed_cells(np.where(suppressed, np.nan, values.astype(float)), space.lines, (), policy)
        if not exposed.disclosed:
            break
        for cell in exposed.disclosed:
            _suppress_nearest(cell, lines_of, values, suppressed)

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


def _suppress_by_lines(lines: list[Line], values: np.ndarray, suppressed: np.ndarray, max_small: int) -> None:
    """Apply the line rule to every line until no line changes."""
    changed = True
    while changed:
        changed = False
        for total, children in lines:
            while (cell := _complement_needed(total, children, values, suppressed, max_small)) is not None:
                suppressed[cell] = changed = True


def _complement_needed(total: int, children: tuple[int, ...], values: np.ndarray, suppressed: np.ndarray,
                       max_small: int) -> int | None:
    """The cell to suppress next in this line, or None when the line protects its suppressed cells."""
    hidden = [c for c in children if suppressed[c]]
    if not hidden and not suppressed[total]:
        return None
    candidates = [c for c in children if not suppressed[c]]
    if suppressed[total]:
        return None if hidden else _smallest(candidates, values)
    hidden_sum = int(values[hidden].sum())
    if len(hidden) >= 2 and hidden_sum > max_small:
        return None
    if not candidates:  # every child hidden but the total shown gives their sum away
        return total
    enough = [c for c in candidates if hidden_sum + values[c] > max_small]
    return _smallest(enough, values) if enough else max(candidates, key=lambda c: (values[c], -c))


def _smallest(cells: list[int], values: np.ndarray) -> int:
    """The cheapest complement: the smallest positive count (a zero hides nothing), ties by id."""
    return min(cells, key=lambda c: (values[c] == 0, values[c], c))


def _suppress_nearest(cell: int, lines_of: list[list[Line]], values: np.ndarray, suppressed: np.ndarray) -> None:
    """Suppress the smallest shown cell in the lines around `cell`, searching outwards
    through suppressed cells until some line still has a shown member."""
    seen, frontier = {cell}, deque([cell])
    while frontier:
        ring = [frontier.popleft() for _ in range(len(frontier))]
        members = {m for c in ring for total, children in lines_of[c] for m in (total, *children)}
        shown = [m for m in members if not suppressed[m]]
        if shown:
            suppressed[_smallest(shown, values)] = True
            return
        frontier.extend(sorted(members - seen))
        seen |= members
    raise RuntimeError(f"cell {cell} is exposed although every cell linked to it is suppressed")
