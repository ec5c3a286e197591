"""Suppression policies: what each data source forbids us to publish, and how rules combine.

A published table may only show what every agency whose data it uses would allow, so the
policy of a table is the strictest of the platform baseline and the rules of its sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from p20_platform.registry import AGENCY_CODES


@dataclass(frozen=True)
class SuppressionRule:
    """One source's rule.

    `max_small_count`: counts 1..max_small_count are never shown (CMS: 10; "minimum of 10": 9;
    CT education "numerators under 6": 5). `show_zero`: whether a true zero may be shown.
    `min_denominator`: a rate or percentage needs a denominator of at least this many
    (CT education: 20). `rate_decimals`: decimals kept in a published percentage.
    """

    name: str
    max_small_count: int = 10
    show_zero: bool = True
    min_denominator: int = 0
    rate_decimals: int = 1

    def __post_init__(self) -> None:
        if self.max_small_count < 0 or self.min_denominator < 0 or self.rate_decimals < 0:
            raise ValueError(f"rule {self.name!r}: thresholds and decimals must not be negative")


CMS = SuppressionRule("CMS cell size (1-10 suppressed)", max_small_count=10)
MINIMUM_TEN = SuppressionRule("minimum reporting size 10", max_small_count=9)
CT_EDUCATION = SuppressionRule("CT education open data (numerators <6, denominators <20)",
                               max_small_count=5, min_denominator=20)
PLATFORM_BASELINE = SuppressionRule("P20 WIN baseline (1-10 suppressed, zero shown)", max_small_count=10)

# Rules beyond the baseline that each source's agreements carry. FERPA agencies follow CT
# education open data practice; DSS (Medicaid) follows the CMS cell-size policy.
_EDUCATION = ("SDE", "CTECS", "OEC", "OHE", "CSCU", "CCIC", "UConn")
DEFAULT_SOURCE_RULES: Mapping[str, SuppressionRule] = {
    **{code: CT_EDUCATION for code in _EDUCATION},
    "DSS": CMS,
}


@dataclass(frozen=True)
class DisclosurePolicy:
    """The rule actually applied to a set of tables: the strictest of every contributing rule."""

    max_small_count: int
    show_zero: bool
    min_denominator: int
    rate_decimals: int
    rules: tuple[str, ...] = field(default=())  # names of the rules combined, for the footnote

    @classmethod
    def strictest(cls, rules: Iterable[SuppressionRule]) -> DisclosurePolicy:
        rules = tuple(rules)
        return _strictest(rules, [r.name for r in rules])

    @classmethod
    def for_sources(cls, sources: Iterable[str], *, baseline: SuppressionRule = PLATFORM_BASELINE,
                    source_rules: Mapping[str, SuppressionRule] = DEFAULT_SOURCE_RULES) -> DisclosurePolicy:
        """The policy for a table built from `sources` (agency codes): baseline plus each source's rule."""
        sources = tuple(sources)
        unknown = sorted(set(sources) - set(AGENCY_CODES) - set(source_rules))
        if unknown:
            raise ValueError(f"unknown data sources {unknown}; known agencies: {', '.join(AGENCY_CODES)}")
        return cls.strictest([baseline, *(source_rules[s] for s in sources if s in source_rules)])

    def combine(self, *others: DisclosurePolicy) -> DisclosurePolicy:
        """The strictest of this policy and `others` (tables published together share one policy)."""
        policies = (self, *others)
        return _strictest(policies, [name for p in policies for name in p.rules])

    def is_sensitive(self, count: int) -> bool:
        """True when `count` may not be shown under this policy (primary suppression)."""
        return 1 <= count <= self.max_small_count or (count == 0 and not self.show_zero)

    @property
    def sensitive_range(self) -> str:
        low = 1 if self.show_zero else 0
        return f"{low}-{self.max_small_count}"


def _strictest(items: tuple[SuppressionRule, ...] | tuple[DisclosurePolicy, ...],
               names: list[str]) -> DisclosurePolicy:
    """Highest thresholds, fewest decimals, zero shown only if every item allows it."""
    if not items:
        raise ValueError("a disclosure policy needs at least one rule")
    return DisclosurePolicy(
        max_small_count=max(i.max_small_count for i in items),
        show_zero=all(i.show_zero for i in items),
        min_denominator=max(i.min_denominator for i in items),
        rate_decimals=min(i.rate_decimals for i in items),
        rules=tuple(dict.fromkeys(names)),
    )
