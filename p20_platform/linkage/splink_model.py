"""What the Splink strategies share: one small interface, so a new strategy is one module.

A strategy (`probabilistic` on plaintext identifiers, `pet-bloom` on keyed encodings) is a
`SplinkStrategy`: its comparisons and blocking rules (`settings`), the rules that estimate the
prior, the EM training rules, the personal identifiers whose u is their collision rate, and its
match threshold. Training (`train_model`) and clustering (`clusters.clusters_from_pairs`) are the same
code for every strategy; each strategy module keeps only what differs (its comparisons, how it counts
identifier collisions, its input table).

The Splink database API comes from `backend.splink_db_api`, the one place it is created (DuckDB
in process, or Spark for scoring).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from splink import Linker, SettingsCreator
from splink.internals.exceptions import EMTrainingException
from splink.internals.splink_dataframe import SplinkDataFrame

# Splink checks a model's settings on every Linker (parsing each SQL condition with sqlglot) only to log warnings,
# which this package's log level never shows; the settings are its own, over tables it builds. Off, repeated
# `link_files` calls on the held-out SSA/W-2 files took 4.3-4.5 s instead of 5.1-5.7 s, with the same persons.
VALIDATE_SETTINGS = False
PRIOR_RECALL = 0.8  # share of true matches the prior's deterministic rules are taken to find
# Random pairs sampled for u. Every level u is learnt for is met often enough at 500,000: on the held-out
# SSA/W-2 files and the 20,000-person population the probabilistic model's u moved by a few percent
# (levels met 100+ times) from 2.6M and 4.5M pairs and gave the same clusters (one pair apart in 155,000 on
# the population); the rare levels (an exact SSN or SASID, a DOB) are not learnt this way at any budget
# (identifiers take their collision rate). u sampling was 16 of the 24 s of training on the held-out files.
U_MAX_PAIRS = 5e5


@dataclass(frozen=True)
class SplinkStrategy:
    """A Fellegi-Sunter strategy: model definition, training rules and the match threshold."""

    name: str
    settings: Callable[[], SettingsCreator]
    prior_rules: tuple[Any, ...]  # deterministic rules for probability_two_random_records_match
    em_rules: tuple[Any, ...]  # EM sessions, in order; a session with nothing to learn from is skipped
    personal_identifiers: tuple[str, ...]  # comparisons whose exact-agreement u is the collision rate
    threshold: float  # pairs at or above this match probability are the same person
    min_training_records: int  # fewer records give too few pairs for EM to learn from
    # rules for the prior where `prior_rules` find no pair at all (files where only one carries a DOB,
    # one record a person: an SSA-style file against wage records); a prior of 0 stops every EM session
    prior_fallback_rules: tuple[Any, ...] = ()
    log_level: int = logging.ERROR

    def linker(self, table: SplinkDataFrame, model: SettingsCreator | dict[str, Any] | None = None) -> Linker:
        return Linker(table, self.settings() if model is None else model, log_level=self.log_level,
                      validate_settings=VALIDATE_SETTINGS)


def train_model(strategy: SplinkStrategy, table: SplinkDataFrame, records: int,
                start: SettingsCreator | dict[str, Any], collision_rate: Callable[[str], float | None], *, seed: int, u_max_pairs: float = U_MAX_PAIRS,
                em_max_pairs: float | None = None) -> dict[str, Any]:
    """Estimate a strategy's model without labels from `table` (`records` rows); returns the JSON-ready model.

    The prior from the strategy's deterministic rules, u by random sampling, m by EM over each
    training rule in turn, then each personal identifier's exact-agreement u lowered to its
    collision rate. EM runs on one thread: it sums match probabilities in floating point, and
    parallel sums round differently from run to run. A session that cannot train is skipped and
    the model goes on from where it was before it: one with no pairs, or one where EM drives a level's
    m below what a float can hold (all its pairs are surely two people, e.g. one borrowed SSN on
    records born decades apart in a small file) or the session's match share to 0 or 1. No session
    trained at all is an error.
    """
    if records < strategy.min_training_records:
        raise ValueError(f"{strategy.name} trains its model on the records it is given; {records} records give"
                         " too few candidate pairs to train on: link more files together")
    linker = strategy.linker(table, start)
    linker.training.estimate_probability_two_random_records_match(list(strategy.prior_rules), recall=PRIOR_RECALL)
    if strategy.prior_fallback_rules and not linker.misc.save_model_to_json()["probability_two_random_records_match"]:
        linker.training.estimate_probability_two_random_records_match(list(strategy.prior_fallback_rules),
                                                                      recall=PRIOR_RECALL)
    # one chunk: Splink's early stop (every level met 100 times) never comes for levels as rare as an
    # exact SSN, so its ten chunks and probe only repeat the set-up
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed, num_chunks=1)
    connection = getattr(table.db_api, "duckdb_con", None)
    if connection is not None:
        connection.execute("SET threads = 1").fetchall()
    trained = 0
    for rule in strategy.em_rules:
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=em_max_pairs)
            trained += 1
        except EMTrainingException:
            continue
        except ValueError as error:
            # "math domain error": EM drove the session's match share to 0 or 1 (log of zero), e.g.
            # a DOB rule on files where only one carries DOBs and its few pairs are all two people
            if not any(sign in str(error) for sign in ("underflow", "math domain error")):
                raise
            linker = strategy.linker(table, before)
    if connection is not None:
        connection.execute("RESET threads").fetchall()
    if not trained:
        raise ValueError(f"{strategy.name} trains its model on the records it is given; {records} records give"
                         " too few candidate pairs to train on: link more files together")
    return with_collision_u(linker.misc.save_model_to_json(), strategy.personal_identifiers, collision_rate)


def with_collision_u(model: dict[str, Any], identifiers: tuple[str, ...],
                     collision_rate: Callable[[str], float | None]) -> dict[str, Any]:
    """The model with the exact-agreement u of each identifier comparison lowered to its collision
    rate (`collision_rate(output_column_name)`)."""
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] in identifiers:
            exact = next(level for level in comparison["comparison_levels"] if not level.get("is_null_level"))
            u = collision_rate(comparison["output_column_name"])
            if u is not None and u < exact.get("u_probability", 1.0):
                exact["u_probability"] = u
    return model
