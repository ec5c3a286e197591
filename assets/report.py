"""The published documents as Dagster assets: the annual disconnected-youth report and the crossover brief.

Both read the published marts copy and the latest `mpi/linkage_evaluation` metadata, protect
every table together and fail with the audit's findings instead of publishing when a cell
could be recovered. Metadata: paths, years, how many cells were shown and suppressed, the
audit result; never a cell's value.
"""

import dagster as dg
from pydantic import Field

from assets.automation import REBUILD
from assets.owners import OPERATING_GROUP
from p20_platform.disclosure import DisclosureViolation
from p20_platform.report import (EVALUATION_ASSET, Publication, linkage_quality, protect_annual_report,
                                 protect_crossover_brief, publish_annual_reports, publish_crossover_brief, read_mart)
from p20_platform.report.crossover import SUMMARY_MART
from p20_platform.report.disconnected import COUNTS_MART, FACTORS_MART
from p20_platform.resources import DataHome

PUBLISHED_MARTS = dg.AssetKey(["marts", "published"])
LINKAGE_EVALUATION = dg.AssetKey(EVALUATION_ASSET.split("/"))


class AnnualReportConfig(dg.Config):
    report_years: list[int] = Field(default=[], description="report years to publish; empty: the latest in the marts")


def _linkage(context: dg.AssetExecutionContext):
    """The latest linkage evaluation's per-strategy scores as plain values."""
    event = context.instance.get_latest_materialization_event(LINKAGE_EVALUATION)
    if event is None or event.asset_materialization is None:
        raise dg.Failure(f"no {EVALUATION_ASSET} materialization yet: the reports cite the linkage quality; "
                         f"materialize {EVALUATION_ASSET} first")
    return linkage_quality({k: v.value for k, v in event.asset_materialization.metadata.items()})


def _published(context: dg.AssetExecutionContext, publish, *args) -> Publication:
    try:
        publication = publish(*args)
    except DisclosureViolation as violation:
        raise dg.Failure(description=f"not published: {violation}", metadata={
            "audit": "failed", "violations": len(violation.violations),
            "checks": dg.MetadataValue.json(violation.violations["check"].value_counts().to_dict())}) from violation
    context.log.info(f"published {len(publication.paths)} document(s): {publication.cells_shown} cells shown, "
                     f"{publication.cells_suppressed} suppressed")
    return publication


@dg.asset(key=["report", "annual_report"], group_name="report", deps=[PUBLISHED_MARTS, LINKAGE_EVALUATION],
          kinds={"html"}, automation_condition=REBUILD, owners=[OPERATING_GROUP], description="The statutory annual report on at-risk and disconnected youth.")
def annual_report(context: dg.AssetExecutionContext, config: AnnualReportConfig, data_home: DataHome
                  ) -> dg.MaterializeResult:
    home = data_home.paths
    counts = read_mart(home, COUNTS_MART)
    years = config.report_years or [int(counts["report_year"].max())]
    tables = protect_annual_report(counts, read_mart(home, FACTORS_MART), years)
    publication = _published(context, publish_annual_reports, tables, home.reports, _linkage(context))
    return dg.MaterializeResult(metadata={**publication.metadata(), "report_years": list(tables.report_years)})


@dg.asset(key=["report", "crossover_brief"], group_name="report", deps=[PUBLISHED_MARTS, LINKAGE_EVALUATION],
          kinds={"html"}, automation_condition=REBUILD, owners=[OPERATING_GROUP], description="Crossover youth: pathways, time to crossover, match rate by strategy.")
def crossover_brief(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
    home = data_home.paths
    tables = protect_crossover_brief(read_mart(home, SUMMARY_MART))
    publication = _published(context, publish_crossover_brief, tables, home.reports, _linkage(context))
    return dg.MaterializeResult(metadata=publication.metadata())
