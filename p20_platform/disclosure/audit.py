"""Re-check a set of tables about to be published, using only what readers will see.

The audit never looks at suppressed values: it rebuilds what an intruder knows (shown
counts, shown rates, the lines linking cells within and across tables) and reports
- a shown count the policy forbids (1..max_small_count, or zero when zeros are hidden),
- a rate shown over a suppressed count or a denominator under the policy's minimum,
- a cell suppressed in one table but shown in another, or linked tables disagreeing,
- published numbers that contradict each other,
- a suppressed cell recoverable exactly, or shown to be a small count, from everything
  published together (ranges by linear programming, see `intervals` for the guarantee).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from p20_platform.disclosure.intervals import Inequality, disclosed_cells
from p20_platform.disclosure.policy import DisclosurePolicy
from p20_platform.disclosure.rates import PublishedRates
from p20_platform.disclosure.tables import SHOWN, CellSpace, PublishedTable, describe

VIOLATION_COLUMNS = ["table", "cell", "check", "detail"]


class DisclosureViolation(Exception):
    """Raised instead of publishing; `violations` holds the audit's findings."""

    def __init__(self, violations: pd.DataFrame) -> None:
        self.violations = violations
        listing = "\n".join(f"- {r.table} / {r.cell}: {r.check} ({r.detail})" for r in violations.itertuples())
        super().__init__(f"{len(violations)} disclosure problem(s); not publishing:\n{listing}")


def require_publishable(tables: Sequence[PublishedTable | PublishedRates],
                        policy: DisclosurePolicy | None = None) -> None:
    """Raise DisclosureViolation unless `audit` finds nothing."""
    violations = audit(tables, policy)
    if not violations.empty:
        raise DisclosureViolation(violations)


def audit(tables: Sequence[PublishedTable | PublishedRates], policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Violations (DataFrame[table, cell, check, detail]) in tables published together; empty = publishable."""
    if not tables:
        raise ValueError("nothing to audit: no tables given")
    policies = [t.policy for t in tables] + ([policy] if policy is not None else [])
    policy = policies[0].combine(*policies[1:])
    space, violations = CellSpace(), []
    known: dict[int, int] = {}
    holders: dict[int, list[str]] = {}
    for table in (t for t in tables if isinstance(t, PublishedTable)):
        ids = space.add_table(table.name, table.measure, table.dimensions, table.cells)
        for variable, count in zip(ids.tolist(), table.cells["count"].tolist()):
            holders.setdefault(variable, []).append(table.name)
            cell = describe(space.keys[variable])
            if pd.isna(count):
                continue
            if count < 0 or count != int(count):
                raise ValueError(f"table {table.name!r}: {cell} shows {count}, not a count")
            if policy.is_sensitive(int(count)):
                violations.append((table.name, cell, "small count shown",
                                   f"{int(count)} is in the suppressed range {policy.sensitive_range}"))
            if known.get(variable, count) != count:
                violations.append((table.name, cell, "linked tables disagree", f"{count} vs {known[variable]}"))
            known[variable] = int(count)
    values = np.full(len(space.keys), np.nan)
    values[list(known)] = list(known.values())
    violations += _shown_elsewhere(tables, space, values)

    inequalities = []
    for rates in (t for t in tables if isinstance(t, PublishedRates)):
        found, constraints = _rate_constraints(rates, space, values, policy)
        violations += found
        inequalities += constraints

    findings = disclosed_cells(values, space.lines, inequalities, policy)
    for variable in findings.contradictions:
        violations.append((", ".join(holders[variable]), describe(space.keys[variable]),
                           "published numbers contradict each other", "no set of counts fits all shown numbers"))
    for variable, reason in findings.disclosed.items():
        violations.append((", ".join(holders[variable]), describe(space.keys[variable]),
                           "suppressed cell disclosed", reason))
    return pd.DataFrame(violations, columns=VIOLATION_COLUMNS)


def _shown_elsewhere(tables: Sequence[PublishedTable | PublishedRates], space: CellSpace,
                     values: np.ndarray) -> list[tuple[str, str, str, str]]:
    """A cell suppressed in one table but shown in a table published with it is not suppressed."""
    found = []
    for table in (t for t in tables if isinstance(t, PublishedTable)):
        hidden = table.cells[table.cells["count"].isna()]
        for row in hidden[list(table.dimensions)].itertuples(index=False):
            variable = space.index[space.key(table.measure, table.dimensions, row)]
            if not np.isnan(values[variable]):
                found.append((table.name, describe(space.keys[variable]), "suppressed cell disclosed",
                              f"shown as {int(values[variable])} in a table published with it"))
    return found


def _rate_constraints(rates: PublishedRates, space: CellSpace, values: np.ndarray,
                      policy: DisclosurePolicy) -> tuple[list[tuple[str, str, str, str]], list[Inequality]]:
    """Violations of the rate rules, and the bounds each shown rate puts on its two counts."""
    found, constraints = [], []
    half_step = 0.5 * 10.0 ** -policy.rate_decimals
    shown = rates.cells[rates.cells["status"] == SHOWN]
    for row, percent in zip(shown[list(rates.dimensions)].itertuples(index=False), shown["percent"]):
        pair = []
        for measure in (rates.numerator, rates.denominator):
            key = space.key(measure, rates.dimensions, row)
            if key not in space.index:
                raise ValueError(f"rates {rates.name!r} need the table of {measure!r} in the audited set")
            pair.append(space.index[key])
        numerator, denominator = pair
        cell = describe(space.keys[numerator])
        if np.isnan(values[numerator]) or np.isnan(values[denominator]):
            found.append((rates.name, cell, "rate shown over a suppressed count",
                          f"{percent}% with its numerator or denominator suppressed"))
        elif values[denominator] < policy.min_denominator:
            found.append((rates.name, cell, "rate on a small denominator",
                          f"denominator {int(values[denominator])} < {policy.min_denominator}"))
        upper, lower = (percent + half_step) / 100, (percent - half_step) / 100
        constraints.append(Inequality((numerator, denominator), (1.0, -upper), 0.0))
        constraints.append(Inequality((numerator, denominator), (-1.0, lower), 0.0))
    return found, constraints
