"""Rebuild on a new delivery: Dagster's automation condition sensor evaluates `assets.automation.REBUILD`.

Every asset downstream of the feeds carries that condition (the index and report assets in their
decorators, every dbt model and seed through the dbt translator); this sensor evaluates them every
30 seconds and launches one run for what is due. Its runs carry `dagster/max_runtime`, so run
monitoring fails one whose worker died (e.g. `dagster dev` stopped mid-run) and it no longer
blocks the next rebuild. The sensor evaluates in the code location (`use_user_code_server`)
because `REBUILD` holds one hand-written condition, `NoDeliveryLoading` (see assets/automation.py).
"""

from __future__ import annotations

import warnings

import dagster as dg

from assets.automation import FEED_SELECTION, ON_DEMAND_SELECTION, RUN_MAX_RUNTIME_TAGS, SCHEDULED_SELECTION

REBUILD_TAG = "p20/rebuild_on_delivery"

with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)  # use_user_code_server: beta since Dagster 1.9
    rebuild_on_delivery = dg.AutomationConditionSensorDefinition(
        "rebuild_on_delivery", use_user_code_server=True,
        target=dg.AssetSelection.all() - FEED_SELECTION - ON_DEMAND_SELECTION - SCHEDULED_SELECTION,
        default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30,
        run_tags={REBUILD_TAG: "true", **RUN_MAX_RUNTIME_TAGS},
        description="After new deliveries load, rebuilds the index, marts and report downstream of the feeds "
                    "whose current delivery changed.")
