"""An intruder who sees only the published tables, written independently of the module.

It reasons the way a reader with a spreadsheet would: a line (row, column, margin, or a
total shared with a related table) with one unknown gives that unknown away; a line with a
shown total caps each unknown at what is left; a shown rate over a shown denominator leaves
only the numerators that round to it. `exact_ranges` enumerates every whole-number table
consistent with what is shown (small tables only) for the exact answer.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

TOTAL = "Total"


def _key(measure, dimensions, values):
    return measure, frozenset((d, v) for d, v in zip(dimensions, values) if v != TOTAL)


def view(tables):
    """(known values by cell, lines as (total, children), suppressed cells) from published tables."""
    known, lines, hidden = {}, [], set()
    for table in tables:
        dims = list(table.dimensions)
        frame = table.cells
        keys = [_key(table.measure, dims, row) for row in frame[dims].itertuples(index=False)]
        for key, count in zip(keys, frame["count"]):
            if pd.isna(count):
                hidden.add(key)
            else:
                known[key] = int(count)
        for dim in dims:
            for _, group in frame.groupby([d for d in dims if d != dim] or (lambda _: 0), sort=False):
                members = [_key(table.measure, dims, row) for row in group[dims].itertuples(index=False)]
                totals = [m for m, v in zip(members, group[dim]) if v == TOTAL]
                lines.append((totals[0], [m for m, v in zip(members, group[dim]) if v != TOTAL]))
    return known, lines, hidden - set(known)


def rounds_to(count, total, percent, decimals):
    exact = Decimal(count) * 100 / Decimal(total)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)) == percent


def recover(tables, rates=()):
    """Suppressed cells the intruder pins down: {cell: value}."""
    known, lines, hidden = view(tables)
    known = dict(known)
    changed = True
    while changed:
        changed = False
        for total, children in lines:
            unknown = [m for m in (total, *children) if m not in known]
            if len(unknown) == 1:
                rest = sum(known[c] for c in children if c in known)
                known[unknown[0]] = rest if unknown[0] == total else known[total] - rest
                changed = True
        for published in rates:
            dims = list(published.dimensions)
            for row, percent in zip(published.cells[dims].itertuples(index=False), published.cells["percent"]):
                numerator = _key(published.numerator, dims, row)
                denominator = _key(published.denominator, dims, row)
                if pd.isna(percent) or numerator in known or denominator not in known:
                    continue
                fits = [n for n in range(known[denominator] + 1)
                        if rounds_to(n, known[denominator], percent, published.policy.rate_decimals)]
                if len(fits) == 1:
                    known[numerator] = fits[0]
                    changed = True
    return {cell: known[cell] for cell in hidden if cell in known}


def upper_bounds(tables):
    """For each suppressed cell the intruder cannot pin down, the smallest cap any shown total puts on it."""
    recovered = recover(tables)
    known, lines, hidden = view(tables)
    known.update(recovered)
    caps = {}
    for total, children in lines:
        if total not in known:
            continue
        left = known[total] - sum(known[c] for c in children if c in known)
        for child in children:
            if child not in known:
                caps[child] = min(caps.get(child, left), left)
    return {cell: cap for cell, cap in caps.items() if cell in hidden and cell not in recovered}


def exact_ranges(tables):
    """{suppressed cell: (lowest, highest)} over every whole-number completion of the tables.

    Exhaustive search with each unknown capped by the shown totals: small tables only.
    """
    known, lines, hidden = view(tables)
    unknown = sorted(hidden, key=lambda k: (len(k[1]), sorted(map(str, k[1]))))
    caps = upper_bounds(tables)
    ranges = {cell: [None, None] for cell in unknown}

    def consistent(values):
        for total, children in lines:
            members = (total, *children)
            if all(m in values for m in members):
                if sum(values[c] for c in children) != values[total]:
                    return False
            elif total in values and sum(values[c] for c in children if c in values) > values[total]:
                return False
        return True

    def search(position, values):
        if position == len(unknown):
            for cell in unknown:
                low, high = ranges[cell]
                ranges[cell] = [values[cell] if low is None else min(low, values[cell]),
                                values[cell] if high is None else max(high, values[cell])]
            return
        cell = unknown[position]
        for value in range(caps.get(cell, max(known.values())) + 1):
            values[cell] = value
            if consistent(values):
                search(position + 1, values)
        del values[cell]

    search(0, dict(known))
    return {cell: tuple(bounds) for cell, bounds in ranges.items()}
