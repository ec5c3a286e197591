"""The master person index as Dagster assets: thin wrappers over `p20_platform.linkage`.

Metadata carries counts and rates only: the identifiers stay in the hub store.
"""


from collections.abc import Iterator

import dagster as dg
from pydantic import Field

from assets.automation import REBUILD
from assets.owners import HUB
from p20_platform.feeds import feed_key_path
from p20_platform.feeds.stores import connect
from p20_platform.linkage import STRATEGIES
from p20_platform.linkage.checks import stored_index_checks
from p20_platform.linkage.hub import update_index
from p20_platform.linkage.scorecard import evaluate_index
from p20_platform.registry import AGENCIES
from p20_platform.resources import DataHome

DUCKDB_POOL = "duckdb_writer"  # shared with every other DuckDB writer: one writer at a time
MATCHING_ASSETS = [dg.AssetKey(feed_key_path((agency.code, "matching"))) for agency in AGENCIES]
# A run tagged so (the annual job, an operator) relinks every record instead of only new deliveries.
FULL_RELINK_TAG = "p20/full_relink"


class CrosswalkConfig(dg.Config):
    strategy: str = Field(default="probabilistic", description=f"one of {', '.join(STRATEGIES)}")
    retrain: bool = Field(default=False, description="train the probabilistic model again instead of reusing it")
    full_relink: bool = Field(default=False, description="relink every record instead of only the agencies whose "
                              f"delivery changed (also set by the run tag {FULL_RELINK_TAG}=true)")


class EvaluationConfig(dg.Config):
    compare_with: list[str] = Field(default=["deterministic", "pet-keys", "pet-bloom"],
                                    description="strategies to score beside the index's own")


@dg.asset(key_prefix="mpi", group_name="mpi", deps=MATCHING_ASSETS, kinds={"duckdb", "splink"},
          pool=DUCKDB_POOL, automation_condition=REBUILD, owners=[HUB],
          description="Records of every agency linked into persons with stable p20_ids.")
def crosswalk(context: dg.AssetExecutionContext, config: CrosswalkConfig, data_home: DataHome
              ) -> dg.MaterializeResult:
    full_relink = config.full_relink or context.run.tags.get(FULL_RELINK_TAG) == "true"
    build = update_index(data_home.paths, config.strategy, full_relink=full_relink, retrain=config.retrain)
    how = f"incrementally ({build.records_scored} new records scored)" if build.incremental else "in full"
    context.log.info(f"linked {build.records} records into {build.persons} persons ({build.strategy}, {how})")
    return dg.MaterializeResult(metadata={**build.metadata(), "dagster/row_count": build.records})


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("no_oversized_entries", asset=crosswalk,
                             description="No p20_id holds more records than one person can have."),
           dg.AssetCheckSpec("one_identity_per_entry", asset=crosswalk,
                             description="Few p20_ids hold two clearly different birth dates or SSNs."),
           dg.AssetCheckSpec("match_rate_stable", asset=crosswalk,
                             description="The match rate moved little since the previous build.")],
    name="crosswalk_checks", pool=DUCKDB_POOL)
def crosswalk_checks(data_home: DataHome) -> Iterator[dg.AssetCheckResult]:
    with connect(data_home.paths.hub_db) as hub:
        outcomes = stored_index_checks(hub)
    for name, outcome in outcomes.items():
        yield dg.AssetCheckResult(asset_key=crosswalk.key, check_name=name, passed=outcome.passed,
                                  metadata={"summary": outcome.summary, **outcome.metadata})


@dg.asset(key_prefix="mpi", group_name="mpi", deps=[crosswalk], kinds={"duckdb"}, pool=DUCKDB_POOL,
          owners=[HUB],
          description="On demand: match rate, precision/recall against truth, subgroup and agency-pair breakdowns.")
def linkage_evaluation(context: dg.AssetExecutionContext, config: EvaluationConfig, data_home: DataHome
                       ) -> dg.MaterializeResult:
    report = evaluate_index(data_home.paths, compare_with=config.compare_with)
    context.log.info(f"linkage evaluation written to {report.path}")
    return dg.MaterializeResult(metadata=report.metadata())

