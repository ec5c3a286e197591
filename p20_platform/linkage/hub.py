"""The master person index kept in the hub store, rebuilt in full or per new delivery.

Hub tables (schema `mpi` in hub.duckdb; identifiers never leave the hub):
- `records`: the standardised record table of the current deliveries;
- `pairs`: scored candidate pairs (probabilistic), kept for clerical review and for linking a
  new delivery without re-scoring everyone else;
- `crosswalk`: record -> p20_id with the strategy that produced it (also the prior map for the
  next rebuild, which keeps ids stable);
- `model`: the trained Splink model as JSON (trained rarely, reused by every rebuild);
- `id_issuer`: the secret salt and counter behind fresh p20_ids;
- `builds`: one row per build (when, strategy, full or incremental, records, persons, match rate),
  what the index checks compare a build with.
A new delivery is linked against the stored index (`update_index`): only the agencies whose
delivery changed are scored against everyone else, with the saved model; a full relink is done
on demand, when there is no probabilistic index yet, or when most records changed.
The pseudonymous crosswalk (agency, FakeID, p20_id) is published to the warehouse, schema `mpi`,
with `persons` (p20_id, birth_year, born_by_june_30, sex, wage_linkable): enough to compute age on
June 30 of a report year, and to tell whether wages could have been linked, without a date of
birth or an SSN ever leaving the hub.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from p20_platform.feeds.stores import connect, quote, table_exists
from p20_platform.linkage import cluster_records, standardise_records
from p20_platform.linkage.index import IdIssuer, assign_p20_ids
from p20_platform.linkage.probabilistic import (
    MATCH_THRESHOLD,
    person_clusters,
    score_new_records,
    score_pairs,
    train_model,
)
from p20_platform.linkage.truth_scores import clerical_review, match_rate
from p20_platform.registry import AGENCIES, MATCHING_FIELDS
from p20_platform.settings import Paths, paths

WAGE_AGENCY = "DOL"  # its UI wage records are the marts' only evidence of employment


@dataclass(frozen=True)
class IndexBuild:
    """What a rebuild did, for metadata and logs (counts only: no identifiers)."""

    strategy: str
    records: int
    persons: int
    match_rate: float
    records_scored: int
    model_trained: bool

    incremental: bool = False

    def metadata(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "records": self.records, "persons": self.persons,
                "match_rate": round(self.match_rate, 3), "records_scored": self.records_scored,
                "model_trained": self.model_trained, "incremental": self.incremental}


def read_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame | None:
    if not table_exists(connection, schema, table):
        return None
    return connection.sql(f"SELECT * FROM {quote(schema)}.{quote(table)}").df()


def _write_table(connection: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pd.DataFrame) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}").fetchall()
    connection.register("_frame", frame)
    connection.execute(f"CREATE OR REPLACE TABLE {quote(schema)}.{quote(table)} AS SELECT * FROM _frame").fetchall()
    connection.unregister("_frame")


def read_hub_matching(connection: duckdb.DuckDBPyConnection, agencies: list[str] | None = None) -> pd.DataFrame:
    """The current matching deliveries (`matching.<agency>`) as raw rows with agency and source_file."""
    frames = []
    for agency in AGENCIES:
        if agencies is not None and agency.code not in agencies:
            continue
        rows = read_table(connection, "matching", agency.code.lower())
        if rows is not None:
            fields = [f for f in MATCHING_FIELDS if f in rows.columns]
            frames.append(rows[[*fields, "source_file"]].assign(agency=agency.code))
    if not frames:
        raise ValueError("the hub holds no matching deliveries (schema `matching`); load the feeds first")
    return pd.concat(frames, ignore_index=True)


def stored_model(connection: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The probabilistic model the index was last trained with, if any."""
    stored = read_table(connection, "mpi", "model")
    return None if stored is None else json.loads(stored["model_json"].iloc[-1])


def _model(connection: duckdb.DuckDBPyConnection, records: pd.DataFrame, retrain: bool) -> tuple[dict, bool]:
    """The stored model, or a newly trained one stored for next time."""
    model = stored_model(connection)
    if model is not None and not retrain:
        return model, False
    model = train_model(records)
    _write_table(connection, "mpi", "model", pd.DataFrame({
        "model_json": [json.dumps(model)], "trained_at": [dt.datetime.now(dt.UTC).isoformat()],
        "training_records": [len(records)]}))
    return model, True


def _issuer(connection: duckdb.DuckDBPyConnection) -> IdIssuer:
    stored = read_table(connection, "mpi", "id_issuer")
    return IdIssuer.new() if stored is None else IdIssuer(stored["salt"].iloc[0], int(stored["issued"].iloc[0]))


def _save_index(connection: duckdb.DuckDBPyConnection, home: Paths, strategy: str, records: pd.DataFrame,
                clusters: pd.DataFrame, pairs: pd.DataFrame | None, records_scored: int, model_trained: bool,
                incremental: bool = False) -> IndexBuild:
    """Assign stable ids, write the hub tables and publish the pseudonymous crosswalk."""
    prior = read_table(connection, "mpi", "crosswalk")
    ids, issuer = assign_p20_ids(clusters, None if prior is None else prior[["record_id", "p20_id"]],
                                 _issuer(connection))
    crosswalk = records[["record_id", "agency", "source_file", "FakeID"]].merge(ids, on="record_id", validate="1:1")
    _write_table(connection, "mpi", "records", records)
    _write_table(connection, "mpi", "crosswalk", crosswalk.assign(strategy=strategy))
    _write_table(connection, "mpi", "id_issuer", pd.DataFrame({"salt": [issuer.salt], "issued": [issuer.issued]}))
    if pairs is not None:
        _write_table(connection, "mpi", "pairs", pairs)
        _write_table(connection, "mpi", "clerical_review", clerical_review(pairs, MATCH_THRESHOLD))
    else:  # another strategy's pairs would name entries this build no longer has (and feed estimation/splits.py)
        connection.execute("DROP TABLE IF EXISTS mpi.pairs; DROP TABLE IF EXISTS mpi.clerical_review")
    with connect(home.warehouse_db) as warehouse:
        _write_table(warehouse, "mpi", "crosswalk", crosswalk[["agency", "FakeID", "p20_id"]])
        _write_table(warehouse, "mpi", "persons", person_attributes(records, ids))
    build = IndexBuild(strategy, len(records), int(crosswalk["p20_id"].nunique()),
                       match_rate(clusters, records), records_scored, model_trained, incremental)
    history = read_table(connection, "mpi", "builds")
    row = pd.DataFrame({"built_at": [dt.datetime.now(dt.UTC).isoformat()], "strategy": [strategy],
                        "incremental": [incremental], "records": [build.records], "persons": [build.persons],
                        "records_scored": [records_scored], "match_rate": [build.match_rate]})
    _write_table(connection, "mpi", "builds", row if history is None else pd.concat([history, row], ignore_index=True))
    return build


def person_attributes(records: pd.DataFrame, ids: pd.DataFrame) -> pd.DataFrame:
    """Per p20_id the most frequent valid DOB reduced to birth year and half, the most frequent sex,
    and `wage_linkable`: whether any record of the entry carries a valid SSN or is a wage record.

    UI wage records are linked by SSN alone (they carry no DOB), so a person none of whose records
    holds one can have no wages in the marts whatever the truth; the marts say so instead of
    guessing. Only presence counts, so `ssn` may hold the SSN or a PET strategy's keyed digest of
    it. Ties go to the earliest value so a rebuild on the same records publishes the same table.
    """
    linked = records[["record_id", "agency", "dob", "gender", "ssn"]].merge(ids, on="record_id", validate="1:1")
    return duckdb.sql("""
        WITH dob_votes AS (
            SELECT p20_id, dob, count(*) AS votes FROM linked WHERE dob IS NOT NULL GROUP BY p20_id, dob
            QUALIFY row_number() OVER (PARTITION BY p20_id ORDER BY votes DESC, dob) = 1),
        sex_votes AS (
            SELECT p20_id, gender, count(*) AS votes FROM linked WHERE gender IS NOT NULL GROUP BY p20_id, gender
            QUALIFY row_number() OVER (PARTITION BY p20_id ORDER BY votes DESC, gender) = 1),
        entries AS (
            SELECT p20_id, bool_or(ssn IS NOT NULL OR agency = $wage_agency) AS wage_linkable
            FROM linked GROUP BY p20_id)
        SELECT entries.p20_id,
               CAST(year(CAST(dob_votes.dob AS DATE)) AS INTEGER) AS birth_year,
               month(CAST(dob_votes.dob AS DATE)) <= 6 AS born_by_june_30,
               sex_votes.gender AS sex,
               entries.wage_linkable
        FROM entries
        LEFT JOIN dob_votes USING (p20_id)
        LEFT JOIN sex_votes USING (p20_id)
        ORDER BY entries.p20_id
    """, params={"wage_agency": WAGE_AGENCY}).df()


def rebuild_index(home: Paths | None = None, strategy: str = "probabilistic", *, retrain: bool = False) -> IndexBuild:
    """Link every current delivery in the hub from scratch (reusing the stored model)."""
    home = home or paths()
    with connect(home.hub_db) as hub:
        records = standardise_records(read_hub_matching(hub))
        trained, pairs = False, None
        if strategy == "probabilistic":
            model, trained = _model(hub, records, retrain)
            pairs = score_pairs(records, model)
            clusters = person_clusters(records, pairs)
        else:
            clusters = cluster_records(records, strategy, home=home)
        return _save_index(hub, home, strategy, records, clusters, pairs, len(records), trained)


def changed_agencies(existing: pd.DataFrame, current: pd.DataFrame) -> list[str]:
    """Agencies whose standardised records differ between the stored index and the hub's deliveries
    (a new delivery, a withdrawn one, or the same file name with other rows)."""
    agencies = sorted(set(existing["agency"]) | set(current["agency"]))

    def rows(frame: pd.DataFrame, agency: str) -> pd.DataFrame:
        chosen = frame.loc[frame["agency"] == agency, list(current.columns)].astype("string")  # as stored or fresh
        return chosen.sort_values("record_id", ignore_index=True)

    return [agency for agency in agencies if not rows(existing, agency).equals(rows(current, agency))]


def link_new_delivery(home: Paths | None = None, agencies: Sequence[str] = ()) -> IndexBuild:
    """Replace these agencies' records by their current hub deliveries and link only those records.

    Only pairs touching the new records are scored, with the stored model (cost grows with the
    delivery); the stored pairs among everyone else are reused and all links are re-clustered,
    as a full rebuild would; ids stay stable through the prior crosswalk.
    """
    home = home or paths()
    with connect(home.hub_db) as hub:
        model = stored_model(hub)
        existing, stored_pairs = read_table(hub, "mpi", "records"), read_table(hub, "mpi", "pairs")
        if model is None or existing is None or stored_pairs is None:
            raise ValueError("no probabilistic index in the hub yet; run a full rebuild first")
        return _link_incrementally(hub, home, model, existing, stored_pairs,
                                   standardise_records(read_hub_matching(hub, list(agencies))))


def _link_incrementally(hub: duckdb.DuckDBPyConnection, home: Paths, model: dict[str, Any], existing: pd.DataFrame,
                        stored_pairs: pd.DataFrame, new: pd.DataFrame) -> IndexBuild:
    kept = existing[~existing["agency"].isin(set(new["agency"]))]
    kept_ids = set(kept["record_id"])
    pairs = pd.concat([
        stored_pairs[stored_pairs["record_id_l"].isin(kept_ids) & stored_pairs["record_id_r"].isin(kept_ids)],
        *([score_new_records(kept, new, model)] if len(new) else []),
    ], ignore_index=True)
    records = pd.concat([kept, new], ignore_index=True)
    clusters = person_clusters(records, pairs)
    return _save_index(hub, home, "probabilistic", records, clusters, pairs, len(new), False, incremental=True)


def update_index(home: Paths | None = None, strategy: str = "probabilistic", *, full_relink: bool = False,
                 retrain: bool = False) -> IndexBuild:
    """Bring the index up to the hub's current deliveries, incrementally where it can.

    Incremental (only changed agencies scored, saved model) when the stored index is probabilistic
    and so is the strategy asked for, and the changed agencies hold at most half the records;
    otherwise, or when `full_relink` or `retrain` is asked for, a full rebuild.
    """
    home = home or paths()
    if strategy == "probabilistic" and not (full_relink or retrain):
        with connect(home.hub_db) as hub:
            model, existing = stored_model(hub), read_table(hub, "mpi", "records")
            stored_pairs, prior = read_table(hub, "mpi", "pairs"), read_table(hub, "mpi", "crosswalk")
            if (model is not None and existing is not None and stored_pairs is not None and prior is not None
                    and set(prior["strategy"]) == {"probabilistic"}):
                current = standardise_records(read_hub_matching(hub))
                changed = changed_agencies(existing, current)
                if current["agency"].isin(changed).sum() <= len(current) / 2:
                    return _link_incrementally(hub, home, model, existing, stored_pairs,
                                               current[current["agency"].isin(changed)])
    return rebuild_index(home, strategy, retrain=retrain)
