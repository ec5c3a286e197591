"""The probabilistic strategy (what P20 WIN's hub does today): a Fellegi-Sunter model in Splink 5.

All agencies' standardised records go into one DuckDB table and are deduplicated together, so
a person repeated inside one agency is found as well as across agencies. The model is trained
without labels (u by random sampling, except the collision rate of SSN and SASID; m by EM over
several blocking rules), saved as JSON and reused: routine rebuilds and new deliveries only
predict and cluster.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
from nicknames import NickNamer
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.splink_dataframe import SplinkDataFrame

from p20_platform.linkage import splink_model
from p20_platform.linkage.backend import model_for_dialect, splink_db_api
from p20_platform.linkage.clusters import clusters_from_pairs
from p20_platform.linkage.splink_model import SplinkStrategy
from p20_platform.linkage.surnames import SURNAME_CHANGED, join_changed_surnames

# Pairs at or above this probability are the same person (then resolved transitively). Measured
# against truth: 0.95 rather than 0.99 lifts recall on linkable pairs from 0.987 to 0.992 on the
# demo (precision 0.9998 -> 0.9992) and from 0.969 to 0.982 statewide (precision 0.9987 -> 0.9973);
# 0.9 took statewide precision to 0.9958, near the 0.995 floor.
MATCH_THRESHOLD = 0.95
# Scored pairs kept for review and incremental rebuilds: everything that is not clearly a non-match.
KEEP_PAIRS_MATCH_WEIGHT = -6.0
SCORING_COLUMNS = ("record_id", "agency", "first_name", "first_name_aliases", "first_name_alias_initials",
                   "middle_name", "last_name", "dob", "gender", "ssn", "sasid")
# The birth-date gap beyond which two records are two people (for the identifiers' collision rate).
BIRTHS_APART_YEARS = 5
# Below this many records EM has too few pairs to learn from: use the reference model.
MIN_TRAINING_RECORDS = 2_000
REFERENCE_MODEL_PATH = Path(__file__).with_name("reference_model.json")
MIN_STARTING_M = 1e-6
# Wage records carry only a first initial: pairs of different people sharing "J SMITH" would flood
# the name rule (64M pairs statewide) and teach EM that true matches often disagree on SSN.
EM_TRAINING_RULES = (block_on("ssn"), block_on("dob", "last_name"),
                     block_on("CASE WHEN length(first_name) > 1 THEN first_name END", "last_name"))


def with_name_aliases(records: pd.DataFrame) -> pd.DataFrame:
    """Add `first_name_aliases`: the name and the formal names it is a nickname of (TERRY ->
    TERENCE, TERESA, ...), from the curated `nicknames` table, so Bob and Robert can agree; and
    `first_name_alias_initials`, their first letters (BOB -> B, R), which a wage record's initial can meet."""
    namer = NickNamer()
    names = records["first_name"].dropna().unique()
    aliases = {name: sorted({name, *(c.upper() for c in namer.canonicals_of(name.lower()))}) for name in names}
    initials = {name: sorted({alias[0] for alias in [*forms, *(n.upper() for n in namer.nicknames_of(name.lower()))]})
                for name, forms in aliases.items()}
    return records.assign(first_name_aliases=records["first_name"].map(aliases),
                          first_name_alias_initials=records["first_name"].map(initials))


def _initial_only(column: str) -> str:
    return f"(length({column}_l) = 1 OR length({column}_r) = 1)"


def _one_keystroke_names_sql(left: str, right: str) -> str:
    """Two names one keystroke apart (a letter added, dropped, replaced, or two adjacent ones swapped).
    Jaro-Winkler misjudges short names: its matching window is zero below four letters, so PIA/PAI or
    BEN/BWN score under 0.8 while TOM/TIM scores 0.8. Cheap tests first (one keystroke leaves the first
    or the last letter as it was, in names of three letters or more): they rule out most pairs sampled
    for u before damerau_levenshtein runs."""
    return (f"(abs(length({left}) - length({right})) <= 1"
            f" AND (left({left}, 1) = left({right}, 1) OR right({left}, 1) = right({right}, 1))"
            f" AND damerau_levenshtein({left}, {right}) <= 1)")


def _name_comparison(column: str, other_name: str) -> cl.CustomComparison:
    """Exact (term-frequency adjusted), swapped with the other name, close spelling, nickname,
    a shared word of a compound name. A bare initial counts as missing here (`_first_initial_comparison`
    weighs it): wage records' initials would otherwise make up most true matches and leave an
    exact full first name worth little."""
    l_col, r_col = f"{column}_l", f"{column}_r"
    nickname_level = [cll.CustomLevel("list_has_any(first_name_aliases_l, first_name_aliases_r)",
                                      label_for_charts="nickname of the same name")] if column == "first_name" else []
    # A woman's maiden and married surname: the other comparisons already credit the same full first
    # name and DOB, so the changed surname weighs nothing instead of counting against the pair.
    surname_change_level = [cll.CustomLevel(SURNAME_CHANGED).configure(
        is_null_level=True, label_for_charts="surname changed: same full first name and DOB, women (one sex may be missing)")
    ] if column == "last_name" else []
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.CustomLevel(f"{l_col} IS NULL OR {r_col} IS NULL OR {_initial_only(column)}").configure(
                is_null_level=True, label_for_charts=f"{column} missing or only an initial"),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            cll.CustomLevel(f"{l_col} = {other_name}_r OR {r_col} = {other_name}_l",
                            label_for_charts=f"{column} equals the other record's {other_name}"),
            cll.JaroWinklerLevel(column, 0.92),
            cll.CustomLevel(_one_keystroke_names_sql(l_col, r_col), label_for_charts=f"{column} one keystroke apart"),
            # a swap by the sender and a typo by either (DOC's intake: names swapped, then misspelt)
            cll.CustomLevel(f"{_one_keystroke_names_sql(l_col, f'{other_name}_r')}"
                            f" OR {_one_keystroke_names_sql(r_col, f'{other_name}_l')}",
                            label_for_charts=f"{column} one keystroke from the other record's {other_name}"),
            *nickname_level,
            # only names with a space have a word to share that the exact level has not taken (the test of
            # a space first: splitting every pair's names took 2 of the 5 s this comparison cost in u sampling)
            cll.CustomLevel(f"(contains({l_col}, ' ') OR contains({r_col}, ' '))"
                            f" AND list_has_any(string_split({l_col}, ' '), string_split({r_col}, ' '))",
                            label_for_charts=f"{column} shares a word (compound or partial name)"),
            cll.JaroWinklerLevel(column, 0.8),
            *surname_change_level,
            cll.ElseLevel(),
        ],
    )


def _first_initial_comparison() -> cl.CustomComparison:
    """First initials, only where one side has nothing more (a wage record's first name)."""
    return cl.CustomComparison(
        output_column_name="first_initial",
        comparison_levels=[
            cll.CustomLevel(f"first_name_l IS NULL OR first_name_r IS NULL OR NOT {_initial_only('first_name')}"
                            ).configure(is_null_level=True, label_for_charts="no bare initial (first_name applies)"),
            cll.CustomLevel("substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
                            label_for_charts="first initial agrees, one side only an initial"),
            cll.ElseLevel(),
        ],
    )


def _middle_name_comparison() -> cl.CustomComparison:
    """Middle names where both records carry one: an initial meeting a name with its letter, the same full
    name (term-frequency adjusted), a close spelling, or clearly different. Statewide, most true pairs the
    other comparisons leave short of the threshold share only a full first name and a DOB, which strangers
    share by the thousand; a middle name on both sides (most education, social-services and college files
    carry one) tells the two apart. Wage records carry none: their pairs are decided as before."""
    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.CustomLevel(f"{_initial_only('middle_name')} AND left(middle_name_l, 1) = left(middle_name_r, 1)",
                            label_for_charts="middle initial agrees, one side only an initial"),
            cll.ExactMatchLevel("middle_name", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("middle_name", 0.88),
            cll.ElseLevel(),
        ],
    )


# Two records' first names clearly disagree: both present, not swapped with the surname (even with a
# keystroke wrong), and with an initial on either side no alias shares its initial; with full names on
# both, no alias in common, Jaro-Winkler below 0.8 (a typo or a compound name stays above) and more than
# one keystroke apart (a typo in a name of three or four letters, which Jaro-Winkler puts below 0.8).
FIRST_NAMES_DISAGREE = (
    "(first_name_l IS NOT NULL AND first_name_r IS NOT NULL"
    f" AND coalesce(NOT {_one_keystroke_names_sql('first_name_l', 'last_name_r')}"
    f" AND NOT {_one_keystroke_names_sql('first_name_r', 'last_name_l')}, true)"
    f" AND CASE WHEN {_initial_only('first_name')}"
    " THEN NOT list_has_any(first_name_alias_initials_l, first_name_alias_initials_r)"
    " ELSE NOT list_has_any(first_name_aliases_l, first_name_aliases_r)"
    " AND jaro_winkler_similarity(first_name_l, first_name_r) < 0.8"
    f" AND NOT {_one_keystroke_names_sql('first_name_l', 'first_name_r')} END)")
# SSN agreement is no evidence where the first names clearly disagree and the DOBs do not confirm
# the pair: a sibling's or parent's number (wage records have no DOB; a relative's differs). Where
# both DOBs are the same, a replaced first name (a data-entry error FEBRL simulates) still links.
PERSONS_DISAGREE = f"({FIRST_NAMES_DISAGREE} AND coalesce(dob_l <> dob_r, true))"
# m of the SSN levels (see `_ssn_comparison`) where the file cannot measure them (`ssn_agreement_m`:
# too few pairs sharing name and DOB); the synthetic population measures 0.983 / 0.010 / 0.007.
SSN_M = {"exact": 0.95, "one_edit": 0.025, "else": 0.025}


def _one_keystroke_apart_sql(column: str) -> str:
    """Values one keystroke apart (a character replaced or two adjacent ones swapped), for columns whose
    standardised values have a fixed length of nine or ten (SSN, ISO DOB): such an edit leaves the first
    four or the last four characters as they were. That cheap test comes first in the AND, which DuckDB
    evaluates in order inside a comparison's CASE: damerau_levenshtein on every pair sampled for u was
    12 of the 32 s the u sampling took on 2.6M pairs of the held-out files."""
    return (f"(left({column}_l, 4) = left({column}_r, 4) OR right({column}_l, 4) = right({column}_r, 4))"
            f" AND damerau_levenshtein({column}_l, {column}_r) <= 1")


SSN_ONE_EDIT = _one_keystroke_apart_sql("ssn")


def _ssn_comparison() -> cl.CustomComparison:
    """SSN agreement counts only where first names do not clearly disagree (or the DOBs confirm the pair).

    Wage files hold borrowed SSNs (a parent's or sibling's number under the worker's own name) and
    typos that land on another person's number: there an agreeing SSN says nothing about whether
    the records are one person, so that level weighs zero and the names and DOB decide.

    The comparison reads names and DOB, so Splink switches it off in every EM session blocked on
    those columns: EM cannot estimate its m. It is measured instead (`ssn_agreement_m`: how the SSNs
    of record pairs sharing full name and DOB agree), or set to SSN_M when the file has too few.
    """
    consistent = f"NOT {PERSONS_DISAGREE}"
    return cl.CustomComparison(
        output_column_name="ssn",
        comparison_levels=[
            cll.NullLevel("ssn"),
            cll.CustomLevel(f"ssn_l = ssn_r AND {consistent}").configure(
                m_probability=SSN_M["exact"], fix_m_probability=True,
                label_for_charts="exact SSN, names and DOB consistent"),
            cll.CustomLevel(f"{SSN_ONE_EDIT} AND {consistent}").configure(
                m_probability=SSN_M["one_edit"], fix_m_probability=True,
                label_for_charts="SSN one edit apart, names and DOB consistent"),
            cll.CustomLevel(SSN_ONE_EDIT).configure(
                is_null_level=True, label_for_charts="SSN (nearly) agrees but names or DOB clearly disagree"),
            cll.ElseLevel().configure(m_probability=SSN_M["else"], fix_m_probability=True),
        ],
    )


def _dob_comparison() -> cl.CustomComparison:
    same_year = "substr(dob_l, 1, 4) = substr(dob_r, 1, 4)"
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(f"{same_year} AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2)"
                            " AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)", label_for_charts="day and month swapped"),
            cll.CustomLevel(_one_keystroke_apart_sql("dob"), label_for_charts="DOB one keystroke apart"),
            cll.CustomLevel(f"{same_year}", label_for_charts="same birth year"),
            cll.AbsoluteDateDifferenceLevel("dob", input_is_string=True, threshold=5, metric="year"),
            cll.ElseLevel(),
        ],
    )


def settings() -> SettingsCreator:
    """The untrained model: comparisons, blocking rules, and what the output keeps."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            _name_comparison("first_name", "last_name"),
            _first_initial_comparison(),
            _name_comparison("last_name", "first_name"),
            _middle_name_comparison(),
            _dob_comparison(),
            _ssn_comparison(),
            cl.ExactMatch("sasid"),
            cl.ExactMatch("gender"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("ssn"),
            block_on("sasid"),
            block_on("dob", "last_name"),
            # dob with a first initial alone gave 9M of 12M statewide pairs; these three find
            # the same true pairs (changed surname, typos, nicknames) in 2M
            block_on("dob", "first_name"),
            block_on("dob", "substr(last_name, 1, 2)"),
            block_on("dob", "substr(first_name, 1, 2)", "substr(last_name, 1, 1)"),
            block_on("first_name", "last_name", "substr(dob, 1, 4)"),
            block_on("first_name", "last_name", "substr(dob, 6, 5)"),
            "l.first_name = r.last_name AND l.last_name = r.first_name",
            # the first four and the last four digits: one of them survives any one keystroke (with 1-5 and
            # 6-9, two digits swapped across the 5th and 6th broke both)
            block_on("dob", "substr(ssn, 1, 4)"),
            block_on("dob", "substr(ssn, 6, 4)"),
            # wage records (no DOB) whose SSN has one digit wrong: one of the two halves still agrees
            block_on("last_name", "substr(ssn, 1, 4)"),
            block_on("last_name", "substr(ssn, 6, 4)"),
            # a typo in the surname as well as in the SSN or DOB (FEBRL 4 has typos in every field)
            block_on("first_name", "substr(ssn, 1, 4)"),
            block_on("first_name", "substr(ssn, 6, 4)"),
            # names swapped by the sender and one of them misspelt: the other still meets its swap
            "l.first_name = r.last_name AND l.dob = r.dob",
            "l.last_name = r.first_name AND l.dob = r.dob",
        ],
        additional_columns_to_retain=["agency"],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
    )


PROBABILISTIC = SplinkStrategy(
    name="probabilistic", settings=settings,
    prior_rules=(block_on("ssn", "dob"), block_on("first_name", "last_name", "dob")),
    em_rules=EM_TRAINING_RULES, personal_identifiers=("ssn", "sasid"), threshold=MATCH_THRESHOLD,
    min_training_records=MIN_TRAINING_RECORDS, prior_fallback_rules=(block_on("ssn", "first_name", "last_name"),))


def _scoring_table(records: pd.DataFrame) -> pd.DataFrame:
    """The columns Splink compares, in record-id order so that every scan sums in the same order."""
    return with_name_aliases(records)[list(SCORING_COLUMNS)].sort_values("record_id", ignore_index=True)


@contextmanager
def _linker(records: pd.DataFrame, model: SettingsCreator | dict[str, Any]
            ) -> Iterator[tuple[Linker, SplinkDataFrame]]:
    """A Linker over `records` in a private in-memory DuckDB (whatever the engine: training samples a
    bounded number of pairs), and the registered table; closed afterwards."""
    with splink_db_api("duckdb") as db_api:
        table = db_api.register(_scoring_table(records), dataset_display_name="records")
        yield PROBABILISTIC.linker(table, model), table


def reference_model() -> dict[str, Any]:
    """The model trained on a synthetic statewide-like population, shipped with the package."""
    return json.loads(REFERENCE_MODEL_PATH.read_text(encoding="utf-8"))


def _comparison_conditions(model: dict[str, Any]) -> list[list[str]]:
    return [[level["sql_condition"] for level in c["comparison_levels"]] for c in model["comparisons"]]


def _untrained_model() -> dict[str, Any]:
    """This module's comparisons and blocking rules, with the reference model's parameters as the
    starting point when its comparisons are the same (then what the data cannot inform keeps the
    reference values; after a change of comparisons the reference must be trained again).

    Starting m values are raised to at least MIN_STARTING_M: the reference learned some as
    practically zero (two DOBs decades apart in one person), and EM started there cannot move
    away; on a small file it drives them below what a float holds, which Splink refuses.
    """
    untrained = settings().get_settings("duckdb").as_dict()
    if REFERENCE_MODEL_PATH.exists():
        reference = reference_model()
        if _comparison_conditions(reference) == _comparison_conditions(untrained):
            for comparison in reference["comparisons"]:
                for level in comparison["comparison_levels"]:
                    if "m_probability" in level:
                        level["m_probability"] = max(level["m_probability"], MIN_STARTING_M)
            return reference | {"blocking_rules_to_generate_predictions":
                                untrained["blocking_rules_to_generate_predictions"]}
    return untrained


def train_model(records: pd.DataFrame, *, seed: int = 2026, em_max_pairs: float = 2e6) -> dict[str, Any]:
    """Estimate the model from unlabelled records; returns the JSON-ready model to store and reuse.

    Too few records to learn from (a handful of hand-made files) give the reference model;
    parameters the data cannot inform (say no SSN in any file) keep the reference values.
    EM runs on one DuckDB thread: it sums match probabilities in floating point, and parallel
    sums round differently from run to run, which moved pairs across the threshold (the counts
    behind the prior and u are integers, the same on any number of threads).
    """
    if len(records) < PROBABILISTIC.min_training_records:
        # the reference model's parameters with this code's blocking rules (the stored ones are older)
        rules = settings().get_settings("duckdb").as_dict()["blocking_rules_to_generate_predictions"]
        return reference_model() | {"blocking_rules_to_generate_predictions": rules}
    start = _untrained_model()
    with _linker(records, start) as (_, table):
        model = splink_model.train_model(PROBABILISTIC, table, len(records), start,
                                         lambda column: identifier_collision_u(records, column),
                                         seed=seed, em_max_pairs=em_max_pairs)
    return with_ssn_m(model, ssn_agreement_m(records))


# Pairs sharing first name, surname and DOB that carry an SSN on both sides, needed before their
# SSN agreement replaces SSN_M; a name+DOB key held by more records than this is a namesake cluster.
MIN_SSN_M_PAIRS = 200
MAX_RECORDS_PER_NAME_DOB = 8


def ssn_agreement_m(records: pd.DataFrame) -> dict[str, float] | None:
    """m of the SSN levels measured on the file itself: how the SSNs of record pairs that agree exactly
    on full first name, surname and DOB (almost surely one person) agree: exactly, one edit apart, or
    not at all. Files differ: FEBRL 4 has one such pair in 20 with an unrelated SSN, the synthetic
    population one in 100; a fixed m either punishes a replaced SSN too little or too much.
    Add-one smoothed; None (keep SSN_M) with fewer than MIN_SSN_M_PAIRS pairs."""
    connection = duckdb.connect()
    try:
        connection.register("records", records[["record_id", "first_name", "last_name", "dob", "ssn"]])
        counts = dict(connection.sql(f"""
            WITH keyed AS (
                SELECT *, count(*) OVER (PARTITION BY first_name, last_name, dob) AS holders FROM records
                WHERE length(first_name) > 1 AND last_name IS NOT NULL AND dob IS NOT NULL AND ssn IS NOT NULL)
            SELECT CASE WHEN l.ssn = r.ssn THEN 'exact' WHEN damerau_levenshtein(l.ssn, r.ssn) <= 1 THEN 'one_edit'
                        ELSE 'else' END AS level, count(*)
            FROM keyed AS l JOIN keyed AS r USING (first_name, last_name, dob)
            WHERE l.record_id < r.record_id AND l.holders <= {MAX_RECORDS_PER_NAME_DOB}
            GROUP BY level""").fetchall())
    finally:
        connection.close()
    total = sum(counts.values())
    if total < MIN_SSN_M_PAIRS:
        return None
    return {level: (counts.get(level, 0) + 1) / (total + len(SSN_M)) for level in SSN_M}


def with_ssn_m(model: dict[str, Any], m: dict[str, float] | None) -> dict[str, Any]:
    """The model with the m of its SSN levels set (None: unchanged). The levels are matched by their
    position in `_ssn_comparison`: exact (1), one edit (2), else (last)."""
    if m is None:
        return model
    levels = next(c for c in model["comparisons"] if c["output_column_name"] == "ssn")["comparison_levels"]
    for level, name in ((levels[1], "exact"), (levels[2], "one_edit"), (levels[-1], "else")):
        level["m_probability"] = m[name]
    return model


def identifier_collision_u(records: pd.DataFrame, column: str) -> float | None:
    """u of exact agreement on an identifier issued to one person (SSN, SASID): the share of record
    pairs born more than BIRTHS_APART_YEARS apart (surely two people) whose identifiers agree, with
    one collision added so that none seen means "rare", not "impossible".

    Random sampling overstates it: nearly every random pair sharing an SSN is one person twice, so
    an exact SSN was worth too little to link a wage record whose surname had changed. None when
    no two records carry both the identifier and a DOB.
    """
    connection = duckdb.connect()
    try:
        connection.register("records", records[["record_id", column, "dob"]])
        [(collisions, pairs_apart)] = connection.sql(f"""
            WITH known AS (
                SELECT record_id, "{column}" AS identifier, CAST(substr(dob, 1, 4) AS INTEGER) AS birth_year
                FROM records WHERE "{column}" IS NOT NULL AND dob IS NOT NULL),
            years AS (SELECT birth_year, count(*) AS records FROM known GROUP BY birth_year)
            SELECT
                (SELECT count(*) FROM known AS l JOIN known AS r ON l.identifier = r.identifier
                 AND l.record_id < r.record_id AND abs(l.birth_year - r.birth_year) > {BIRTHS_APART_YEARS}),
                (SELECT CAST(sum(l.records * r.records) AS DOUBLE) FROM years AS l JOIN years AS r
                 ON r.birth_year - l.birth_year > {BIRTHS_APART_YEARS})
        """).fetchall()
    finally:
        connection.close()
    return (collisions + 1) / pairs_apart if pairs_apart else None


def _term_frequency_columns(model: dict[str, Any]) -> set[str]:
    """The columns the model's levels adjust by term frequency (a common name is weaker evidence)."""
    return {level["tf_adjustment_column"] for comparison in model["comparisons"]
            for level in comparison["comparison_levels"] if level.get("tf_adjustment_column")}


def _without_term_frequencies(model: dict[str, Any]) -> dict[str, Any]:
    """The model with no term-frequency adjustment: name frequencies counted in a handful of
    records are noise (two OBRIENs in eight records would make OBRIEN look common)."""
    model = copy.deepcopy(model)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    return model


def _engine_linker(db_api: Any, tables: Any, model: dict[str, Any]) -> Linker:
    """A Linker on the engine's database API, the model's SQL in that engine's dialect."""
    dialect = db_api.sql_dialect.sql_dialect_str
    return PROBABILISTIC.linker(tables, model_for_dialect(model, settings().get_settings(dialect).as_dict(), dialect))


def score_pairs(records: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Every blocked pair not clearly a non-match, with match_weight, match_probability, mw_ columns.

    Scoring runs on the configured engine (backend.py); training stays on DuckDB, whose cost is
    bounded by the pairs it samples rather than growing with the population."""
    if len(records) < MIN_TRAINING_RECORDS:
        model = _without_term_frequencies(model)
    with splink_db_api() as db_api:
        linker = _engine_linker(db_api, db_api.register(_scoring_table(records), dataset_display_name="records"), model)
        return linker.inference.predict(threshold_match_weight=KEEP_PAIRS_MATCH_WEIGHT, warning_mode="never"
                                        ).as_pyarrow_table().to_pandas()  # Arrow: ~8x faster at scale


def score_new_records(existing: pd.DataFrame, new: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Pairs between a new delivery and the existing records, and within the delivery, only.

    Cost grows with the delivery: existing-to-existing pairs are not scored again. Term
    frequencies come from existing and new records together, as in a full rebuild.
    """
    with splink_db_api() as db_api:
        both = pd.concat([existing, new], ignore_index=True)
        all_table = db_api.register(_scoring_table(both), dataset_display_name="all_records")
        existing_table = db_api.register(_scoring_table(existing), dataset_display_name="existing")
        new_table = db_api.register(_scoring_table(new), dataset_display_name="new")
        linker = _engine_linker(db_api, all_table, model)
        for column in _term_frequency_columns(model):
            linker.table_management.compute_tf_table(column)
        options = {"threshold_match_weight": KEEP_PAIRS_MATCH_WEIGHT, "warning_mode": "never"}
        between = linker.inference.predict_between(new_table, existing_table, **options).as_pyarrow_table().to_pandas()
        within = linker.inference.predict_within(new_table, **options).as_pyarrow_table().to_pandas()
    return pd.concat([between, within], ignore_index=True)


def person_clusters(records: pd.DataFrame, pairs: pd.DataFrame, threshold: float = MATCH_THRESHOLD
                    ) -> pd.DataFrame:
    """The scored pairs judged to be the same person, resolved into persons: DataFrame[record_id, cluster_id].
    An entry that would hold two clearly different SSNs, SASIDs or birth dates is split; a woman's
    school-era and later entries that only a changed surname keeps apart are joined (`surnames.py`)."""
    return join_changed_surnames(clusters_from_pairs(records["record_id"], pairs, threshold, records), pairs, records)


def link_probabilistic(records: pd.DataFrame, model: dict[str, Any] | None = None) -> pd.DataFrame:
    """Cluster standardised records with the model (trained here when none is given)."""
    return person_clusters(records, score_pairs(records, model if model is not None else train_model(records)))
