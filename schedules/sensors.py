"""The landing sensor: a run for exactly the feeds whose new deliveries arrived (and the agency's other feed
too when it holds a delivery waiting for its partner or has a new file of its own, so a pair loads in one run,
matching file first, whichever of the files' runs starts first).

Run keys are file + sha256, so a delivery is never run twice and a re-delivery with other bytes
is. The cursor is one readable line, landing/'s fingerprint ("31 landing files, fingerprint
3f2a..."): while it is unchanged no file is read; after a change every file is hashed again and
Dagster's run keys drop what was already requested. Bytes the archive already holds were loaded by
some earlier run (e.g. `make demo` before `make ui` starts the sensor with an empty cursor), so
they request nothing.

The dead-run sensor does between runs what every run does as it starts (`run_control.clear_leftovers`): under
`dagster dev` the run queue would hold back the run that was to clear a dead one.
"""

from __future__ import annotations

from dagster import (AssetKey, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason,
                     sensor)

from assets.automation import FEED_SELECTION, LANDING_SENSOR, RUN_MAX_RUNTIME_TAGS
from p20_platform.feeds import feed_key_path, scan_landing
from p20_platform.feeds.status import held_feeds
from p20_platform.feeds.archive import archive_path
from p20_platform.resources import DataHome
from p20_platform.run_control import clear_leftovers


@sensor(name=LANDING_SENSOR, target=FEED_SELECTION, minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description="Watches landing/ and loads each new or changed delivery through its feed asset.")
def landing_sensor(context: SensorEvaluationContext, data_home: DataHome) -> SensorResult:
    arrivals, fingerprint = scan_landing(data_home.paths, context.cursor)
    new = [arrival for arrival in arrivals if not archive_path(data_home.paths.archive, arrival.sha256).exists()]
    # An analytical file loaded alone, before its matching partner, is checked against the FakeIDs of the matching
    # file still current and held; the partner's run would then make the new matching file current beside the old
    # analytical one. Hence the pair in each run.
    pending = (held_feeds(data_home.paths) | {arrival.feed for arrival in new}) if new else set()
    requests = [RunRequest(run_key=arrival.run_key, asset_selection=_selection(arrival.feed, pending),
                           tags={"p20/landing_file": arrival.relative_path, **RUN_MAX_RUNTIME_TAGS})
                for arrival in new]
    return SensorResult(run_requests=requests, cursor=fingerprint)


def _selection(feed, pending) -> list[AssetKey]:
    """The arrival's feed, then the agency's other feed when it has a delivery to load too (a new file, or one held
    waiting for its partner)."""
    keys = [AssetKey(feed_key_path(feed))]
    if feed is not None:
        other = (feed[0], "analytical" if feed[1] == "matching" else "matching")
        if other in pending:
            keys.append(AssetKey(feed_key_path(other)))
    return keys


@sensor(name="dead_runs", minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING,
        description="Marks failed every run whose process is gone and frees the duckdb_writer pool slots it held. "
                    "Under `dagster dev` a run whose worker died (or that was in flight when `dagster dev` itself "
                    "was killed) stays STARTED and keeps its slot, and the run queue then holds back every later "
                    "run of the pool, so no run ever starts to clear it.")
def dead_runs(context: SensorEvaluationContext, data_home: DataHome) -> SkipReason:
    return SkipReason(clear_leftovers(context.instance, data_home.paths).describe() or "no run left anything to clear")
