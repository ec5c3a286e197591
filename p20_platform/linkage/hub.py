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
  what the index checks compare a build with;
- `deliveries`: per agency a checksum of the matching rows the latest build linked.
A new delivery is linked against the stored index (`update_index`): only the agencies whose
delivery changed are scored against everyone else, with the saved model, and only the persons
they can reach are clustered again; a full relink is done on demand, when there is no
probabilistic index yet, or when most records changed.
The pseudonymous crosswalk (agency, FakeID, p20_id) is published to the warehouse, schema `mpi`,
with `persons` (p20_id, birth_year, born_by_june_30, sex, wage_linkable): enough to compute age on
June 30 of a report year, and to tell whether wages could have been linked, without a date of
birth or an SSN ever leaving the hub.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from p20_platform.feeds.stores import connect, quote, table_exists
from p20_platform.linkage import STANDARD_COLUMNS, cluster_records, standardise_records
from p20_platform.linkage.index import IdIssuer, assign_p20_ids
from p20_platform.linkage.probabilistic import (
    MATCH_THRESHOLD,
    person_clusters,
    score_new_records,
    score_pairs,
    train_model,
)
from p20_platform.linkage.standardise import cleaning_rules_fingerprint
from p20_platform.linkage.surnames import PAIR_COLUMNS, SURNAME_CHANGE_PAIR
from p20_platform.linkage.truth_scores import REVIEW_WIDTH, clerical_review, match_rate_sql, match_weight
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
                clusters: pd.DataFrame, pairs: pd.DataFrame | None, deliveries: pd.DataFrame, model_trained: bool
                ) -> IndexBuild:
    """Give a full rebuild's persons stable ids and write every hub table, then publish."""
    prior = read_table(connection, "mpi", "crosswalk")
    ids, issuer = assign_p20_ids(clusters, None if prior is None else prior[["record_id", "p20_id"]],
                                 _issuer(connection))
    crosswalk = records[["record_id", "agency", "source_file", "FakeID"]].merge(ids, on="record_id", validate="1:1")
    _write_table(connection, "mpi", "records", records)
    _write_table(connection, "mpi", "crosswalk", crosswalk.assign(strategy=strategy))
    _write_issuer(connection, issuer)
    if pairs is not None:
        _write_table(connection, "mpi", "pairs", pairs)
    else:  # another strategy's pairs would name entries this build no longer has (and feed estimation/splits.py)
        connection.execute("DROP TABLE IF EXISTS mpi.pairs; DROP TABLE IF EXISTS mpi.clerical_review").fetchall()
    return _publish(connection, home, strategy, deliveries, len(records), model_trained, incremental=False)


def _write_issuer(connection: duckdb.DuckDBPyConnection, issuer: IdIssuer) -> None:
    _write_table(connection, "mpi", "id_issuer", pd.DataFrame({"salt": [issuer.salt], "issued": [issuer.issued]}))


def _publish(connection: duckdb.DuckDBPyConnection, home: Paths, strategy: str, deliveries: pd.DataFrame,
             records_scored: int, model_trained: bool, incremental: bool) -> IndexBuild:
    """From the hub's tables as a build left them: the clerical review, the pseudonymous crosswalk and
    person attributes in the warehouse, and the build with the deliveries it linked.

    All in DuckDB on the stored tables, so publishing costs seconds at statewide size whatever the
    build changed."""
    if table_exists(connection, "mpi", "pairs"):
        near = connection.sql("SELECT * FROM mpi.pairs WHERE abs(match_weight - $weight) <= $width",
                              params={"weight": match_weight(MATCH_THRESHOLD), "width": REVIEW_WIDTH})
        _write_table(connection, "mpi", "clerical_review",
                     clerical_review(near.to_arrow_table().to_pandas(), MATCH_THRESHOLD))
    connection.execute("CREATE OR REPLACE TEMP VIEW linked AS SELECT crosswalk.p20_id, records.* EXCLUDE (record_id)"
                       " FROM mpi.records AS records JOIN mpi.crosswalk AS crosswalk USING (record_id)").fetchall()
    published = connection.sql("SELECT agency, \"FakeID\", p20_id FROM mpi.crosswalk").to_arrow_table()
    persons = connection.sql(_PERSON_ATTRIBUTES_SQL, params={"wage_agency": WAGE_AGENCY}).to_arrow_table()
    with connect(home.warehouse_db) as warehouse:
        _write_table(warehouse, "mpi", "crosswalk", published)
        _write_table(warehouse, "mpi", "persons", persons)
    [(records, persons_found)] = connection.execute(
        "SELECT count(*), count(DISTINCT p20_id) FROM mpi.crosswalk").fetchall()
    [(rate,)] = connection.execute(match_rate_sql("(SELECT p20_id AS cluster_id, agency FROM mpi.crosswalk)")).fetchall()
    build = IndexBuild(strategy, records, persons_found, float(rate or 0.0), records_scored, model_trained, incremental)
    history = read_table(connection, "mpi", "builds")
    row = pd.DataFrame({"built_at": [dt.datetime.now(dt.UTC).isoformat()], "strategy": [strategy],
                        "incremental": [incremental], "records": [build.records], "persons": [build.persons],
                        "records_scored": [records_scored], "match_rate": [build.match_rate]})
    _write_table(connection, "mpi", "builds", row if history is None else pd.concat([history, row], ignore_index=True))
    _write_table(connection, "mpi", "deliveries", deliveries)
    return build


# Per p20_id, from `linked` (the index's records with their p20_id): see `person_attributes`.
_PERSON_ATTRIBUTES_SQL = """
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
"""


def person_attributes(records: pd.DataFrame, ids: pd.DataFrame) -> pd.DataFrame:
    """Per p20_id the most frequent valid DOB reduced to birth year and half, the most frequent sex,
    and `wage_linkable`: whether any record of the entry carries a valid SSN or is a wage record.

    UI wage records are linked by SSN alone (they carry no DOB), so a person none of whose records
    holds one can have no wages in the marts whatever the truth; the marts say so instead of
    guessing. Only presence counts, so `ssn` may hold the SSN or a PET strategy's keyed digest of
    it. Ties go to the earliest value so a rebuild on the same records publishes the same table.
    """
    with duckdb.connect() as connection:
        connection.register("linked", records[["record_id", "agency", "dob", "gender", "ssn"]].merge(
            ids, on="record_id", validate="1:1"))
        return connection.sql(_PERSON_ATTRIBUTES_SQL, params={"wage_agency": WAGE_AGENCY}).df()


def rebuild_index(home: Paths | None = None, strategy: str = "probabilistic", *, retrain: bool = False) -> IndexBuild:
    """Link every current delivery in the hub from scratch (reusing the stored model)."""
    home = home or paths()
    with connect(home.hub_db) as hub:
        deliveries = delivery_fingerprints(hub)
        records = standardise_records(read_hub_matching(hub))
        trained, pairs = False, None
        if strategy == "probabilistic":
            model, trained = _model(hub, records, retrain)
            pairs = score_pairs(records, model)
            clusters = person_clusters(records, pairs)
        else:
            clusters = cluster_records(records, strategy, home=home)
        return _save_index(hub, home, strategy, records, clusters, pairs, deliveries, trained)


def delivery_fingerprints(hub: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per agency, the number and a checksum of its current matching rows (the fields a build reads),
    and a checksum of the cleaning rules: DataFrame[agency, rows, checksum, rules].

    Stored with every build (`mpi.deliveries`), so the next build knows which agencies sent something
    new without standardising every record again."""
    selects = []
    for agency in AGENCIES:
        table = agency.code.lower()
        if table_exists(hub, "matching", table):
            columns = {row[0] for row in hub.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = "
                                                     "'matching' AND table_name = ?", [table]).fetchall()}
            values = ", ".join(quote(f) if f in columns else "NULL" for f in (*MATCHING_FIELDS, "source_file"))
            selects.append(f"SELECT '{agency.code}' AS agency, count(*) AS rows, CAST(coalesce(sum(hash({values})), 0)"
                           f" AS VARCHAR) AS checksum FROM matching.{quote(table)}")
    found = (hub.sql(" UNION ALL ".join(selects)).df() if selects
             else pd.DataFrame({"agency": [], "rows": [], "checksum": []}))
    return found.assign(rules=cleaning_rules_fingerprint())


def changed_agencies(built: pd.DataFrame | None, current: pd.DataFrame) -> list[str]:
    """Agencies whose deliveries (`delivery_fingerprints`) differ from those the index was built from: a new
    delivery, a withdrawn one, the same file name with other rows, or other cleaning rules. Every agency
    when the index recorded none (built by an older version)."""
    if built is None:
        return sorted(current["agency"])

    def rows(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        return set(frame[["agency", "rows", "checksum", "rules"]].astype(str).itertuples(index=False, name=None))

    return sorted({row[0] for row in rows(built) ^ rows(current)})


def _link_incrementally(hub: duckdb.DuckDBPyConnection, home: Paths, model: dict[str, Any], changed: list[str],
                        deliveries: pd.DataFrame) -> IndexBuild:
    """Replace the changed agencies' records by their current deliveries and link only those records.

    Only pairs touching the new records are scored, with the stored model. Only the persons a change
    can reach are clustered again: the new records, the entries that held a replaced record, and every
    record linked to them, transitively (a link never crosses out of that region, so the clusters
    and ids are the ones a full re-clustering of the same pairs gives). The hub tables are updated in
    place, in one transaction: a failure leaves the index as it was."""
    present = [code for code in changed if table_exists(hub, "matching", code.lower())]
    new = (standardise_records(read_hub_matching(hub, present)) if present
           else pd.DataFrame({column: pd.Series(dtype="string") for column in STANDARD_COLUMNS}))
    kept = hub.sql("SELECT * FROM mpi.records WHERE NOT list_contains($changed, agency)",
                   params={"changed": changed}).to_arrow_table().to_pandas()
    scored = score_new_records(kept, new, model) if len(new) else None
    del kept
    hub.execute("BEGIN TRANSACTION").fetchall()
    try:
        _replace_records(hub, changed, new, scored)
        if _relink_region(hub):
            _relink(hub)
        hub.execute("COMMIT").fetchall()
    except BaseException:
        hub.execute("ROLLBACK").fetchall()
        raise
    return _publish(hub, home, "probabilistic", deliveries, len(new), False, incremental=True)


def _replace_records(hub: duckdb.DuckDBPyConnection, changed: list[str], new: pd.DataFrame,
                     scored: pd.DataFrame | None) -> None:
    """The changed agencies' records and pairs out, the new ones in; `replaced` and `new_records`
    stay as temporary tables for the relink."""
    hub.execute("CREATE OR REPLACE TEMP TABLE replaced AS SELECT record_id FROM mpi.records"
                " WHERE list_contains($changed, agency)", {"changed": changed}).fetchall()
    hub.execute("DELETE FROM mpi.pairs WHERE record_id_l IN (SELECT record_id FROM replaced)"
                " OR record_id_r IN (SELECT record_id FROM replaced)").fetchall()
    if scored is not None and len(scored):
        hub.register("scored_pairs", scored)
        hub.execute("INSERT INTO mpi.pairs BY NAME SELECT * FROM scored_pairs").fetchall()
        hub.unregister("scored_pairs")
    hub.register("delivered", new)
    hub.execute("CREATE OR REPLACE TEMP TABLE new_records AS SELECT * FROM delivered").fetchall()
    hub.unregister("delivered")
    hub.execute("DELETE FROM mpi.records WHERE list_contains($changed, agency)", {"changed": changed}).fetchall()
    hub.execute("INSERT INTO mpi.records BY NAME SELECT * FROM new_records").fetchall()


# The pairs a relink clusters on: links, and the surname changes that may join two entries.
_RELINK_PAIRS = f"(match_probability >= $t OR {SURNAME_CHANGE_PAIR})"


def _relink_region(hub: duckdb.DuckDBPyConnection) -> int:
    """The records whose person may have changed, as the temporary table `region`: the new records and the other
    records of every entry that held a replaced record, grown along links (pairs at or above the threshold) and
    surname-change pairs (whose entries `surnames.py` may join, one partner each) until closed. Returns how many."""
    hub.execute("""
        CREATE OR REPLACE TEMP TABLE region AS
        SELECT record_id FROM new_records
        UNION
        SELECT crosswalk.record_id FROM mpi.crosswalk AS crosswalk
        JOIN mpi.records USING (record_id)
        WHERE crosswalk.p20_id IN (SELECT p20_id FROM mpi.crosswalk JOIN replaced USING (record_id))
    """).fetchall()
    while True:
        [(grown,)] = hub.execute(f"""
            INSERT INTO region
            SELECT record_id_r FROM mpi.pairs JOIN region ON record_id_l = record_id WHERE {_RELINK_PAIRS}
            UNION
            SELECT record_id_l FROM mpi.pairs JOIN region ON record_id_r = record_id WHERE {_RELINK_PAIRS}
            EXCEPT
            SELECT record_id FROM region
        """, {"t": MATCH_THRESHOLD}).fetchall()
        if not grown:
            break
    return hub.execute("SELECT count(*) FROM region").fetchall()[0][0]


def _relink(hub: duckdb.DuckDBPyConnection) -> None:
    """Cluster the region's records from their links, give the persons ids (inherited where the prior
    crosswalk allows) and write them over the region's and the replaced records' crosswalk rows."""
    records = hub.sql("SELECT * FROM mpi.records JOIN region USING (record_id)").to_arrow_table().to_pandas()
    links = hub.sql(f"SELECT match_probability, {', '.join(PAIR_COLUMNS)} FROM mpi.pairs JOIN region"
                    f" ON record_id_l = record_id WHERE {_RELINK_PAIRS}",
                    params={"t": MATCH_THRESHOLD}).to_arrow_table().to_pandas()
    prior = hub.sql("SELECT record_id, p20_id FROM mpi.crosswalk JOIN region USING (record_id)"
                    ).to_arrow_table().to_pandas()
    taken = {row[0] for row in hub.execute("SELECT DISTINCT p20_id FROM mpi.crosswalk").fetchall()}
    ids, issuer = assign_p20_ids(person_clusters(records, links), prior, _issuer(hub), taken=taken)
    hub.register("relinked", ids)
    hub.execute("DELETE FROM mpi.crosswalk WHERE record_id IN (SELECT record_id FROM replaced)"
                " OR record_id IN (SELECT record_id FROM region)").fetchall()
    hub.execute("""
        INSERT INTO mpi.crosswalk BY NAME
        SELECT records.record_id, records.agency, records.source_file, records."FakeID", relinked.p20_id,
               'probabilistic' AS strategy
        FROM mpi.records AS records JOIN relinked USING (record_id)
    """).fetchall()
    hub.unregister("relinked")
    _write_issuer(hub, issuer)


def _probabilistic_index(hub: duckdb.DuckDBPyConnection) -> bool:
    """Whether the hub holds a whole probabilistic index to link a delivery into."""
    if not all(table_exists(hub, "mpi", table) for table in ("records", "pairs", "crosswalk")):
        return False
    return hub.execute("SELECT DISTINCT strategy FROM mpi.crosswalk").fetchall() == [("probabilistic",)]


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
            model = stored_model(hub)
            if model is not None and _probabilistic_index(hub):
                deliveries = delivery_fingerprints(hub)
                changed = changed_agencies(read_table(hub, "mpi", "deliveries"), deliveries)
                if deliveries.loc[deliveries["agency"].isin(changed), "rows"].sum() <= deliveries["rows"].sum() / 2:
                    return _link_incrementally(hub, home, model, changed, deliveries)
    return rebuild_index(home, strategy, retrain=retrain)
