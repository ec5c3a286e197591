"""A new delivery rebuilds the index, the marts and the report once: real sensors, real instance, real runs.

The rebuild is Dagster's automation condition sensor evaluating `assets.automation.REBUILD`; each
test ticks it the way the daemon does and executes the run it requests.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._daemon.monitoring.run_monitoring import check_run_timeout  # what the run-monitoring daemon calls

from assets.automation import RUN_MAX_RUNTIME_TAGS, RUN_MAX_SECONDS
from p20_platform.definitions import defs
from p20_platform.quality.catalog import SUITES_BY_MART
from p20_platform.registry import agency
from p20_platform.report.publish import RELEASES
from p20_platform.resources import RESOURCES
from p20_platform.settings import paths
from p20_platform.synth.delivery import redeliver_two_thirds
from p20_platform.transform import PUBLISHED_DATABASE
from schedules.automation import REBUILD_TAG, rebuild_on_delivery
from report_run import instance_dir
from schedules.sensors import landing_sensor
from shared_homes import store_trained_model

REPORT_KEYS = {dg.AssetKey(["report", "annual_report"]), dg.AssetKey(["report", "crossover_brief"])}
GRAPH = defs.resolve_asset_graph()


def tick(sensor, instance, cursor: str | None):
    return sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources=RESOURCES))


class Rebuilds:
    """The automation sensor as the daemon runs it: each tick continues from the previous tick's cursor."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance, self.cursor = instance, None

    def tick(self) -> list[dg.RunRequest]:
        result = tick(rebuild_on_delivery, self.instance, self.cursor)
        self.cursor = result.cursor
        return list(result.run_requests)


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


@pytest.fixture
def instance(fresh_home: Path, monkeypatch: pytest.MonkeyPatch):
    """An instance whose code location's data home (`P20_HOME`, as in a deployment) is the test's copy."""
    monkeypatch.setenv("P20_HOME", str(fresh_home))
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def landing_run(instance, feed: str, status: dg.DagsterRunStatus) -> dg.DagsterRun:
    """A run the landing sensor launched to load one feed, left in `status` (still loading, or dead)."""
    return instance.create_run_for_job(defs.resolve_implicit_global_asset_job_def(),
                                       asset_selection=frozenset({dg.AssetKey.from_user_string(feed)}),
                                       status=status, tags={"dagster/sensor_name": "landing_sensor"})


def only_the_wait_held_back(instance, key: dg.AssetKey, cursor) -> bool:
    """True when every part of REBUILD but `NoDeliveryLoading` is true for `key` (evaluated after `cursor`)."""
    [result] = [r for r in dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor).results
                if r.key == key]
    *dagsters_own, wait = result.child_results
    return all(part.true_subset.size for part in dagsters_own) and not wait.true_subset.size


def test_the_first_deliveries_rebuild_everything_downstream_once(fresh_home: Path, instance):
    # Every delivery in landing is loaded (the landing sensor's first tick, run as one batch).
    first = tick(landing_sensor, instance, None)
    loads = execute(instance, dg.RunRequest(
        asset_selection=sorted({key for r in first.run_requests for key in r.asset_selection})))
    assert loads.success
    # The loads trigger one rebuild of everything downstream of the feeds: index, marts, checks, report. Not run
    # here: the next test starts from a home where the same assets were built (the report run, tests/report_run.py)
    # and runs the rebuilds that follow, the one a new delivery triggers among them.
    rebuilds = Rebuilds(instance)
    [everything] = rebuilds.tick()
    assert everything.tags[REBUILD_TAG] == "true" and everything.tags["dagster/max_runtime"] == str(RUN_MAX_SECONDS)
    assert {dg.AssetKey(["mpi", "crosswalk"]), dg.AssetKey(["marts", "crossover_youth_cohort"]),
            dg.AssetKey(["marts", "published"])} | (REPORT_KEYS & GRAPH.get_all_asset_keys()) <= set(
        everything.asset_selection)
    assert dg.AssetKey(["mpi", "linkage_evaluation"]) not in everything.asset_selection
    assert rebuilds.tick() == []  # requested once, not again on every tick


@pytest.fixture
def demo_built(run, indexed_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the report run's home with its Dagster instance (tests/report_run.py: every delivery loaded,
    the index, dbt, the published marts and report), as `make demo` leaves a home for `make ui`; the code
    location's data home (`P20_HOME`, as in a deployment) is the copy. The index scores with the session's one
    training (`store_trained_model`)."""
    home = tmp_path / "home"
    shutil.copytree(run[0].home_dir, home, symlinks=True)  # published/marts is a link to the current copy
    store_trained_model(indexed_home, home)
    monkeypatch.setenv("P20_HOME", str(home))
    with dg.DagsterInstance.local_temp(str(instance_dir(home))) as instance:
        yield home, instance


def test_a_new_delivery_rebuilds_the_index_the_marts_and_the_report_once(demo_built):
    home, instance = demo_built
    # The sensors start on a built home: the landing sensor loads nothing again (the archive holds every file).
    first = tick(landing_sensor, instance, None)
    assert list(first.run_requests) == []
    landing_cursor = first.cursor
    # What the build did not make (it built the index, the marts and the report, not the governance logs or
    # the analyst docs) is built once; the index, the marts and the report are not rebuilt.
    rebuilds = Rebuilds(instance)
    [rest] = rebuilds.tick()
    assert not set(rest.asset_selection) & {dg.AssetKey(["mpi", "crosswalk"]), dg.AssetKey(["marts", "published"]),
                                            *REPORT_KEYS}
    assert execute(instance, rest).success
    # Nothing new: no rebuild, however often the sensor ticks (no retry storm).
    assert rebuilds.tick() == [] and rebuilds.tick() == []
    # Nor when the sensor starts afresh on the graph built (make demo, then make ui).
    assert Rebuilds(instance).tick() == []
    crossover_before, cssd_before = crossover_youth(home), hub_records(home, "CSSD")
    brief = home / "reports" / "crossover" / "crossover_brief.html"
    brief_before = brief.read_text(encoding="utf-8")
    doc_quarantined = instance.get_latest_materialization_event(dg.AssetKey(["DOC", "DOC_analytical"])
                                                                ).asset_materialization.metadata["rows_quarantined"].value

    # CSSD delivers again with two thirds of its people: two files. While the analytical file is still loading,
    # nothing rebuilds, though Dagster's own eager parts would already rebuild the index.
    cssd_people = redeliver_two_thirds(paths(home), "CSSD", "02_15_2026")
    arrivals = tick(landing_sensor, instance, landing_cursor)
    requests = {r.asset_selection[0].to_user_string(): r for r in arrivals.run_requests}
    assert sorted(requests) == ["CSSD/CSSD_analytical", "CSSD/CSSD_matching"]
    before = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor
    assert execute(instance, requests["CSSD/CSSD_matching"]).success
    loading = landing_run(instance, "CSSD/CSSD_analytical", dg.DagsterRunStatus.STARTED)
    assert rebuilds.tick() == []
    assert only_the_wait_held_back(instance, dg.AssetKey(["mpi", "crosswalk"]), before)
    instance.report_run_canceled(loading)
    assert execute(instance, requests["CSSD/CSSD_analytical"]).success

    # Both files in: one rebuild of what they feed; neither feeds nor what no CSSD file feeds (the seeds).
    [rebuild] = rebuilds.tick()
    selected = set(rebuild.asset_selection)
    assert {dg.AssetKey(["mpi", "crosswalk"]), dg.AssetKey(["staging", "stg_cssd__juvenile_cases"])} <= selected
    assert REPORT_KEYS & GRAPH.get_all_asset_keys() <= selected
    assert dg.AssetKey(["mpi", "linkage_evaluation"]) not in selected  # on demand, not every rebuild's step
    assert not selected & {dg.AssetKey(["CSSD", "CSSD_matching"]), dg.AssetKey(["DOL", "DOL_matching"]),
                           dg.AssetKey(["reference", "ct_towns"])}
    result = execute(instance, rebuild)
    assert result.success
    assert {dg.AssetKey(["mpi", "crosswalk"]), dg.AssetKey(["marts", "published"]), *REPORT_KEYS} <= built(result)
    gx_checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                 and e.event_specific_data.check_name.startswith("gx_")]
    assert len(gx_checks) == sum(map(len, SUITES_BY_MART.values())) and all(check.passed for check in gx_checks)

    assert hub_records(home, "CSSD") == cssd_people < cssd_before
    assert crossover_youth(home) < crossover_before
    # The brief rendered from the new marts differs (it carries no timestamp, so only new data changes it), but a
    # released document is not revised silently: the rendering waits as its pending revision (issue 13).
    assert brief.read_text(encoding="utf-8") == brief_before
    assert "crossover/crossover_brief.html" in json.loads((home / "reports" / RELEASES).read_text())["pending"]
    assert rebuilds.tick() == []

    # A rejected delivery: the feed materializes (recording the rejection) but holds the same delivery.
    load = dg.RunRequest(asset_selection=[dg.AssetKey(["DOC", "DOC_analytical"])])
    [current] = (home / "landing" / "DOC").glob("*.analytical")
    rows = current.read_text().splitlines(keepends=True)[1:]
    deliver_doc_analytical(home, "12_31_2030", [])
    refused = execute(instance, load)  # the feed materializes (recording the rejection), its check warns
    assert refused.success and built(refused) == {dg.AssetKey(["DOC", "DOC_analytical"])}
    assert rebuilds.tick() == []
    # A duplicate of the current delivery under a new name: the feed materializes, holding the same delivery.
    (home / "landing" / "DOC" / "DOC.000.12_31_2031.analytical").write_bytes(current.read_bytes())
    assert built(execute(instance, load)) == {dg.AssetKey(["DOC", "DOC_analytical"])}
    assert rebuilds.tick() == []

    # One bad code among good rows (and the demo's planted faults the rows carry): those rows are quarantined,
    # the rest become current, so it rebuilds.
    fields = rows[0].split("\t")
    fields[[e.name for e in agency("DOC").analytical].index("Gender")] = "Q"
    deliver_doc_analytical(home, "01_31_2032", ["\t".join(fields), *rows[1:]])
    assert execute(instance, load).success
    latest = instance.get_latest_materialization_event(dg.AssetKey(["DOC", "DOC_analytical"])).asset_materialization
    assert latest.metadata["status"].value == "loaded" and latest.metadata["rows_quarantined"].value == doc_quarantined + 1
    [partly] = rebuilds.tick()
    assert dg.AssetKey(["staging", "stg_doc__admissions"]) in partly.asset_selection
    assert dg.AssetKey(["mpi", "crosswalk"]) not in partly.asset_selection


def unfinished_run(instance, keys: set[str], tags: dict[str, str], minutes_ago: float) -> dg.DagsterRun:
    """A run whose worker started `minutes_ago` and never recorded an end (as after `dagster dev` died)."""
    run = instance.create_run_for_job(defs.resolve_implicit_global_asset_job_def(),
                                      asset_selection=frozenset(map(dg.AssetKey.from_user_string, keys)),
                                      status=dg.DagsterRunStatus.STARTING, tags={**tags, **RUN_MAX_RUNTIME_TAGS})
    instance.report_dagster_event(dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=run.job_name),
                                  run.run_id, timestamp=time.time() - minutes_ago * 60)
    return instance.get_run_by_id(run.run_id)


def monitor(instance) -> None:
    """One pass of Dagster's run monitoring over the started runs (what its daemon does every poll)."""
    for record in instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        check_run_timeout(instance, record, logging.getLogger("run_monitoring"), RUN_MAX_SECONDS)


@pytest.mark.parametrize("stuck", ["a load", "a rebuild"])
def test_a_run_that_cannot_still_be_alive_no_longer_blocks(tmp_path: Path, stuck: str):
    """On an empty home the rebuilt assets with no parents (the seeds, the request log, the requestors'
    dictionary) are due at once; an unfinished load or rebuild holds them back until run monitoring
    fails it for running past its `dagster/max_runtime`."""
    due_at_once = {key for key in GRAPH.get_all_asset_keys() - GRAPH.external_asset_keys
                   if GRAPH.get(key).automation_condition is not None and not GRAPH.get(key).parent_keys}
    assert {dg.AssetKey(["reference", "ct_towns"]), dg.AssetKey(["reference", "race_crosswalk"])} <= due_at_once
    tags = {"dagster/sensor_name": "landing_sensor"} if stuck == "a load" else {REBUILD_TAG: "true"}
    keys = {"DOC/DOC_analytical"} if stuck == "a load" else {key.to_user_string() for key in due_at_once}
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        rebuilds = Rebuilds(instance)
        young = unfinished_run(instance, keys, tags, minutes_ago=RUN_MAX_SECONDS / 60 / 2)  # may be working
        assert rebuilds.tick() == []
        monitor(instance)
        assert instance.get_run_by_id(young.run_id).status == dg.DagsterRunStatus.STARTED and rebuilds.tick() == []
        instance.report_run_canceled(young)

        dead = unfinished_run(instance, keys, tags, minutes_ago=RUN_MAX_SECONDS / 60 + 1)
        assert rebuilds.tick() == []
        monitor(instance)
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        canceling = instance.all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_CANCELING)
        assert any(f"exceeding maximum runtime of {RUN_MAX_SECONDS} seconds" in e.message for e in canceling)
        [request] = rebuilds.tick()
        assert set(request.asset_selection) == due_at_once


def deliver_doc_analytical(home: Path, date: str, rows: list[str]) -> None:
    """A newer DOC analytical delivery: the current file's header followed by `rows`; with its matching partner
    (the current matching file's bytes under the same date), or the analytical file would be held for it."""
    [current] = sorted((home / "landing" / "DOC").glob("*.analytical"))[:1]
    header = current.read_text().splitlines(keepends=True)[0]
    (home / "landing" / "DOC" / f"DOC.000.{date}.analytical").write_text(header + "".join(rows))
    [matching] = sorted((home / "landing" / "DOC").glob("*.matching"))[:1]
    (home / "landing" / "DOC" / f"DOC.000.{date}.matching").write_bytes(matching.read_bytes())
