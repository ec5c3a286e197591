"""The published documents as Dagster assets: the annual disconnected-youth report and the crossover brief.

Both read the published marts copy and the linkage scores `mpi/linkage_evaluation` wrote to the
hub table `mpi.linkage_scores` (or, where the on-demand evaluation is older than the index, the
index's own match rate from `mpi.builds`): tables, not run metadata. They protect
every table together and fail with the audit's findings instead of publishing when a cell
could be recovered. Metadata: paths, years, how many cells were shown and suppressed, the
audit result; never a cell's value.
"""

import dagster as dg
from pydantic import Field

from assets.automation import REBUILD
from assets.owners import OPERATING_GROUP
from p20_platform.analyst_docs import write_data_dictionary, write_dbt_docs
from p20_platform.disclosure import DisclosureViolation
from p20_platform.report import (EVALUATION_ASSET, LinkageNotRecorded, Publication, protect_annual_report,
                                 protect_crossover_brief, publish_annual_reports, publish_crossover_brief,
                                 read_build_info, read_linkage_quality, read_mart)
from p20_platform.report.crossover import SUMMARY_MART
from p20_platform.report.disconnected import COUNTS_MART, FACTORS_MART
from p20_platform.report.dashboard import publish_dashboard
from p20_platform.report.pdf import browser, print_pdf
from p20_platform.resources import DataHome
from p20_platform.settings import Paths

PUBLISHED_MARTS = dg.AssetKey(["marts", "published"])
LINKAGE_EVALUATION = dg.AssetKey(EVALUATION_ASSET.split("/"))


class AnnualReportConfig(dg.Config):
    report_years: list[int] = Field(default=[], description="report years to publish; empty: every year in the marts")


def _linkage(home: Paths):
    """The per-strategy scores the documents cite, read from the hub's score tables. The evaluation runs
    on demand (not in the main job): where none was run since the index was last built, the index's
    own match rate, and the other scores "not scored"."""
    try:
        return read_linkage_quality(home)
    except LinkageNotRecorded as missing:
        raise dg.Failure(str(missing)) from missing


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
    years = config.report_years or sorted(int(y) for y in counts["report_year"].unique())
    tables = protect_annual_report(counts, read_mart(home, FACTORS_MART), years)
    build = read_build_info(home)
    publication = _published(context, publish_annual_reports, tables, home.reports, _linkage(home), build)
    dashboard, years = publish_dashboard(tables, home.reports, home.published, build)
    return dg.MaterializeResult(metadata={**publication.metadata(), "report_years": list(tables.report_years),
                                          "dashboard": dg.MetadataValue.path(str(dashboard)),
                                          "dashboard_revisions_pending": list(years.revisions_pending),
                                          **_pdf(context, publication.paths[-1])})


@dg.asset(key=["report", "crossover_brief"], group_name="report", deps=[PUBLISHED_MARTS, LINKAGE_EVALUATION],
          kinds={"html"}, automation_condition=REBUILD, owners=[OPERATING_GROUP], description="Crossover youth: pathways, time to crossover, match rate by strategy.")
def crossover_brief(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
    home = data_home.paths
    tables = protect_crossover_brief(read_mart(home, SUMMARY_MART))
    publication = _published(context, publish_crossover_brief, tables, home.reports, _linkage(home),
                             read_build_info(home))
    return dg.MaterializeResult(metadata={**publication.metadata(), **_pdf(context, publication.paths[-1])})


def _pdf(context: dg.AssetExecutionContext, html) -> dict:
    """Print the (latest) document to PDF with headless Chromium; say so when no browser is installed."""
    executable = browser()
    if executable is None:
        context.log.warning(f"no PDF of {html.name}: no headless Chromium installed (`make setup` installs it)")
        return {"pdf": "not printed: no headless Chromium"}
    return {"pdf": dg.MetadataValue.path(str(print_pdf(html, executable)))}


@dg.asset(key=["report", "analyst_docs"], group_name="report", deps=[PUBLISHED_MARTS], kinds={"html", "dbt"},
          automation_condition=REBUILD, owners=[OPERATING_GROUP],
          description="The data dictionary of every mart column and dbt's documentation site under published/, "
                      "built from a copy of the published marts, never the warehouse.")
def analyst_docs(context: dg.AssetExecutionContext, data_home: DataHome) -> dg.MaterializeResult:
    home = data_home.paths
    dictionary = write_data_dictionary(home)
    docs, rebuilt = write_dbt_docs(home)
    context.log.info(f"data dictionary: {dictionary}; dbt docs: {docs}"
                     + ("" if rebuilt else " (dbt project unchanged: kept)"))
    return dg.MaterializeResult(metadata={"data_dictionary": dg.MetadataValue.path(str(dictionary)),
                                          "dbt_docs": dg.MetadataValue.path(str(docs)), "dbt_docs_rebuilt": rebuilt})
