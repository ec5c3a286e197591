"""The estimate of what the linked data cannot see, as a thin asset between the person-year mart and
the counts mart (dbt runs in two steps around it). Keyed under marts/ because the marts refresh must
rebuild it with the marts; it writes the warehouse schema `estimation`."""

from dagster import AssetKey, AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_dbt import get_asset_key_for_model

from assets.automation import REBUILD
from assets.feeds import DUCKDB_POOL
from assets.marts import p20_dbt_models
from assets.mpi import crosswalk
from assets.owners import HUB
from p20_platform.estimation.publish import publish_undecided_status
from p20_platform.resources import DataHome


# Owned by the hub: it alone reads the names the probabilities are computed from.
@asset(key=AssetKey(["marts", "undecided_status"]), group_name="marts", kinds={"duckdb"}, pool=DUCKDB_POOL,
       automation_condition=REBUILD, owners=[HUB],
       deps=[crosswalk, get_asset_key_for_model([p20_dbt_models], "disconnected_youth_person_year")])
def undecided_status(context: AssetExecutionContext, data_home: DataHome) -> MaterializeResult:
    """Per youth-year whose status rests on unlinkable wages or an unknown diploma, the probability it
    is disconnected, and what links the index left undone add to the disconnected count (hub-side:
    names are used to find wage-only namesakes; only probabilities and expectations leave)."""
    published = publish_undecided_status(data_home.paths)
    point = published.estimate.probabilities[published.estimate.probabilities["replicate"] == 0]
    context.log.info(f"{len(point)} undecided youth-years; expected disconnected {point['p_disconnected'].sum():.0f}")
    corrections = published.corrections
    overcount = ({} if corrections is None else
                 corrections.groupby("report_year")["disconnected_overcount"].sum().round(1).to_dict())
    return MaterializeResult(metadata={
        "undecided_youth_years": len(point),
        "expected_disconnected": float(point["p_disconnected"].sum()),
        "parameters": MetadataValue.md(published.estimate.parameters.to_markdown(index=False)),
        # per report year: disconnected youth-years counted too many in expectation (split persons, jobs left apart)
        "link_overcount_by_year": MetadataValue.json({str(year): value for year, value in overcount.items()}),
    })
