"""Suppression policies: per-source rules and the strictest-rule-wins combination."""

from __future__ import annotations

import pytest

from p20_platform.disclosure import CMS, CT_EDUCATION, MINIMUM_TEN, DisclosurePolicy, SuppressionRule


def test_a_table_from_child_welfare_and_education_takes_the_strictest_of_both():
    policy = DisclosurePolicy.for_sources(["DCF", "SDE"])
    assert policy.max_small_count == 10  # the baseline's 1-10 beats education's "under 6"
    assert policy.min_denominator == 20  # education's denominator rule survives the combination
    assert policy.show_zero
    assert any("CT education" in rule for rule in policy.rules)


def test_without_the_baseline_education_alone_suppresses_only_under_six():
    policy = DisclosurePolicy.for_sources(["SDE"], baseline=MINIMUM_TEN, source_rules={"SDE": CT_EDUCATION})
    assert (policy.max_small_count, policy.min_denominator) == (9, 20)
    alone = DisclosurePolicy.strictest([CT_EDUCATION])
    assert [alone.is_sensitive(n) for n in (0, 5, 6)] == [False, True, False]


def test_one_source_hiding_zeros_hides_them_for_the_whole_table():
    no_zeros = SuppressionRule("no zeros", max_small_count=4, show_zero=False, rate_decimals=0)
    policy = DisclosurePolicy.strictest([CMS, no_zeros])
    assert policy.is_sensitive(0) and policy.is_sensitive(10) and not policy.is_sensitive(11)
    assert policy.rate_decimals == 0 and policy.sensitive_range == "0-10"
    assert policy.combine(DisclosurePolicy.strictest([CT_EDUCATION])).min_denominator == 20


def test_unknown_sources_and_negative_thresholds_are_refused():
    with pytest.raises(ValueError, match="unknown data sources"):
        DisclosurePolicy.for_sources(["DCF", "NOPE"])
    with pytest.raises(ValueError, match="must not be negative"):
        SuppressionRule("bad", max_small_count=-1)
