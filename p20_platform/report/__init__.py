"""The published documents: the statutory annual disconnected-youth report and the crossover brief.

From the published marts to self-contained HTML: `protect_annual_report` / `protect_crossover_brief`
turn mart rows into count tables protected together by `p20_platform.disclosure`; `views`
takes every shown number from those tables with a trace to its mart row; `publish_*` audits
the whole set and refuses (`DisclosureViolation`) before writing anything if a cell could be
recovered.
"""

from p20_platform.report.crossover import CrossoverTables, protect_crossover_brief
from p20_platform.report.disconnected import AnnualReportTables, protect_annual_report
from p20_platform.report.linkage import EVALUATION_ASSET, LinkageNotRecorded, read_linkage_quality
from p20_platform.report.marts import read_build_info, read_mart
from p20_platform.report.publish import Publication, publish_annual_reports, publish_crossover_brief

__all__ = ["EVALUATION_ASSET", "AnnualReportTables", "CrossoverTables", "LinkageNotRecorded", "Publication",
           "read_linkage_quality",
           "protect_annual_report", "protect_crossover_brief", "publish_annual_reports", "publish_crossover_brief",
           "read_build_info", "read_mart"]
