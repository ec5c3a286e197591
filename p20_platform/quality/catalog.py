"""Which suites run on which mart, and what each column of a mart may hold.

Kept apart from the suites so Dagster can declare the asset checks without importing Great
Expectations (about 4 s) every time it loads the code location.
"""

PERSON_YEAR = "disconnected_youth_person_year"
COUNTS = "disconnected_youth_counts"
FACTORS = "disconnected_youth_factors"
COHORT = "crossover_youth_cohort"
SUMMARY = "crossover_youth_summary"

STATUSES = ("at_risk_off_track", "at_risk_other", "at_risk_severe", "disconnected_moderate", "disconnected_severe",
            "connected")
AT_RISK = STATUSES[:3]
DISCONNECTED = STATUSES[3:5]

# Columns per mart that hold counts (never negative) and shares (within [0, 1]).
COUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    PERSON_YEAR: (),
    COUNTS: ("youth", *STATUSES, "at_risk", "disconnected", "disconnected_unlinkable_wages"),
    FACTORS: ("youth_with_factor", "disconnected_with_factor", "youth_without_factor", "disconnected_without_factor"),
    COHORT: ("years_to_crossover", "substantiated_allegations", "placements", "congregate_care_placements",
             "juvenile_cases", "delinquency_cases", "detained_cases"),
    SUMMARY: ("child_welfare_youth", "crossover_youth", "pathway_youth", "mean_years_to_crossover",
              "median_years_to_crossover"),
}
SHARE_COLUMNS: dict[str, tuple[str, ...]] = {
    PERSON_YEAR: (),
    COUNTS: ("at_risk_or_disconnected_share",),
    FACTORS: ("disconnection_rate_with_factor", "disconnection_rate_without_factor",
              "share_of_disconnected_with_factor"),
    COHORT: (),
    SUMMARY: ("crossover_rate", "pathway_share"),
}
YEARLY_MARTS = (PERSON_YEAR, COUNTS)

# Which suites run on which mart; the asset checks are declared from this table.
SUITES_BY_MART: dict[str, tuple[str, ...]] = {
    PERSON_YEAR: ("ranges", "year_coverage", "no_identifiers"),
    COUNTS: ("ranges", "totals", "year_coverage", "no_identifiers"),
    FACTORS: ("ranges", "no_identifiers"),
    COHORT: ("ranges", "no_identifiers"),
    SUMMARY: ("ranges", "no_identifiers"),
}
SUITE_DESCRIPTIONS = {
    "ranges": "Counts are not negative, shares lie in [0, 1], ages and report years stay in the statutory window.",
    "totals": "Statuses sum to youth, at-risk and disconnected to their parts, breakdowns to the overall count, "
              "and the overall count to the person-year mart, for every report year.",
    "year_coverage": "Every report year of the statutory window is present.",
    "no_identifiers": "No column named like a name, DOB, SSN or SASID; no text value shaped like an SSN or a date.",
}
