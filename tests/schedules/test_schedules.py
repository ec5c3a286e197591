"""The calendar: which jobs the schedules start, when, and over which assets and checks."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from assets.automation import REBUILD
from assets.mpi import FULL_RELINK_TAG
from p20_platform.definitions import defs
from p20_platform.quality.catalog import SUITES_BY_MART

GRAPH = defs.resolve_asset_graph()
MARTS = {dg.AssetKey(["marts", mart]) for mart in SUITES_BY_MART}
REPORT = {dg.AssetKey(["report", "annual_report"]), dg.AssetKey(["report", "crossover_brief"])}
EVALUATION = dg.AssetKey(["mpi", "linkage_evaluation"])
CROSSWALK = dg.AssetKey(["mpi", "crosswalk"])
GX_CHECKS = {dg.AssetCheckKey(dg.AssetKey(["marts", mart]), f"gx_{suite}")
             for mart, suites in SUITES_BY_MART.items() for suite in suites}


def evaluate(schedule_name: str, when: dt.datetime) -> dg.RunRequest:
    schedule = defs.resolve_schedule_def(schedule_name)
    [request] = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when)).run_requests
    return request


def job_assets(job_name: str) -> set[dg.AssetKey]:
    return set(defs.resolve_job_def(job_name).asset_layer.executable_asset_keys)


def test_the_schedules_run_the_right_jobs_on_the_right_dates():
    annual, monthly = defs.resolve_schedule_def("annual_report"), defs.resolve_schedule_def("monthly_marts_refresh")
    assert (annual.cron_schedule, annual.job_name) == ("0 6 1 10 *", "annual_report")
    assert (monthly.cron_schedule, monthly.job_name) == ("0 5 1 * *", "marts_refresh")
    for schedule in (annual, monthly):
        assert schedule.execution_timezone == "America/New_York"
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    october_first = dt.datetime(2026, 10, 1, 6, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    request = evaluate("annual_report", october_first)
    assert request.tags["dagster/schedule_name"] == "annual_report" and request.asset_selection is None  # whole job


def test_the_monthly_refresh_rebuilds_and_checks_the_marts_but_loads_nothing():
    assets = job_assets("marts_refresh")
    assert MARTS | {dg.AssetKey(["marts", "published"]), dg.AssetKey(["reference", "ct_towns"])} <= assets
    assert all(key.path[0] in {"staging", "intermediate", "marts", "reference"} for key in assets)
    nodes = set(defs.resolve_job_def("marts_refresh").graph.node_dict)
    assert {f"{mart}_quality" for mart in SUITES_BY_MART} <= nodes
    assert GX_CHECKS <= set(defs.resolve_job_def("marts_refresh").asset_layer.asset_graph.asset_check_keys)


def test_the_annual_job_relinks_in_full_and_builds_the_report_from_marts_checked_in_the_same_run():
    annual = job_assets("annual_report")
    assert job_assets("marts_refresh") < annual
    assert annual - job_assets("marts_refresh") == REPORT & GRAPH.get_all_asset_keys() | {CROSSWALK}
    job = defs.resolve_job_def("annual_report")
    assert GX_CHECKS <= set(job.asset_layer.asset_graph.asset_check_keys)
    assert job.tags[FULL_RELINK_TAG] == "true"  # the crosswalk asset relinks every record under this tag
    assert {check.asset_key for check in job.asset_layer.asset_graph.asset_check_keys} >= {CROSSWALK}


def test_the_rebuild_sensor_runs_by_default_and_every_asset_but_the_feeds_rebuilds_on_its_own():
    sensor = defs.resolve_sensor_def("rebuild_on_delivery")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    targets = sensor.asset_selection.resolve(GRAPH)
    assert dg.AssetKey(["mpi", "crosswalk"]) in targets and MARTS | REPORT & GRAPH.get_all_asset_keys() <= targets
    assert not {key for key in targets if key.path[-1].endswith(("_matching", "_analytical"))}
    assert EVALUATION not in targets
    # Every target carries the one rebuild condition; the feeds carry none (the landing sensor loads them),
    # nor does the on-demand linkage evaluation.
    assert {GRAPH.get(key).automation_condition for key in targets} == {REBUILD}
    assert all(GRAPH.get(key).automation_condition is None for key in GRAPH.get_all_asset_keys() - targets)


def test_the_main_job_builds_everything_but_the_on_demand_linkage_evaluation():
    assert job_assets("platform") == GRAPH.get_all_asset_keys() - GRAPH.external_asset_keys - {EVALUATION}
    assert job_assets("linkage_evaluation") == {EVALUATION}
