"""Percentages published beside counts, only where both of their counts are shown.

A rate over a suppressed numerator gives the numerator back (rate x denominator), and one
over a suppressed denominator gives the denominator back (numerator / rate), so both must
be shown; the policy may also ask for a minimum denominator (CT education: 20).
Rounding: 100 * numerator / denominator, rounded half up to `rate_decimals` decimals
(the strictest policy keeps the fewest). `audit` treats a shown percentage as the
interval it rounds from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from p20_platform.disclosure.policy import DisclosurePolicy
from p20_platform.disclosure.tables import SHOWN, SUPPRESSED_SYMBOL, PublishedTable

NOT_APPLICABLE = "not applicable: denominator 0"
NOT_APPLICABLE_SYMBOL = "-"


@dataclass(frozen=True)
class PublishedRates:
    """Percentages of `numerator` among `denominator` (two measures) over the same cells:
    `cells` holds the dimensions, `percent` (Float64, missing when not shown) and `status`."""

    name: str
    numerator: str
    denominator: str
    dimensions: tuple[str, ...]
    cells: pd.DataFrame
    policy: DisclosurePolicy


def publish_rates(numerator: PublishedTable, denominator: PublishedTable, *, name: str) -> PublishedRates:
    """Percent of `numerator` in `denominator`, cell by cell, where both counts are publishable."""
    if set(numerator.dimensions) != set(denominator.dimensions):
        raise ValueError(f"rates {name!r}: {numerator.name!r} and {denominator.name!r} have different dimensions")
    dims = list(numerator.dimensions)
    policy = numerator.policy.combine(denominator.policy)
    pairs = numerator.cells[[*dims, "count"]].merge(denominator.cells[[*dims, "count"]], on=dims, how="left",
                                                    suffixes=("_num", "_den"), indicator=True)
    if (pairs["_merge"] != "both").any() or len(denominator.cells) != len(pairs):
        raise ValueError(f"rates {name!r}: {numerator.name!r} and {denominator.name!r} do not cover the same cells")
    over = (pairs["count_num"] > pairs["count_den"]).fillna(False)
    if over.any():
        raise ValueError(f"rates {name!r}: numerator exceeds denominator in {pairs.loc[over, dims].head(3).to_dict('records')}")
    rates = [rate(count, total, policy) for count, total in zip(pairs["count_num"], pairs["count_den"])]
    cells = pairs[dims].assign(percent=pd.array([pd.NA if p is None else p for _, p in rates], dtype="Float64"),
                               status=[status for status, _ in rates])
    return PublishedRates(name=name, numerator=numerator.measure, denominator=denominator.measure,
                          dimensions=tuple(dims), cells=cells, policy=policy)


def display_rates(rates: PublishedRates) -> pd.Series:
    """The public text of each rate: '12.3%', the suppression symbol, or '-' when undefined."""
    texts = [rate_text(status, None if pd.isna(percent) else float(percent), rates.policy.rate_decimals)
             for status, percent in zip(rates.cells["status"], rates.cells["percent"])]
    return pd.Series(texts, index=rates.cells.index, dtype="string", name="display")


def rate(count: object, total: object, policy: DisclosurePolicy) -> tuple[str, float | None]:
    """One cell's rate: its status and, when SHOWN, the percentage (None otherwise). A count is
    missing (None or NA) where it is suppressed. `publish_rates` applies it to every cell; a
    report that needs a few cells of a large table calls it directly."""
    status = _rate_status(count, total, policy)
    return status, _percent(int(count), int(total), policy.rate_decimals) if status == SHOWN else None


def rate_text(status: str, percent: float | None, decimals: int) -> str:
    """A rate's public text: '12.3%', the suppression symbol, or '-' when undefined."""
    if status == NOT_APPLICABLE:
        return NOT_APPLICABLE_SYMBOL
    return SUPPRESSED_SYMBOL if percent is None else f"{percent:.{decimals}f}%"


def _rate_status(count: object, total: object, policy: DisclosurePolicy) -> str:
    if pd.isna(count):
        return "suppressed: numerator suppressed"
    if pd.isna(total):
        return "suppressed: denominator suppressed"
    if total == 0:
        return NOT_APPLICABLE
    if total < policy.min_denominator:
        return f"suppressed: denominator under {policy.min_denominator}"
    return SHOWN


def _percent(count: int, total: int, decimals: int) -> float:
    exact = Decimal(count) * 100 / Decimal(total)
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
