"""Disclosure avoidance for every published number (NCES SLDS Technical Brief 3).

`protect` suppresses count tables published together (primary, then complementary across
rows, columns and linked tables, checked by linear programming); `publish_rates` adds
percentages only where numerator and denominator are both shown; `audit` re-checks what is
about to be published and `require_publishable` refuses when it finds anything.
"""

from p20_platform.disclosure.audit import DisclosureViolation, audit, require_publishable
from p20_platform.disclosure.policy import (
    CMS,
    CT_EDUCATION,
    DEFAULT_SOURCE_RULES,
    MINIMUM_TEN,
    PLATFORM_BASELINE,
    DisclosurePolicy,
    SuppressionRule,
)
from p20_platform.disclosure.rates import PublishedRates, display_rates, publish_rates
from p20_platform.disclosure.suppression import protect
from p20_platform.disclosure.tables import (
    TOTAL,
    CountTable,
    PublishedTable,
    display_counts,
    from_crosstab,
    suppression_footnote,
    to_crosstab,
)

__all__ = [
    "CMS", "CT_EDUCATION", "DEFAULT_SOURCE_RULES", "MINIMUM_TEN", "PLATFORM_BASELINE", "TOTAL",
    "CountTable", "DisclosurePolicy", "DisclosureViolation", "PublishedRates", "PublishedTable",
    "SuppressionRule", "audit", "display_counts", "display_rates", "from_crosstab", "protect",
    "publish_rates", "require_publishable", "suppression_footnote", "to_crosstab",
]
