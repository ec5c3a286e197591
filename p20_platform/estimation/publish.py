"""The hub's publication of the undecided-status probabilities into the warehouse.

Reads identifiers in the hub store (names, to find wage-only namesakes) and pseudonymous tables in
the warehouse (wage years by FakeID, the person-year mart), and writes to the warehouse schema
`estimation` only probabilities per (p20_id, report_year) and aggregate fitted shares: no link, no
name, no SSN. Written between the person-year mart and the counts mart, which reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from p20_platform.estimation.splits import COLUMNS as CORRECTION_COLUMNS
from p20_platform.estimation.splits import (candidate_pairs, disconnected_probabilities, paid_entries, split_corrections,
                                            student_ids)
from p20_platform.estimation.unseen import WAGE_AGENCY, UnseenEstimate, estimate_unseen
from p20_platform.feeds.loaders import analytical_schema
from p20_platform.feeds.stores import connect, quote, table_exists
from p20_platform.settings import Paths

SCHEMA = "estimation"
PROBABILITIES = "undecided_status"  # p20_id, report_year, replicate, p_disconnected, p_employed_unseen, p_diploma, p_severe
PARAMETERS = "wage_evidence_parameters"  # per age-now band and sex: the fitted shares (see unseen.employment_probabilities)
CORRECTIONS = "link_corrections"  # p20_id, report_year, disconnected_overcount, overcount_variance (see splits.py)
PROBABILITY_COLUMNS = {"p20_id": "VARCHAR", "report_year": "INTEGER", "replicate": "SMALLINT",
                       "p_disconnected": "DOUBLE", "p_employed_unseen": "DOUBLE", "p_diploma": "DOUBLE",
                       "p_severe": "DOUBLE"}


CORRECTION_TYPES = dict(zip(CORRECTION_COLUMNS, ("VARCHAR", "INTEGER", "DOUBLE", "DOUBLE")))


def _typed(columns: dict[str, str]) -> str:
    return ", ".join(f"{quote(name)}::{kind} AS {quote(name)}" for name, kind in columns.items())


def write_tables(paths: Paths, probabilities: pd.DataFrame, parameters: pd.DataFrame | None = None,
                 corrections: pd.DataFrame | None = None) -> None:
    """Write the estimation tables (typed as the dbt source declares them); no corrections: an empty table."""
    if corrections is None:
        corrections = pd.DataFrame({name: pd.Series(dtype=object) for name in CORRECTION_COLUMNS})
    with connect(paths.warehouse_db) as warehouse:
        warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        warehouse.register("_probabilities", probabilities)
        warehouse.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{PROBABILITIES} AS SELECT {_typed(PROBABILITY_COLUMNS)} FROM _probabilities")
        warehouse.register("_corrections", corrections)
        warehouse.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{CORRECTIONS} AS SELECT {_typed(CORRECTION_TYPES)} FROM _corrections")
        if parameters is not None:
            warehouse.register("_parameters", parameters)
            warehouse.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{PARAMETERS} AS SELECT * FROM _parameters")


def write_no_undecided(paths: Paths) -> None:
    """An empty probability table: every status decided by the data (the oracle index's case)."""
    write_tables(paths, pd.DataFrame({name: pd.Series(dtype=object) for name in PROBABILITY_COLUMNS}))


@dataclass(frozen=True)
class Publication:
    """What the hub published: the estimate of the undecided youth-years and the link corrections
    (None when the index keeps no scored pairs)."""

    estimate: UnseenEstimate
    corrections: pd.DataFrame | None


@dataclass(frozen=True)
class EstimationInputs:
    """What the estimate reads: the hub's records, crosswalk and scored pairs (None when the index keeps
    none), the DOL wage years by FakeID and the person-year mart."""

    records: pd.DataFrame
    crosswalk: pd.DataFrame
    pairs: pd.DataFrame | None
    wage_years: pd.DataFrame
    person_years: pd.DataFrame
    first_school_year: int | None  # the earliest fall in the SDE file


def read_inputs(paths: Paths) -> EstimationInputs:
    # Text and floating-point columns through Arrow: pandas then builds its Arrow-backed strings without a Python
    # object per value (2.7M records at 1.2M persons: 4.2 s by `.df()`, 0.9 s so). Not for nullable integer,
    # boolean or date columns, which Arrow converts differently.
    with connect(paths.hub_db, read_only=True) as hub:
        records = hub.sql("SELECT record_id, agency, FakeID, last_name, first_name, dob, ssn, sasid "
                          "FROM mpi.records").to_arrow_table().to_pandas()
        crosswalk = hub.sql("SELECT record_id, p20_id FROM mpi.crosswalk").to_arrow_table().to_pandas()
        pairs = (hub.sql("SELECT record_id_l, record_id_r, match_probability FROM mpi.pairs").to_arrow_table()
                 .to_pandas() if table_exists(hub, "mpi", "pairs") else None)
    with connect(paths.warehouse_db, read_only=True) as warehouse:
        wage_years = warehouse.execute(
            f"SELECT DISTINCT FakeID::VARCHAR AS FakeID, \"Year\"::INTEGER AS year "
            f"FROM {analytical_schema(WAGE_AGENCY)}.analytical WHERE RecordType = 'UI_WAGE' AND Wage > 0").df()
        person_years = warehouse.execute("SELECT * FROM marts.disconnected_youth_person_year").df()
        first_school_year = warehouse.execute(
            f"SELECT min(FallOfYear)::INTEGER FROM {analytical_schema('SDE')}.analytical").fetchone()[0]
    return EstimationInputs(records, crosswalk, pairs, wage_years, person_years, first_school_year)


def publish_undecided_status(paths: Paths) -> Publication:
    """Estimate in the hub; publish probabilities, fitted shares and the link corrections to the warehouse."""
    inputs = read_inputs(paths)
    estimate = estimate_unseen(inputs.records, inputs.crosswalk, inputs.wage_years, inputs.person_years,
                               first_school_year=inputs.first_school_year)
    corrections = None
    if inputs.pairs is not None:
        corrections = split_corrections(
            candidate_pairs(inputs.pairs, inputs.records, inputs.crosswalk, inputs.person_years["p20_id"]),
            disconnected_probabilities(inputs.person_years, estimate.probabilities),
            paid_entries(inputs.records, inputs.crosswalk, inputs.wage_years), student_ids(inputs.records, inputs.crosswalk))
    write_tables(paths, estimate.probabilities, estimate.parameters, corrections)
    return Publication(estimate, corrections)
