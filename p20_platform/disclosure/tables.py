"""Tables to publish, their margins, and the cell space that links tables published together.

A table is given at its finest level (long format: dimension columns + one count column).
Publishing it means publishing every margin too: each dimension gets an extra category
`TOTAL`, and every "line" (the cells that differ only in one dimension) sums to the cell
where that dimension is `TOTAL`. Two tables that count the same `measure` and agree on the
dimensions they share publish the same number for the same coordinates (e.g. the count for
year 2020 in a year x race table and in a year x sex table): such cells are one variable
of the cell space, which is how related tables constrain each other.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from p20_platform.disclosure.policy import DisclosurePolicy

TOTAL = "Total"
SHOWN = "shown"
COMPLEMENTARY = "suppressed: complementary"
SUPPRESSED_SYMBOL = "*"

CellKey = tuple[str, tuple[tuple[str, Hashable], ...]]  # (measure, ((dimension, value), ...) without totals)


def primary_status(policy: DisclosurePolicy) -> str:
    return f"suppressed: primary ({policy.sensitive_range})"


@dataclass(frozen=True)
class CountTable:
    """Counts to publish: `cells` holds one row per combination of `dimensions` with its `count`.

    `measure` names what is counted (default: the count column); `sources` are the agency
    codes whose data the counts use, which decide the suppression policy. `featured`, given the
    cells with their margins (`with_margins()`), ranks the ones readers are shown and compare
    (True or 1; 2 for the comparisons the document is about; 0 or False for the rest):
    complements avoid them wherever the disclosure rules leave a choice, the higher ranks first.
    """

    name: str
    cells: pd.DataFrame
    dimensions: tuple[str, ...]
    count: str = "count"
    measure: str | None = None
    sources: tuple[str, ...] = ()
    featured: Callable[[pd.DataFrame], pd.Series] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", tuple(self.dimensions))
        object.__setattr__(self, "sources", tuple(self.sources))
        if self.measure is None:
            object.__setattr__(self, "measure", self.count)
        where = f"table {self.name!r}"
        missing = [c for c in (*self.dimensions, self.count) if c not in self.cells.columns]
        if not self.dimensions or missing:
            raise ValueError(f"{where}: needs at least one dimension; missing columns {missing}")
        if self.cells.empty:
            raise ValueError(f"{where}: has no cells")
        dims = self.cells[list(self.dimensions)]
        if dims.isna().any(axis=None):
            raise ValueError(f"{where}: dimension values must not be missing")
        if (dims.astype(str) == TOTAL).any(axis=None):
            raise ValueError(f"{where}: {TOTAL!r} is reserved for margins; totals are computed here")
        duplicated = dims.duplicated()
        if duplicated.any():
            raise ValueError(f"{where}: repeated cells {dims[duplicated].head(3).to_dict('records')}")
        counts = self.cells[self.count]
        numeric = pd.to_numeric(counts, errors="coerce")
        bad = numeric.isna() | (numeric < 0) | (numeric != numeric.round())
        if bad.any():
            raise ValueError(f"{where}: counts must be whole numbers >= 0; bad values {counts[bad].head(3).tolist()}")

    def with_margins(self) -> pd.DataFrame:
        """Every cell of the published table: dimensions (with TOTAL margins) and the count."""
        dims = list(self.dimensions)
        cells = self.cells[dims].astype(object).assign(count=self.cells[self.count].astype("int64"))
        frames = []
        for kept in itertools.product((True, False), repeat=len(dims)):
            by = [d for d, keep in zip(dims, kept) if keep]
            if len(by) == len(dims):
                frame = cells
            elif by:
                frame = cells.groupby(by, sort=True, observed=True)["count"].sum().reset_index()
            else:
                frame = pd.DataFrame({"count": [cells["count"].sum()]})
            frames.append(frame.assign(**{d: TOTAL for d in dims if d not in by})[[*dims, "count"]])
        return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class PublishedTable:
    """A table as it may be published: `cells` has the dimensions (TOTAL for margins), `count`
    (Int64, missing where suppressed) and `status` (SHOWN, primary or COMPLEMENTARY).

    The status keeps the reason for internal review and agency sign-off. Public renderings
    (`display_counts`, `to_crosstab`) mark every suppressed cell with the same symbol:
    telling readers which cells are primary would tell them those hold 1-10.
    """

    name: str
    measure: str
    dimensions: tuple[str, ...]
    cells: pd.DataFrame
    policy: DisclosurePolicy
    sources: tuple[str, ...] = field(default=())


@dataclass
class CellSpace:
    """The variables (distinct published numbers) of a set of tables and the lines linking them.

    A line `(total, children)` states `sum(children) == total`.
    """

    keys: list[CellKey] = field(default_factory=list)
    index: dict[CellKey, int] = field(default_factory=dict)
    lines: set[tuple[int, tuple[int, ...]]] = field(default_factory=set)

    def add_table(self, name: str, measure: str, dimensions: Sequence[str], cells: pd.DataFrame) -> np.ndarray:
        """Register a table's cells (full lattice with margins); returns the variable id of each row."""
        dims = list(dimensions)
        ids = np.array([self._variable(self.key(measure, dims, row)) for row in cells[dims].itertuples(index=False)],
                       dtype=np.int64)
        for dimension in dims:
            others = [d for d in dims if d != dimension]
            groups = (cells.groupby(others, sort=False).indices.values() if others
                      else [np.arange(len(cells))])
            is_total = (cells[dimension] == TOTAL).to_numpy()
            for rows in groups:
                totals, children = rows[is_total[rows]], rows[~is_total[rows]]
                if len(totals) != 1 or not len(children):
                    raise ValueError(f"table {name!r}: margins over {dimension!r} are incomplete; a published "
                                     "table must hold every cell and every total")
                self.lines.add((int(ids[totals[0]]), tuple(sorted(int(i) for i in ids[children]))))
        return ids

    @staticmethod
    def key(measure: str, dimensions: Sequence[str], values: Sequence[Hashable]) -> CellKey:
        coordinates = sorted((d, v) for d, v in zip(dimensions, values) if v != TOTAL)
        return measure, tuple(coordinates)

    def _variable(self, key: CellKey) -> int:
        if key not in self.index:
            self.index[key] = len(self.keys)
            self.keys.append(key)
        return self.index[key]

    def lines_of_each_cell(self) -> list[list[tuple[int, tuple[int, ...]]]]:
        incidence: list[list[tuple[int, tuple[int, ...]]]] = [[] for _ in self.keys]
        for line in sorted(self.lines):
            total, children = line
            for member in (total, *children):
                incidence[member].append(line)
        return incidence


def describe(key: CellKey) -> str:
    """Readable cell name for violation reports, e.g. 'disconnected: race=Black, year=2020'."""
    measure, coordinates = key
    where = ", ".join(f"{d}={v}" for d, v in coordinates) or "all"
    return f"{measure}: {where}"


def from_crosstab(wide: pd.DataFrame, *, name: str, rows: str, columns: str, measure: str,
                  sources: Sequence[str] = ()) -> CountTable:
    """A wide crosstab (index = row categories, columns = column categories) as a CountTable.

    A `TOTAL` row or column, if present, must equal the sums of the cells; it is dropped
    because margins are recomputed (and protected) when the table is published.
    """
    body = wide.drop(index=[TOTAL], columns=[TOTAL], errors="ignore")
    given_totals = []
    if TOTAL in wide.columns:
        given_totals.append(("row", wide.loc[body.index, TOTAL], body.sum(axis=1)))
    if TOTAL in wide.index:
        given_totals.append(("column", wide.loc[TOTAL, body.columns], body.sum(axis=0)))
    for label, given, computed in given_totals:
        if not np.array_equal(given.to_numpy(dtype="int64"), computed.to_numpy(dtype="int64")):
            raise ValueError(f"table {name!r}: the {label} totals of the crosstab do not add up")
    long = body.rename_axis(index=rows, columns=columns).stack().rename(measure).reset_index()
    return CountTable(name=name, cells=long, dimensions=(rows, columns), count=measure, sources=tuple(sources))


def display_counts(table: PublishedTable) -> pd.Series:
    """The public text of each cell: the count with thousands separators (1,457), or one
    suppression symbol for every suppressed cell."""
    return pd.Series([count_text(count) for count in table.cells["count"]], index=table.cells.index, dtype="string",
                     name="display")


def count_text(count: object) -> str:
    """One cell's public text: 1,457, or the suppression symbol where the count is missing."""
    return SUPPRESSED_SYMBOL if pd.isna(count) else f"{int(count):,}"


def to_crosstab(table: PublishedTable, *, rows: str, columns: str, display: pd.Series | None = None) -> pd.DataFrame:
    """Public wide rendering of a 2-D published table (count or rate) with its totals last."""
    if set(table.dimensions) != {rows, columns}:
        raise ValueError(f"table {table.name!r} has dimensions {table.dimensions}, not ({rows}, {columns})")
    text = display_counts(table) if display is None else display
    wide = table.cells[[rows, columns]].assign(display=text.to_numpy()).pivot(index=rows, columns=columns,
                                                                                values="display")
    return wide.loc[_totals_last(wide.index), _totals_last(wide.columns)]


def _totals_last(labels: pd.Index) -> list[Hashable]:
    return [v for v in labels if v != TOTAL] + [TOTAL]


def suppression_footnote(policy: DisclosurePolicy) -> str:
    return (f"{SUPPRESSED_SYMBOL} Suppressed to protect privacy: counts of {policy.sensitive_range} and any "
            "number from which such a count could be derived are not shown.")
