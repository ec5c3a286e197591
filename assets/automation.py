"""When assets rebuild on their own: one automation condition for everything downstream of the feeds.

The feeds load when files land (schedules/sensors.py); every other asset carries `REBUILD`, and
one automation condition sensor (schedules/automation.py) evaluates it. `REBUILD` is Dagster's
`AutomationCondition.eager()` with two changes:

- a feed counts as updated only when its data version changed. The feed asset sets its data version
  to the checksum of the delivery its table holds (`current_sha256`), so a delivery the contract
  rejected as a whole, a byte-for-byte duplicate or a superseded one rebuilds nothing, while a
  partly quarantined delivery (its accepted rows become current) does;
- `NoDeliveryLoading`: nothing rebuilds while a landing-sensor run is unfinished. A delivery is
  two files (matching and analytical) and a first start is thirty, loaded by one run each; eager's
  `~any_deps_in_progress()` sees only an asset's direct parents, so the index would rebuild as soon
  as the matching file loaded and everything again when the analytical one did
  (tests/schedules/test_rebuild_on_delivery.py shows both). This is the one hand-written piece.

No retry storms: `since_last_handled()` requests an asset once per upstream change; a failed
rebuild is not requested again until something upstream changes (or the monthly refresh, or an
operator's re-execution). Dead runs: every automated run carries `dagster/max_runtime`, and run
monitoring (dagster.yaml, p20_platform/pipeline.py) fails a run past it, which frees what waits on it.
"""

from __future__ import annotations

import dagster as dg

from p20_platform.feeds import FEEDS, feed_key_path

FEED_SELECTION = dg.AssetSelection.assets(*(dg.AssetKey(feed_key_path(feed)) for feed in (*FEEDS, None)))
# Built only on demand (schedules/jobs.py): the reports cite it when it exists, so its absence holds nothing back.
ON_DEMAND_SELECTION = dg.AssetSelection.assets(dg.AssetKey(["mpi", "linkage_evaluation"]))
# Runs on its own clock (schedules/governance.py): destruction follows deadlines, not deliveries.
SCHEDULED_SELECTION = dg.AssetSelection.assets(dg.AssetKey(["governance", "destruction"]))
LANDING_SENSOR = "landing_sensor"
UNFINISHED = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
              dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]

# Dagster's per-run limit, read by run monitoring. 30 minutes. Measured here: the whole demo build
# (20,000 persons, every load, the index, dbt, 313 checks, the report) takes 1 min 47 s; statewide
# (1.2M persons) the linkage rebuild takes 33 s with the saved model (45 s to retrain), and loading
# all 30 demo files 16 s. A run still going after 30 minutes is hung or dead, with room for
# statewide dbt on a busy 2-core machine; a dead run blocks new rebuilds for at most this long.
RUN_MAX_SECONDS = 1800
RUN_MAX_RUNTIME_TAGS = {"dagster/max_runtime": str(RUN_MAX_SECONDS)}


class NoDeliveryLoading(dg.AutomationCondition):
    """True while no run the landing sensor launched is still queued or running.

    Hand-written because Dagster's `in_progress()` conditions look only at an asset's direct
    parents: waiting for every load of a wave is what makes a delivery's two files (or a first
    start's thirty) one rebuild instead of several.
    """

    @property
    def name(self) -> str:
        return "no_delivery_loading"

    @property
    def description(self) -> str:
        return "No landing-sensor run (a delivery being loaded) is queued or running"

    @property
    def requires_cursor(self) -> bool:
        return False

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        loading = context.asset_graph_view.instance.get_run_ids(
            dg.RunsFilter(tags={"dagster/sensor_name": LANDING_SENSOR}, statuses=UNFINISHED), limit=1)
        return dg.AutomationResult(context, context.get_empty_subset() if loading else context.candidate_subset)


def rebuild_condition() -> dg.AutomationCondition:
    """Eager, with feeds judged by their data version and every load of a wave awaited (see above).

    Unlike eager, an asset never built is built once as soon as its parents exist (eager ignores
    what is missing when the sensor first starts): on a fresh home the seeds, which no delivery
    feeds, and everything else once the first deliveries are in.
    """
    condition = dg.AutomationCondition
    handled = condition.newly_requested() | condition.newly_updated()
    parents_missing = condition.any_deps_missing().ignore(ON_DEMAND_SELECTION)
    never_built = (condition.missing() & ~parents_missing).newly_true().since(handled)
    delivery_changed = condition.any_deps_match(condition.data_version_changed()).allow(FEED_SELECTION)
    upstream_rebuilt = condition.any_deps_updated().ignore(FEED_SELECTION)
    return (
        (never_built.with_label("never built") | (delivery_changed | upstream_rebuilt).since_last_handled())
        & ~parents_missing
        & ~condition.any_deps_in_progress()
        & ~condition.in_progress()
        & NoDeliveryLoading()
    ).with_label("rebuild after a new delivery")


REBUILD = rebuild_condition()
