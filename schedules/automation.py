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
  leaving its cursor alone so the next tick takes in every load of the wave; a run that cannot
  still be alive (its worker died with `dagster dev`) is reported failed instead of waited for
  (schedules/stale_runs.py), and rebuild runs carry `dagster/max_runtime` for run monitoring;
- a load that left the feed's data as it was asks for nothing: a delivery the contract rejected
  as a whole, a byte-for-byte duplicate, or one older than the current delivery (superseded).
  The feed asset records `current_sha256`, the delivery whose rows its table holds; a feed counts
  as updated when that differs from what the last rebuild answered. A partly quarantined delivery
  becomes current (its accepted rows load), so it does rebuild;
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

from dagster import (AssetKey, AssetRecordsFilter, AssetSelection, DagsterInstance, DagsterRunStatus,
                     DefaultSensorStatus, EventLogRecord, RunRequest, RunsFilter, SensorEvaluationContext, SensorResult,
                     SkipReason, sensor)

from p20_platform.feeds import FEEDS, feed_key_path
from schedules import sensors
from schedules.jobs import MAIN_SELECTION
from schedules.stale_runs import RUN_MAX_RUNTIME_TAGS, fail_dead_runs

if TYPE_CHECKING:
    from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

FEED_KEYS = [AssetKey(feed_key_path(feed)) for feed in FEEDS]
# loading feeds is the landing sensor's job; the on-demand linkage evaluation is nobody's rebuild
REBUILDABLE = MAIN_SELECTION - sensors.FEED_SELECTION
REBUILD_TAG = "p20/rebuild_on_delivery"
SENSOR_NAME = "rebuild_on_delivery"
HELD_DELIVERY = "current_sha256"  # feed metadata: the delivery whose rows the feed table holds
NO_DELIVERY = "none"  # what the feed asset records before any delivery was accepted
LANDING_SENSOR = sensors.landing_sensor.name
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def latest_feed_loads(instance: DagsterInstance) -> dict[str, EventLogRecord]:
    """Each feed's latest materialization (feeds never loaded are absent)."""
    return {record.asset_entry.asset_key.to_user_string(): record.asset_entry.last_materialization_record
            for record in instance.get_asset_records(FEED_KEYS)
            if record.asset_entry.last_materialization_record is not None}


def held_delivery(load: EventLogRecord | None) -> str | None:
    """The checksum of the delivery a feed's table held after this load (None: the load did not say)."""
    if load is None:
        return NO_DELIVERY
    held = load.asset_materialization.metadata.get(HELD_DELIVERY)
    return None if held is None else held.value


def newest_status(load: EventLogRecord) -> str:
    """What happened to the feed's newest arrival, as the feed asset recorded it (loaded, rejected, ...)."""
    status = load.asset_materialization.metadata.get("status")
    return "unknown" if status is None else status.value


def changed_data(instance: DagsterInstance, feed: AssetKey, load: EventLogRecord, handled_storage_id: int) -> bool:
    """True unless the feed's table holds the same delivery as after the load the last rebuild answered."""
    handled = instance.fetch_materializations(AssetRecordsFilter(asset_key=feed, storage_ids=[handled_storage_id]),
                                              limit=1).records if handled_storage_id else []
    now = held_delivery(load)
    return now is None or now != held_delivery(handled[0] if handled else None)


def answered_by_later_build(instance: DagsterInstance, graph: BaseAssetGraph, feed: AssetKey,
                            load_storage_id: int) -> bool:
    """True when every asset the feed directly feeds was materialized after the feed's latest load."""
    children = [key for key in graph.get(feed).child_keys if graph.get(key).is_materializable]
    built = {record.asset_entry.asset_key: record.asset_entry.last_materialization_storage_id or 0
             for record in instance.get_asset_records(children)}
    return bool(children) and all(built.get(key, 0) > load_storage_id for key in children)


def live_unfinished_runs(context: SensorEvaluationContext, tags: dict[str, str]) -> int:
    """Unfinished runs with these tags, after reporting failed those that cannot still be alive."""
    for message in fail_dead_runs(context.instance, tags, SENSOR_NAME):
        context.log.warning(message)
    return len(context.instance.get_run_ids(RunsFilter(tags=tags, statuses=UNFINISHED)))


def rebuild_targets(instance: DagsterInstance, graph: BaseAssetGraph, updated_feeds: list[AssetKey]) -> list[AssetKey]:
    """Everything rebuildable downstream of the updated feeds, plus every asset (feeds aside) never built yet.

    The second part matters on a first start: the dbt seeds are downstream of no feed, and one of
    them (the town list) is read only by dbt tests, so no lineage leads from a delivery to it.
    """
    downstream = (AssetSelection.assets(*updated_feeds).downstream(include_self=False) & REBUILDABLE).resolve(graph)
    others = REBUILDABLE.resolve(graph) - downstream
    built = {record.asset_entry.asset_key for record in instance.get_asset_records(list(others))
             if record.asset_entry.last_materialization_record is not None}
    return sorted(downstream | {key for key in others - built if graph.get(key).is_materializable})


@sensor(name=SENSOR_NAME, target=REBUILDABLE, minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="After new deliveries load, rebuilds the index, marts and report downstream of those feeds.")
def rebuild_on_delivery(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    handled = json.loads(context.cursor or "{}")
    loads = latest_feed_loads(context.instance)
    graph = context.repository_def.asset_graph
    unanswered = sorted(key for key, load in loads.items() if load.storage_id > handled.get(key, 0)
                        and not answered_by_later_build(context.instance, graph, AssetKey.from_user_string(key),
                                                        load.storage_id))
    updated = [key for key in unanswered
               if changed_data(context.instance, AssetKey.from_user_string(key), loads[key], handled.get(key, 0))]
    if not updated:
        if unanswered:
            statuses = ", ".join(f"{key} (newest delivery {newest_status(loads[key])})" for key in unanswered)
            return SkipReason(f"no rebuild: the loads since the last rebuild left every feed's data as it was"
                              f" (rejected, duplicate or superseded deliveries): {statuses}")
        return SkipReason("no feed has loaded since the last rebuild")
    loading = live_unfinished_runs(context, {"dagster/sensor_name": LANDING_SENSOR})
    if loading:
        return SkipReason(f"waiting for {loading} delivery load(s) to finish before rebuilding")
    if live_unfinished_runs(context, {REBUILD_TAG: "true"}):
        return SkipReason("a rebuild is still running; the next one will take in these loads")
    targets = rebuild_targets(context.instance, graph, [AssetKey.from_user_string(key) for key in updated])
    answered = json.dumps({key: loads[key].storage_id for key in updated}, sort_keys=True)
    request = RunRequest(run_key=f"rebuild@{hashlib.sha256(answered.encode()).hexdigest()[:16]}",
                         asset_selection=targets,
                         tags={REBUILD_TAG: "true", "p20/updated_feeds": ",".join(updated), **RUN_MAX_RUNTIME_TAGS})
    return SensorResult(run_requests=[request],
                        cursor=json.dumps({key: load.storage_id for key, load in loads.items()}, sort_keys=True))
