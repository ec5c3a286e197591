"""Numbers as the reports show them: protected text plus a trace to the mart value behind it.

Every number rendered in a report is a `Figure`: its public text (a count, `*` when
suppressed, a percentage or a statistic) and a `Trace` naming the mart, the row key and the
column it comes from, so a reader (or a test) can check each number against the marts.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from p20_platform.disclosure import TOTAL, PublishedTable
from p20_platform.disclosure.rates import NOT_APPLICABLE_SYMBOL, rate, rate_text
from p20_platform.disclosure.tables import SUPPRESSED_SYMBOL, count_text

COUNT, PERCENT, STATISTIC = "count", "percent", "statistic"


@dataclass(frozen=True)
class Trace:
    """Where a number comes from: `mart` row `key`, `column` (columns of that row added with '+'
    or subtracted with '-'; for a percentage the numerator, over the `denominator` column).
    A key value may be a list: the number is then the sum over the rows with any of those values
    (a published row grouping several mart rows, e.g. small towns)."""

    mart: str
    key: Mapping[str, Hashable | list[str]]
    column: str
    denominator: str | None = None

    def attributes(self) -> dict[str, str]:
        """HTML data-* attributes carrying the trace."""
        attributes = {"data-mart": self.mart, "data-key": json.dumps(dict(self.key), default=str, sort_keys=True),
                      "data-column": self.column}
        if self.denominator is not None:
            attributes["data-denominator"] = self.denominator
        return attributes


@dataclass(frozen=True)
class Figure:
    """One shown number: `text` as published, `value` (None when suppressed) for charts."""

    text: str
    kind: str
    value: float | None
    trace: Trace | None = None
    source: Mapping[str, str] = field(default_factory=dict)  # non-mart origin, e.g. the linkage evaluation

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def attributes(self) -> dict[str, str]:
        base = self.trace.attributes() if self.trace is not None else dict(self.source)
        return {**base, "data-kind": self.kind}


class PublishedCells:
    """A protected table's public text and value, looked up by coordinates (omitted = Total)."""

    def __init__(self, table: PublishedTable) -> None:
        self.table = table
        coordinates = zip(*(table.cells[d].tolist() for d in table.dimensions))
        self._cells = {row: (count_text(count), None if pd.isna(count) else int(count))
                       for row, count in zip(coordinates, table.cells["count"].tolist())}

    def _coordinates(self, where: Mapping[str, Hashable]) -> tuple[Hashable, ...]:
        unknown = set(where) - set(self.table.dimensions)
        if unknown:
            raise KeyError(f"table {self.table.name!r} has no dimension(s) {sorted(unknown)}")
        return tuple(where.get(d, TOTAL) for d in self.table.dimensions)

    def count(self, trace: Trace, **where: Hashable) -> Figure:
        """The published count at `where`, traced to its mart value."""
        text, value = self._cells[self._coordinates(where)]
        return Figure(text=text, kind=COUNT, value=value, trace=trace)

    def percent(self, trace: Trace, over: str, numerator: Hashable, denominator: Hashable = TOTAL,
                **where: Hashable) -> Figure:
        """Percent of category `numerator` of dimension `over` among `denominator`, at `where`.

        By the rule `publish_rates` applies to whole tables (`rate`): shown only where both counts
        are shown and the denominator meets the policy's minimum, so a percentage never reveals a
        suppressed count. One cell at a time: a report shows a few of a large table's rates.
        """
        [count, total] = [self._cells[self._coordinates({**where, over: value})][1] for value in (numerator, denominator)]
        if count is not None and total is not None and count > total:
            raise ValueError(f"table {self.table.name!r}: {over}={numerator!r} ({count}) exceeds {over}={denominator!r} "
                             f"({total}) at {where}")
        status, percent = rate(count, total, self.table.policy)
        return Figure(text=rate_text(status, percent, self.table.policy.rate_decimals), kind=PERCENT, value=percent,
                      trace=trace)


def statistic(value: Any, decimals: int, trace: Trace, shown: bool) -> Figure:
    """A mean, median or ratio from a mart, shown only when the group it describes is shown."""
    if not shown:
        return Figure(text=SUPPRESSED_SYMBOL, kind=STATISTIC, value=None, trace=trace)
    if value is None or pd.isna(value):
        return Figure(text=NOT_APPLICABLE_SYMBOL, kind=STATISTIC, value=None, trace=trace)
    return Figure(text=f"{float(value):.{decimals}f}", kind=STATISTIC, value=float(value), trace=trace)
