"""Governance as Dagster assets: the logs, destruction on deadline, agency review, extracts, the dictionary.

Thin wrappers over `p20_platform.governance`. Per filed request (requests/<NUMBER>.yaml, read when
the code location loads): a blocking `agency_review` check on each document it publishes, a
`governance/request_<N>/disseminated` asset that copies an approved build to `published/`, and,
when the request receives one, its `governance/request_<N>/extract`. Metadata holds request
numbers, file names, dates, counts and checksums: never an identifier value.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.automation import REBUILD
from assets.feeds import DUCKDB_POOL
from assets.owners import HUB, OPERATING_GROUP
from p20_platform.feeds import feed_key_path
from p20_platform.feeds.stores import connect
from p20_platform.governance.destruction import at_risk, destroy_due, outstanding
from p20_platform.governance.dictionary import write_dictionary
from p20_platform.governance.extracts import ExtractRefused, build_extract
from p20_platform.governance.logs import MATCH_LOG, REQUEST_LOG, Log, broken_entries, identifier_hits, read_log
from p20_platform.governance.matches import log_matching_inputs, log_passed_on, log_published, log_requests
from p20_platform.governance.requests import FiledRequest, load_request, load_requests
from p20_platform.governance.review import Review, build_id, disseminate, record_pending, review
from p20_platform.governance.standing_index import authority_status
from p20_platform.resources import DataHome
from p20_platform.transform import dbt_project

GROUP = "governance"
CROSSWALK = dg.AssetKey(["mpi", "crosswalk"])
REQUEST_LOG_KEY = dg.AssetKey(["governance", "request_log"])
MATCH_LOG_KEY = dg.AssetKey(["governance", "match_log"])
SHOWN_ENTRIES = 25
PREVIEW_COLUMNS = {REQUEST_LOG.table: ["seq", "logged_at", "request", "event", "name", "type", "board_decision",
                                       "ndas_needed", "ndas_received"],
                   MATCH_LOG.table: ["seq", "logged_at", "request", "event", "file_name", "sender", "receiver",
                                     "date_received", "match_date", "matrix_passed_on", "inputs_destroyed"]}


def _log_metadata(data_home: DataHome, log: Log) -> dict[str, object]:
    with connect(data_home.paths.warehouse_db, read_only=True) as warehouse:
        entries = read_log(warehouse, log)
    recent = entries[PREVIEW_COLUMNS[log.table]].tail(SHOWN_ENTRIES)
    return {"dagster/row_count": len(entries), "table": f"warehouse.duckdb governance.{log.table}",
            "recent_entries": dg.MetadataValue.md(recent.to_markdown(index=False))}


def _log_checks(log: Log, key: dg.AssetKey) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(asset=key, name="append_only", pool=DUCKDB_POOL,
                    description=f"Every {log.table} entry still matches its checksum chain (nothing edited or removed).")
    def append_only(data_home: DataHome) -> dg.AssetCheckResult:
        with connect(data_home.paths.warehouse_db, read_only=True) as warehouse:
            broken = broken_entries(warehouse, log)
        return dg.AssetCheckResult(passed=not broken, metadata={"broken_entries": dg.MetadataValue.json(broken)})

    @dg.asset_check(asset=key, name="no_identifier_values", pool=DUCKDB_POOL,
                    description=f"No SSN, SASID, DOB or full name from the hub's matching tables appears in {log.table}.")
    def no_identifier_values(data_home: DataHome) -> dg.AssetCheckResult:
        paths = data_home.paths
        if not paths.hub_db.exists():
            return dg.AssetCheckResult(passed=True, metadata={"hub": "no hub store yet: no identifiers to look for"})
        with connect(paths.warehouse_db, read_only=True) as warehouse, connect(paths.hub_db, read_only=True) as hub:
            hits = identifier_hits(warehouse, hub, log)
        return dg.AssetCheckResult(passed=not any(hits.values()), metadata=hits)

    return [append_only, no_identifier_values]


@dg.asset(key=REQUEST_LOG_KEY, group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL,
          automation_condition=REBUILD, owners=[OPERATING_GROUP],
          description="The request log: each request version filed, each agency approval, each publication.")
def request_log(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
    counts = log_requests(data_home.paths, load_requests(), context.run.run_id)
    status = authority_status(data_home.paths)
    return dg.MaterializeResult(metadata={**counts, **_log_metadata(data_home, REQUEST_LOG),
                                          "standing_index_authority": status.message})


@dg.asset(key=MATCH_LOG_KEY, group_name=GROUP, deps=[CROSSWALK], kinds={"duckdb"}, pool=DUCKDB_POOL,
          automation_condition=REBUILD, owners=[HUB],
          description="The match log: matching files received and matched (with their destruction deadline), "
                      "matrices passed on, inputs destroyed.")
def match_log(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
    counts = log_matching_inputs(data_home.paths, load_requests(), context.run.run_id)
    return dg.MaterializeResult(metadata={**counts, **_log_metadata(data_home, MATCH_LOG)})


log_checks = [*_log_checks(REQUEST_LOG, REQUEST_LOG_KEY), *_log_checks(MATCH_LOG, MATCH_LOG_KEY)]


@dg.asset_check(asset=CROSSWALK, name="standing_index_authority", pool=DUCKDB_POOL,
                description="The identifiers the hub keeps between builds (matching.<agency>, mpi.*) are covered by "
                            "an approved, current decision declared in requests/standing_index.yaml; fails, "
                            "naming what is kept, when none is.")
def standing_index_authority(context: dg.AssetCheckExecutionContext, data_home: DataHome) -> dg.AssetCheckResult:
    status = authority_status(data_home.paths)
    if not status.passed:
        context.log.error(f"STANDING INDEX: {status.message}")
    elif status.kept:
        context.log.warning(f"standing index: {status.message}")
    return dg.AssetCheckResult(passed=status.passed, severity=dg.AssetCheckSeverity.ERROR,
                               description=status.message,
                               metadata={"status": status.message, "kept": dg.MetadataValue.json(status.kept),
                                         "declared": dg.MetadataValue.json(status.declared or {})})


class DestructionConfig(dg.Config):
    as_of: str = Field(default="", description="the clock, ISO date-time in UTC; empty: now")


DEADLINES_CHECK = "deadlines_met"


@dg.asset(key=["governance", "destruction"], group_name=GROUP, deps=[MATCH_LOG_KEY], kinds={"duckdb"},
          pool=DUCKDB_POOL, owners=[HUB],
          check_specs=[dg.AssetCheckSpec(DEADLINES_CHECK, asset=dg.AssetKey(["governance", "destruction"]),
                                         description="No matching input is past, or about to pass, its "
                                                     "destruction deadline")],
          description="Destroys each matching file's inputs (landing, archive, quarantined hub identifier rows) when their "
                      "deadline is due (matched files, and files rejected, duplicated or superseded, which never will "
                      "be), keeps the current delivery before its match, and writes a certificate to the match log.")
def destruction(context: dg.AssetExecutionContext, config: DestructionConfig, data_home: DataHome):
    paths = data_home.paths
    now = dt.datetime.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(dt.UTC).replace(tzinfo=None)
    destroyed = destroy_due(paths, context.run.run_id, now) if paths.warehouse_db.exists() else None
    left = outstanding(paths) if paths.warehouse_db.exists() else []
    risky = at_risk(paths, now) if left else []
    for item in risky:
        context.log.error(f"DESTRUCTION DEADLINE: {item.file_name} (request {item.request}, {item.reason}) must be "
                          f"destroyed by {item.destroy_by.isoformat()} and still exists")
    yield dg.MaterializeResult(metadata={
        "as_of": now.isoformat(), "destroyed_now": 0 if destroyed is None else len(destroyed),
        "destroyed_files": dg.MetadataValue.json([] if destroyed is None else destroyed["file_name"].tolist()),
        "outstanding": len(left), "next_deadlines": dg.MetadataValue.json([i.describe() for i in left[:10]])})
    yield dg.AssetCheckResult(check_name=DEADLINES_CHECK, passed=not risky, severity=dg.AssetCheckSeverity.ERROR,
                              metadata={"at_risk": dg.MetadataValue.json([i.describe() for i in risky])})


@dg.asset(key=["governance", "data_dictionary"], group_name=GROUP, kinds={"html"},
          automation_condition=REBUILD, owners=[OPERATING_GROUP],
          description="The requestors' data dictionary (published/dictionary/index.html): what each agency holds, "
                      "under which law, from the feed contracts, the agencies' dictionaries and the dbt docs.")
def data_dictionary(data_home: DataHome) -> dg.MaterializeResult:
    page = write_dictionary(data_home.paths, dbt_project.manifest_path)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(page))})


def _documents(instance: dg.DagsterInstance, key: dg.AssetKey) -> list[Path]:
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None or "paths" not in event.asset_materialization.metadata:
        raise dg.Failure(f"{key.to_user_string()} has not built a document yet")
    return [Path(p) for p in event.asset_materialization.metadata["paths"].value]


def _review(data_home: DataHome, filed: FiledRequest, documents: list[Path]) -> Review:
    build = build_id(documents)
    record_pending(data_home.paths, filed.request.number, build, documents)
    return review(load_request(filed.path).request, build, filed.path.parent)


def _review_check(filed: FiledRequest, key: dg.AssetKey) -> dg.AssetChecksDefinition:
    number = filed.request.number

    @dg.asset_check(asset=key, name="agency_review", blocking=True,
                    description=f"Request {number}: every agency whose data the document uses approved this "
                                f"build (`p20 approve {number} --agency CODE`); publishing waits until then.")
    def agency_review(context: dg.AssetCheckExecutionContext, data_home: DataHome) -> dg.AssetCheckResult:
        status = _review(data_home, filed, _documents(context.instance, key))
        return dg.AssetCheckResult(passed=status.cleared, metadata=status.metadata())

    return agency_review


def request_definitions(filed: FiledRequest) -> list:
    """The review checks, dissemination and extract assets of one filed request."""
    request, number = filed.request, filed.request.number
    prefix = ["governance", f"request_{number}"]
    definitions: list = []
    publications = [dg.AssetKey(p.asset.split("/")) for p in request.publications]
    if request.extract:
        extract_key = dg.AssetKey([*prefix, "extract"])
        publications.append(extract_key)

        @dg.asset(key=extract_key, group_name=GROUP, pool=DUCKDB_POOL, kinds={"parquet"},
                  automation_condition=REBUILD, owners=[OPERATING_GROUP],
                  deps=[CROSSWALK, MATCH_LOG_KEY, *[dg.AssetKey(feed_key_path((code, "analytical"))) for code in request.agencies]],
                  description=f"Request {number} ({request.name}): approved elements only, keyed by a "
                              f"per-request pseudonym; and its protected summary for publication.")
        def extract(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
            current = load_request(filed.path).request
            try:
                built = build_extract(data_home.paths, current)
            except ExtractRefused as refused:
                raise dg.Failure(f"no extract: {refused}") from refused
            log_passed_on(data_home.paths, current, [f.name for f in built.files], context.run.run_id)
            return dg.MaterializeResult(metadata=built.metadata())

        definitions.append(extract)

    definitions += [_review_check(filed, key) for key in publications]

    if publications:
        @dg.asset(key=[*prefix, "disseminated"], group_name=GROUP, deps=publications, kinds={"html"}, pool=DUCKDB_POOL,
                  automation_condition=REBUILD, owners=[OPERATING_GROUP],
                  description=f"Request {number}'s documents, published once every agency approved the build.")
        def disseminated(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
            published, builds = [], []
            for key in publications:
                documents = _documents(context.instance, key)
                status = _review(data_home, filed, documents)
                if not status.cleared:
                    raise dg.Failure(f"request {number}: {key.to_user_string()} waits for the approval of "
                                     f"{', '.join(status.waiting_for)}", metadata=status.metadata())
                copies = disseminate(data_home.paths, number, documents)
                log_published(data_home.paths, load_request(filed.path).request, status.build,
                              [c.name for c in copies], list(status.approved_by), context.run.run_id)
                published += [str(c) for c in copies]
                builds.append(status.build)
            return dg.MaterializeResult(metadata={"published": dg.MetadataValue.json(published),
                                                  "builds": dg.MetadataValue.json(builds),
                                                  "agencies": dg.MetadataValue.json(list(request.agencies))})

        definitions.append(disseminated)
    return definitions


request_assets = [definition for filed in load_requests().values() for definition in request_definitions(filed)]
