"""The master person index as Dagster assets: thin wrappers over `p20_platform.linkage`.

Metadata carries counts and rates only: the identifiers stay in the hub store.
"""


import dagster as dg
from pydantic import Field

from assets.automation import REBUILD
from assets.owners import HUB
from p20_platform.linkage import STRATEGIES
from p20_platform.linkage.hub import rebuild_index
from p20_platform.linkage.report import evaluate_index
from p20_platform.registry import AGENCIES
from p20_platform.resources import DataHome

DUCKDB_POOL = "duckdb_writer"  # shared with every other DuckDB writer: one writer at a time
MATCHING_ASSETS = [dg.AssetKey([agency.code, "matching"]) for agency in AGENCIES]


class CrosswalkConfig(dg.Config):
    strategy: str = Field(default="probabilistic", description=f"one of {', '.join(STRATEGIES)}")
    retrain: bool = Field(default=False, description="train the probabilistic model again instead of reusing it")


class EvaluationConfig(dg.Config):
    compare_with: list[str] = Field(default=["deterministic", "pet-keys", "pet-bloom"],
                                    description="strategies to score beside the index's own")


@dg.asset(key_prefix="mpi", group_name="mpi", deps=MATCHING_ASSETS, kinds={"duckdb", "splink"},
          pool=DUCKDB_POOL, automation_condition=REBUILD, owners=[HUB],
          description="Records of every agency linked into persons with stable p20_ids.")
def crosswalk(context: dg.AssetExecutionContext, config: CrosswalkConfig, data_home: DataHome
              ) -> dg.MaterializeResult:
    build = rebuild_index(data_home.paths.home, config.strategy, retrain=config.retrain)
    context.log.info(f"linked {build.records} records into {build.persons} persons ({build.strategy})")
    return dg.MaterializeResult(metadata={**build.metadata(), "match_rate": build.match_rate,
                                          "dagster/row_count": build.records})


@dg.asset(key_prefix="mpi", group_name="mpi", deps=[crosswalk], kinds={"duckdb"}, pool=DUCKDB_POOL,
          owners=[HUB],
          description="On demand: match rate, precision/recall against truth, subgroup and agency-pair breakdowns.")
def linkage_evaluation(context: dg.AssetExecutionContext, config: EvaluationConfig, data_home: DataHome
                       ) -> dg.MaterializeResult:
    report = evaluate_index(data_home.paths.home, compare_with=config.compare_with)
    context.log.info(f"linkage evaluation written to {report.path}")
    return dg.MaterializeResult(metadata=report.metadata())

