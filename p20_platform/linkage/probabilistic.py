"""The probabilistic strategy (what P20 WIN's hub does today): a Fellegi-Sunter model in Splink 5.

All agencies' standardised records go into one DuckDB table and are deduplicated together, so
a person repeated inside one agency is found as well as across agencies. The model is trained
without labels (u by random sampling, m by EM over several blocking rules), saved as JSON and
reused: routine rebuilds and new deliveries only predict and cluster.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import splink.comparison_level_library as cll
from nicknames import NickNamer
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

from p20_platform.linkage.clusters import connected_components

# Pairs at or above this probability are the same person (then resolved transitively).
MATCH_PROBABILITY_THRESHOLD = 0.99
# Scored pairs kept for review and incremental rebuilds: everything that is not clearly a non-match.
KEEP_PAIRS_MATCH_WEIGHT = -6.0
SCORING_COLUMNS = ("record_id", "agency", "first_name", "first_name_aliases", "last_name", "dob", "gender", "ssn",
                   "sasid")
SPLINK_LOG_LEVEL = logging.ERROR
# Below this many records EM has too few pairs to learn from: use the reference model.
MIN_TRAINING_RECORDS = 2_000
REFERENCE_MODEL_PATH = Path(__file__).with_name("reference_model.json")
EM_TRAINING_RULES = (block_on("ssn"), block_on("dob", "last_name"), block_on("first_name", "last_name"))


def with_name_aliases(records: pd.DataFrame) -> pd.DataFrame:
    """Add `first_name_aliases`: the name and the formal names it is a nickname of (TERRY ->
    TERENCE, TERESA, ...), from the curated `nicknames` table, so Bob and Robert can agree."""
    namer = NickNamer()
    names = records["first_name"].dropna().unique()
    aliases = {name: sorted({name, *(c.upper() for c in namer.canonicals_of(name.lower()))}) for name in names}
    return records.assign(first_name_aliases=records["first_name"].map(aliases))


def _name_comparison(column: str, other_name: str) -> cl.CustomComparison:
    """Exact (term-frequency adjusted), swapped with the other name, close spelling, nickname,
    a shared word of a compound name, initial only."""
    l_col, r_col = f"{column}_l", f"{column}_r"
    nickname_level = [cll.CustomLevel("list_has_any(first_name_aliases_l, first_name_aliases_r)",
                                      label_for_charts="nickname of the same name")] if column == "first_name" else []
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            cll.CustomLevel(f"{l_col} = {other_name}_r OR {r_col} = {other_name}_l",
                            label_for_charts=f"{column} equals the other record's {other_name}"),
            cll.JaroWinklerLevel(column, 0.92),
            *nickname_level,
            cll.CustomLevel(f"list_has_any(string_split({l_col}, ' '), string_split({r_col}, ' '))",
                            label_for_charts=f"{column} shares a word (compound or partial name)"),
            cll.JaroWinklerLevel(column, 0.8),
            cll.CustomLevel(f"(length({l_col}) = 1 OR length({r_col}) = 1) AND substr({l_col}, 1, 1) = substr({r_col}, 1, 1)",
                            label_for_charts=f"{column} initial agrees, one side only an initial"),
            cll.CustomLevel(f"length({l_col}) = 1 OR length({r_col}) = 1",
                            label_for_charts=f"{column} initial disagrees (a nickname's initial, say)"),
            cll.ElseLevel(),
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
            cll.DamerauLevenshteinLevel("dob", 1),
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
            _name_comparison("last_name", "first_name"),
            _dob_comparison(),
            cl.DamerauLevenshteinAtThresholds("ssn", [1]),
            cl.ExactMatch("sasid"),
            cl.ExactMatch("gender"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("ssn"),
            block_on("sasid"),
            block_on("dob", "last_name"),
            block_on("dob", "substr(first_name, 1, 1)"),
            block_on("first_name", "last_name", "substr(dob, 1, 4)"),
            block_on("first_name", "last_name", "substr(dob, 6, 5)"),
            "l.first_name = r.last_name AND l.last_name = r.first_name",
            block_on("dob", "substr(ssn, 1, 5)"),
        ],
        additional_columns_to_retain=["agency"],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
    )


def _scoring_table(records: pd.DataFrame) -> pd.DataFrame:
    return with_name_aliases(records)[list(SCORING_COLUMNS)]


@contextmanager
def _linker(records: pd.DataFrame, model: SettingsCreator | dict[str, Any]) -> Iterator[Linker]:
    """A Linker over `records` in a private in-memory DuckDB, closed afterwards."""
    db_api = DuckDBAPI()
    try:
        table = db_api.register(_scoring_table(records), dataset_display_name="records")
        yield Linker(table, model, log_level=SPLINK_LOG_LEVEL)
    finally:
        db_api.duckdb_con.close()


def reference_model() -> dict[str, Any]:
    """The model trained on a synthetic statewide-like population, shipped with the package."""
    return json.loads(REFERENCE_MODEL_PATH.read_text(encoding="utf-8"))


def train_model(records: pd.DataFrame, *, seed: int = 2026, em_max_pairs: float = 2e6) -> dict[str, Any]:
    """Estimate the model from unlabelled records; returns the JSON-ready model to store and reuse.

    Too few records to learn from (a handful of hand-made files) give the reference model;
    parameters the data cannot inform (say no SSN in any file) keep the reference values.
    """
    if len(records) < MIN_TRAINING_RECORDS:
        return reference_model()
    start = reference_model() if REFERENCE_MODEL_PATH.exists() else settings()
    with _linker(records, start) as linker:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("ssn", "dob"), block_on("first_name", "last_name", "dob")], recall=0.8)
        u_max_pairs = min(1e7, max(1e6, 100.0 * len(records)))  # u sampling dominates training time
        linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
        for rule in EM_TRAINING_RULES:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=em_max_pairs)
            except EMTrainingException:
                continue  # no pairs under this rule in these files: the other rules still train
        return linker.misc.save_model_to_json()


def _without_term_frequencies(model: dict[str, Any]) -> dict[str, Any]:
    """The model with no term-frequency adjustment: name frequencies counted in a handful of
    records are noise (two OBRIENs in eight records would make OBRIEN look common)."""
    model = copy.deepcopy(model)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    return model


def score_pairs(records: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Every blocked pair not clearly a non-match, with match_weight, match_probability, mw_ columns."""
    if len(records) < MIN_TRAINING_RECORDS:
        model = _without_term_frequencies(model)
    with _linker(records, model) as linker:
        return linker.inference.predict(threshold_match_weight=KEEP_PAIRS_MATCH_WEIGHT, warning_mode="never"
                                        ).as_pandas_dataframe()


def score_new_records(existing: pd.DataFrame, new: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Pairs between a new delivery and the existing records, and within the delivery, only.

    Cost grows with the delivery: existing-to-existing pairs are not scored again. Term
    frequencies come from existing and new records together, as in a full rebuild.
    """
    db_api = DuckDBAPI()
    try:
        both = pd.concat([existing, new], ignore_index=True)
        all_table = db_api.register(_scoring_table(both), dataset_display_name="all_records")
        existing_table = db_api.register(_scoring_table(existing), dataset_display_name="existing")
        new_table = db_api.register(_scoring_table(new), dataset_display_name="new")
        linker = Linker(all_table, model, log_level=SPLINK_LOG_LEVEL)
        for column in ("first_name", "last_name"):
            linker.table_management.compute_tf_table(column)
        options = {"threshold_match_weight": KEEP_PAIRS_MATCH_WEIGHT, "warning_mode": "never"}
        between = linker.inference.predict_between(new_table, existing_table, **options).as_pandas_dataframe()
        within = linker.inference.predict_within(new_table, **options).as_pandas_dataframe()
    finally:
        db_api.duckdb_con.close()
    return pd.concat([between, within], ignore_index=True)


def links_from_pairs(pairs: pd.DataFrame, threshold: float = MATCH_PROBABILITY_THRESHOLD) -> pd.DataFrame:
    """The scored pairs judged to be the same person, as DataFrame[record_id_l, record_id_r]."""
    return pairs.loc[pairs["match_probability"] >= threshold, ["record_id_l", "record_id_r"]]


def link_probabilistic(records: pd.DataFrame, model: dict[str, Any] | None = None) -> pd.DataFrame:
    """Cluster standardised records with the model (trained here when none is given)."""
    pairs = score_pairs(records, model if model is not None else train_model(records))
    return connected_components(records["record_id"], links_from_pairs(pairs))
