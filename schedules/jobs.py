"""Jobs over asset selections: the marts refresh and the annual report.

The report assets are selected by key string (`key:"report/annual_report"`), not by importing
their module: that selection resolves to nothing rather than failing while a code location has
no report assets, so the jobs never break the definitions. Asset checks on the selected assets
(dbt tests, the blocking Great Expectations suites) run in the same job, which is what lets a
failed suite stop the report.
"""

from dagster import AssetSelection, define_asset_job

from assets.estimation import undecided_status
from assets.marts import p20_dbt_models, published_marts

REPORT_KEYS = ("report/annual_report", "report/crossover_brief")

MARTS_SELECTION = AssetSelection.assets(p20_dbt_models, undecided_status, published_marts)
REPORT_SELECTION = AssetSelection.from_string(" or ".join(f'key:"{key}"' for key in REPORT_KEYS))

marts_refresh_job = define_asset_job(
    "marts_refresh", selection=MARTS_SELECTION,
    description="dbt build of staging, intermediate and marts (with dbt tests and the GX suites), then the "
                "published copy, from the feeds and index as they stand.")

annual_report_job = define_asset_job(
    "annual_report", selection=MARTS_SELECTION | REPORT_SELECTION,
    description="The marts rebuilt and checked, then the statutory report, in one run: a blocking "
                "quality check that fails stops the report from publishing.")
