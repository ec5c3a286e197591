"""Jobs over asset selections: the platform's main job, the marts refresh, the annual report, and the
on-demand linkage evaluation.

The main job (`platform`, what `p20 materialize` runs) is every asset but the on-demand ones:
scoring four linkage strategies against truth is a benchmark's or an analyst's question, not a
step every production rebuild should wait for (at 1.2M persons it ran 30 minutes and grew to
18 GB before the marts had started). The reports cite the latest evaluation when there is one.

The report assets are selected by key string (`key:"report/annual_report"`), not by importing
their module: that selection resolves to nothing rather than failing while a code location has
no report assets, so the jobs never break the definitions. Asset checks on the selected assets
(dbt tests, the blocking Great Expectations suites) run in the same job, which is what lets a
failed suite stop the report.
"""

from dagster import AssetSelection, define_asset_job

from assets.automation import ON_DEMAND_SELECTION
from assets.estimation import undecided_status
from assets.marts import DBT_ASSETS, published_marts
from assets.mpi import FULL_RELINK_TAG, crosswalk

REPORT_KEYS = ("report/annual_report", "report/crossover_brief")

MAIN_SELECTION = AssetSelection.all() - ON_DEMAND_SELECTION
MARTS_SELECTION = AssetSelection.assets(*DBT_ASSETS, undecided_status, published_marts)
REPORT_SELECTION = AssetSelection.from_string(" or ".join(f'key:"{key}"' for key in REPORT_KEYS))

marts_refresh_job = define_asset_job(
    "marts_refresh", selection=MARTS_SELECTION,
    description="dbt build of staging, intermediate and marts (with dbt tests and the GX suites), then the "
                "published copy, from the feeds and index as they stand.")

# The annual job relinks every record (run tag FULL_RELINK_TAG): deliveries linked one by one during
# the year against a saved model are relinked together once, before the statutory report uses them.
ANNUAL_SELECTION = AssetSelection.assets(crosswalk) | MARTS_SELECTION | REPORT_SELECTION

annual_report_job = define_asset_job(
    "annual_report", selection=ANNUAL_SELECTION, tags={FULL_RELINK_TAG: "true"},
    description="A full relink of the index with its checks, the marts rebuilt and checked, then the "
                "statutory report, in one run: a blocking quality check that fails stops the report "
                "from publishing.")

platform_job = define_asset_job(
    "platform", selection=MAIN_SELECTION,
    description="Everything from the feeds through the index, dbt, the checks and the published copy to the "
                "reports: what `p20 materialize` and `make demo` run. The linkage evaluation is not in it.")

linkage_evaluation_job = define_asset_job(
    "linkage_evaluation", selection=ON_DEMAND_SELECTION,
    description="On demand: the index and the other linkage strategies scored against the synthetic truth "
                "(match rates only where there is none); the reports cite its latest run.")
