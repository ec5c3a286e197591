"""Rebuild on a new delivery: once the landing sensor's loads are done, one run rebuilds what they feed.

The landing sensor (schedules/sensors.py) loads each new file through its feed asset. This sensor
watches the feed assets' materializations and, when some are newer than its cursor, requests one
run of everything downstream of exactly those feeds: the master person index when a matching file
changed, the dbt models that read the feeds or the index, the marts' quality checks (blocking),
the published copy and the report.

Why a sensor and not declarative automation (`AutomationCondition.eager()`): the downstream
assets are defined in several modules (the index, the dbt translator, the report) and would
each need a condition; one sensor keeps the rule in one place, its requests are visible in its
ticks, and it batches: a delivery is two files (matching and analytical) and a first start is
thirty, yet each wave of loads gives one rebuild, not one per file.

Guards against retry storms and wasted work:
- it waits while any landing-sensor run is still queued or running, and while a rebuild runs,
  leaving its cursor alone so the next tick takes in every load of the wave;
- the run key is a checksum of the loads it answers, and Dagster never repeats a run key: a
  failed rebuild is not retried in a loop. The next delivery, the monthly refresh
  (schedules/schedules.py) or an operator's re-execution rebuilds after a fix;
- a load counts as answered when everything the feed feeds directly was materialized after it,
  whatever the cursor says: `make demo` builds the whole graph in one run, and the sensor's first
  tick when `make ui` starts must not rebuild it all again.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from dagster import (AssetKey, AssetSelection, DagsterInstance, DagsterRunStatus, DefaultSensorStatus, RunRequest,
                     RunsFilter, SensorEvaluationContext, SensorResult, SkipReason, sensor)

from p20_platform.feeds import FEEDS, feed_key_path
from schedules import sensors

if TYPE_CHECKING:
    from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

FEED_KEYS = [AssetKey(feed_key_path(feed)) for feed in FEEDS]
REBUILDABLE = AssetSelection.all() - sensors.FEED_SELECTION  # loading feeds is the landing sensor's job
REBUILD_TAG = "p20/rebuild_on_delivery"
LANDING_SENSOR = sensors.landing_sensor.name
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def latest_feed_loads(instance: DagsterInstance) -> dict[str, int]:
    """The storage id of each feed's latest materialization (feeds never loaded are absent)."""
    loads = {}
    for record in instance.get_asset_records(FEED_KEYS):
        storage_id = record.asset_entry.last_materialization_storage_id
        if storage_id is not None:
            loads[record.asset_entry.asset_key.to_user_string()] = storage_id
    return loads


def answered_by_later_build(instance: DagsterInstance, graph: BaseAssetGraph, feed: AssetKey,
                            load_storage_id: int) -> bool:
    """True when every asset the feed directly feeds was materialized after the feed's latest load."""
    children = [key for key in graph.get(feed).child_keys if graph.get(key).is_materializable]
    built = {record.asset_entry.asset_key: record.asset_entry.last_materialization_storage_id or 0
             for record in instance.get_asset_records(children)}
    return bool(children) and all(built.get(key, 0) > load_storage_id for key in children)


def unfinished_runs(instance: DagsterInstance, tags: dict[str, str]) -> int:
    return len(instance.get_run_ids(RunsFilter(tags=tags, statuses=UNFINISHED)))


def rebuild_targets(instance: DagsterInstance, graph: BaseAssetGraph, updated_feeds: list[AssetKey]) -> list[AssetKey]:
    """Everything downstream of the updated feeds, plus every asset (feeds aside) never built yet.

    The second part matters on a first start: the dbt seeds are downstream of no feed, and one of
    them (the town list) is read only by dbt tests, so no lineage leads from a delivery to it.
    """
    downstream = AssetSelection.assets(*updated_feeds).downstream(include_self=False).resolve(graph)
    others = REBUILDABLE.resolve(graph) - downstream
    built = {record.asset_entry.asset_key for record in instance.get_asset_records(list(others))
             if record.asset_entry.last_materialization_record is not None}
    return sorted(downstream | {key for key in others - built if graph.get(key).is_materializable})


@sensor(name="rebuild_on_delivery", target=REBUILDABLE, minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="After new deliveries load, rebuilds the index, marts and report downstream of those feeds.")
def rebuild_on_delivery(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    handled = json.loads(context.cursor or "{}")
    loads = latest_feed_loads(context.instance)
    graph = context.repository_def.asset_graph
    updated = sorted(key for key, storage_id in loads.items() if storage_id > handled.get(key, 0)
                     and not answered_by_later_build(context.instance, graph, AssetKey.from_user_string(key),
                                                     storage_id))
    if not updated:
        return SkipReason("no feed has loaded since the last rebuild")
    loading = unfinished_runs(context.instance, {"dagster/sensor_name": LANDING_SENSOR})
    if loading:
        return SkipReason(f"waiting for {loading} delivery load(s) to finish before rebuilding")
    if unfinished_runs(context.instance, {REBUILD_TAG: "true"}):
        return SkipReason("a rebuild is still running; the next one will take in these loads")
    targets = rebuild_targets(context.instance, graph, [AssetKey.from_user_string(key) for key in updated])
    answered = json.dumps({key: loads[key] for key in updated}, sort_keys=True)
    request = RunRequest(run_key=f"rebuild@{hashlib.sha256(answered.encode()).hexdigest()[:16]}",
                         asset_selection=targets,
                         tags={REBUILD_TAG: "true", "p20/updated_feeds": ",".join(updated)})
    return SensorResult(run_requests=[request], cursor=json.dumps(loads, sort_keys=True))
