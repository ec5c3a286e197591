"""A new delivery rebuilds the index, the marts and the report: real sensors, real instance, real runs."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.feeds import DUCKDB_POOL
from p20_platform.definitions import defs
from p20_platform.quality.catalog import SUITES_BY_MART
from p20_platform.registry import agency
from p20_platform.resources import RESOURCES
from p20_platform.transform import PUBLISHED_DATABASE
from schedules.automation import REBUILD_TAG, rebuild_on_delivery
from schedules.sensors import landing_sensor
from schedules.stale_runs import RUN_MAX_SECONDS

REPORT_KEYS = {dg.AssetKey(["report", "annual_report"]), dg.AssetKey(["report", "crossover_brief"])}
GRAPH = defs.resolve_asset_graph()


def tick(sensor, instance, cursor: str | None):
    return sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources=RESOURCES))


def execute(instance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """The requested run, in process, on the code location's own asset job and resources."""
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=list(request.asset_selection), tags=request.tags, raise_on_error=False)


def built(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def crossover_youth(home: Path) -> int:
    with duckdb.connect(str(home / "published" / PUBLISHED_DATABASE), read_only=True) as published:
        return published.execute("SELECT count(*) FROM marts.crossover_youth_cohort").fetchall()[0][0]


def hub_records(home: Path, agency: str) -> int:
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as hub:
        return hub.execute("SELECT count(*) FROM mpi.records WHERE agency = ?", [agency]).fetchall()[0][0]


def redeliver_two_thirds(home: Path, agency: str, date: str) -> int:
    """A newer delivery of one agency: the first two thirds of its people, matching and analytical alike."""
    folder = home / "landing" / agency
    [matching] = folder.glob("*.matching")
    [analytical] = folder.glob("*.analytical")
    lines = matching.read_text().splitlines(keepends=True)
    kept = lines[:1 + (len(lines) - 1) * 2 // 3]  # half or less is held for confirmation as a sharp drop
    kept_ids = {row["FakeID"] for row in csv.DictReader(io.StringIO("".join(kept)), delimiter="\t")}
    rows = analytical.read_text().splitlines(keepends=True)
    (folder / f"{agency}.000.{date}.matching").write_text("".join(kept))
    (folder / f"{agency}.000.{date}.analytical").write_text(
        "".join(rows[:1] + [row for row in rows[1:] if row.split("\t", 1)[0] in kept_ids]))
    return len(kept) - 1


@pytest.fixture
def instance(fresh_home: Path, monkeypatch: pytest.MonkeyPatch):
    """An instance whose code location's data home (`P20_HOME`, as in a deployment) is the test's copy."""
    monkeypatch.setenv("P20_HOME", str(fresh_home))
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def test_a_new_delivery_rebuilds_the_index_the_marts_and_the_report(fresh_home: Path, instance):
    # Every delivery already in landing is loaded (the landing sensor's first tick, run as one batch).
    first = tick(landing_sensor, instance, None)
    landing_cursor = first.cursor
    loads = execute(instance, dg.RunRequest(
        asset_selection=sorted({key for r in first.run_requests for key in r.asset_selection})))
    assert loads.success

    # The loads trigger one rebuild of everything downstream of the feeds: index, marts, checks, report.
    baseline = tick(rebuild_on_delivery, instance, None)
    [everything] = baseline.run_requests
    rebuilt = execute(instance, everything)
    assert rebuilt.success
    assert {dg.AssetKey(["mpi", "crosswalk"]), dg.AssetKey(["marts", "crossover_youth_cohort"]),
            dg.AssetKey(["marts", "published"])} | (REPORT_KEYS & GRAPH.get_all_asset_keys()) <= built(rebuilt)
    gx_checks = [e.event_specific_data for e in rebuilt.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                 and e.event_specific_data.check_name.startswith("gx_")]
    assert len(gx_checks) == sum(map(len, SUITES_BY_MART.values())) and all(check.passed for check in gx_checks)
    crossover_before, cssd_before = crossover_youth(fresh_home), hub_records(fresh_home, "CSSD")
    brief = fresh_home / "reports" / "crossover" / "crossover_brief.html"
    brief_before = brief.read_text(encoding="utf-8")

    # Nothing new: no rebuild, however often the sensor ticks (no retry storm).
    assert isinstance(tick(rebuild_on_delivery, instance, baseline.cursor), dg.SkipReason)
    # Nor when the sensor starts afresh on a graph built after its loads (make demo, then make ui).
    assert isinstance(tick(rebuild_on_delivery, instance, None), dg.SkipReason)

    # CSSD delivers again with two thirds of its people: two files, two loads, then one rebuild.
    cssd_people = redeliver_two_thirds(fresh_home, "CSSD", "02_15_2026")
    arrivals = tick(landing_sensor, instance, landing_cursor)
    assert sorted(r.asset_selection[0].to_user_string() for r in arrivals.run_requests) == [
        "CSSD/analytical", "CSSD/matching"]
    assert all(execute(instance, request).success for request in arrivals.run_requests)

    after = tick(rebuild_on_delivery, instance, baseline.cursor)
    [rebuild] = after.run_requests
    assert rebuild.tags["p20/updated_feeds"] == "CSSD/analytical,CSSD/matching"
    selected = set(rebuild.asset_selection)
    assert dg.AssetKey(["mpi", "crosswalk"]) in selected and REPORT_KEYS & GRAPH.get_all_asset_keys() <= selected
    assert dg.AssetKey(["mpi", "linkage_evaluation"]) not in selected  # on demand, not every rebuild's step
    # Neither feeds nor what no CSSD file feeds (the seeds) are rebuilt.
    assert not selected & {dg.AssetKey(["CSSD", "matching"]), dg.AssetKey(["DOL", "matching"]),
                           dg.AssetKey(["reference", "ct_towns"])}
    result = execute(instance, rebuild)
    assert result.success
    assert {dg.AssetKey(["mpi", "crosswalk"]), dg.AssetKey(["marts", "published"]), *REPORT_KEYS} <= built(result)

    assert hub_records(fresh_home, "CSSD") == cssd_people < cssd_before
    assert crossover_youth(fresh_home) < crossover_before
    # The brief was written again from the new marts (it carries no timestamp, so only new data changes it).
    assert brief.read_text(encoding="utf-8") != brief_before
    assert isinstance(tick(rebuild_on_delivery, instance, after.cursor), dg.SkipReason)


def test_the_rebuild_waits_while_deliveries_are_still_loading(fresh_home: Path, instance):
    loaded = execute(instance, dg.RunRequest(asset_selection=[dg.AssetKey(["DOC", "analytical"])]))
    assert loaded.success
    queued = instance.create_run_for_job(defs.resolve_implicit_global_asset_job_def(),
                                         asset_selection=frozenset({dg.AssetKey(["DOC", "matching"])}),
                                         status=dg.DagsterRunStatus.STARTED,
                                         tags={"dagster/sensor_name": "landing_sensor"})
    waiting = tick(rebuild_on_delivery, instance, None)
    assert isinstance(waiting, dg.SkipReason) and "waiting for 1 delivery load" in waiting.skip_message

    instance.report_run_canceled(instance.get_run_by_id(queued.run_id))
    [request] = tick(rebuild_on_delivery, instance, None).run_requests
    assert request.tags["p20/updated_feeds"] == "DOC/analytical"
    selected = set(request.asset_selection)
    # Downstream of the load, plus what was never built (a first start): the seeds, the index. Never a feed.
    assert {dg.AssetKey(["staging", "stg_doc__admissions"]), dg.AssetKey(["reference", "ct_towns"]),
            dg.AssetKey(["mpi", "crosswalk"])} <= selected
    assert not selected & {dg.AssetKey(["DOC", "matching"]), dg.AssetKey(["DOC", "analytical"])}


def started_rebuild(instance, minutes_ago: float) -> dg.DagsterRun:
    """A rebuild run whose worker started `minutes_ago` and never recorded an end (as after `dagster dev` died)."""
    run = instance.create_run_for_job(defs.resolve_implicit_global_asset_job_def(),
                                      asset_selection=frozenset({dg.AssetKey(["mpi", "crosswalk"])}),
                                      status=dg.DagsterRunStatus.STARTING, tags={REBUILD_TAG: "true"})
    instance.report_dagster_event(dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=run.job_name),
                                  run.run_id, timestamp=time.time() - minutes_ago * 60)
    return instance.get_run_by_id(run.run_id)


def test_a_rebuild_run_that_cannot_still_be_alive_no_longer_blocks(fresh_home: Path, monkeypatch):
    monkeypatch.setenv("P20_HOME", str(fresh_home))
    with dg.instance_for_test() as instance:  # SQLite storage, as `dagster dev` uses: pools are real
        assert execute(instance, dg.RunRequest(asset_selection=[dg.AssetKey(["DOC", "analytical"])])).success
        # A run younger than the maximum may be working: it blocks, and is left alone.
        fresh = started_rebuild(instance, minutes_ago=RUN_MAX_SECONDS / 60 / 2)
        waiting = tick(rebuild_on_delivery, instance, None)
        assert isinstance(waiting, dg.SkipReason) and "a rebuild is still running" in waiting.skip_message
        assert instance.get_run_by_id(fresh.run_id).status == dg.DagsterRunStatus.STARTED
        instance.report_run_canceled(fresh)

        # One older than the maximum, still holding the DuckDB writers' pool slot, is reported failed,
        # its slot is freed, and the rebuild goes ahead.
        dead = started_rebuild(instance, minutes_ago=RUN_MAX_SECONDS / 60 + 1)
        instance.event_log_storage.set_concurrency_slots(DUCKDB_POOL, 1)
        instance.event_log_storage.claim_concurrency_slot(DUCKDB_POOL, dead.run_id, "mpi__crosswalk")
        [request] = tick(rebuild_on_delivery, instance, None).run_requests
        assert request.tags["p20/updated_feeds"] == "DOC/analytical"
        assert request.tags["dagster/max_runtime"] == str(RUN_MAX_SECONDS)
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        [failure] = instance.all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert "Marked failed by the rebuild_on_delivery sensor" in failure.message
        assert f"longer than its maximum of {RUN_MAX_SECONDS} s" in failure.message
        assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).active_slot_count == 0


def deliver_doc_analytical(home: Path, date: str, rows: list[str]) -> None:
    """A newer DOC analytical delivery: the current file's header followed by `rows`."""
    [current] = sorted((home / "landing" / "DOC").glob("*.analytical"))[:1]
    header = current.read_text().splitlines(keepends=True)[0]
    (home / "landing" / "DOC" / f"DOC.000.{date}.analytical").write_text(header + "".join(rows))


def test_a_rejected_delivery_does_not_rebuild_a_partly_quarantined_one_does(fresh_home: Path, instance):
    load = dg.RunRequest(asset_selection=[dg.AssetKey(["DOC", "analytical"])])
    assert execute(instance, load).success
    first = tick(rebuild_on_delivery, instance, None)
    assert [r.tags["p20/updated_feeds"] for r in first.run_requests] == ["DOC/analytical"]

    # A header and no records: the whole file fails its contract, and the feed keeps its current rows.
    [current] = (fresh_home / "landing" / "DOC").glob("*.analytical")
    rows = current.read_text().splitlines(keepends=True)[1:]
    deliver_doc_analytical(fresh_home, "12_31_2030", [])
    refused = execute(instance, load)  # the feed materializes (recording the rejection), its check warns
    assert refused.success and built(refused) == {dg.AssetKey(["DOC", "analytical"])}
    rejected = tick(rebuild_on_delivery, instance, first.cursor)
    assert isinstance(rejected, dg.SkipReason)
    assert "DOC/analytical (newest delivery rejected)" in rejected.skip_message

    # One bad code among good rows: that row is quarantined, the rest become current, so it rebuilds.
    fields = rows[0].split("\t")
    fields[[e.name for e in agency("DOC").analytical].index("Gender")] = "Q"
    deliver_doc_analytical(fresh_home, "01_31_2031", ["\t".join(fields), *rows[1:]])
    assert execute(instance, load).success
    latest = instance.get_latest_materialization_event(dg.AssetKey(["DOC", "analytical"])).asset_materialization
    assert latest.metadata["status"].value == "loaded" and latest.metadata["rows_quarantined"].value == 1
    [rebuild] = tick(rebuild_on_delivery, instance, first.cursor).run_requests
    assert rebuild.tags["p20/updated_feeds"] == "DOC/analytical"
