"""Great Expectations suites on the marts as blocking Dagster asset checks.

One multi-asset check per mart reads the mart once and reports one check per suite (ranges,
totals, year_coverage, no_identifiers). Every suite blocks: a failure means the report would
publish wrong totals, a missing year or an identifier, so Dagster skips everything downstream of
the mart in the same run (the published copy and the report). Metadata carries counts and the
path of the HTML page under `reports/quality/`, never values.
"""

from collections.abc import Iterator

from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetCheckSpec,
                     AssetChecksDefinition, MetadataValue, multi_asset_check)
from dagster_dbt import get_asset_key_for_model

from assets.feeds import DUCKDB_POOL
from assets.marts import p20_dbt_models
from p20_platform.quality.catalog import SUITE_DESCRIPTIONS, SUITES_BY_MART
from p20_platform.resources import DataHome


def mart_quality_check(mart: str) -> AssetChecksDefinition:
    key = get_asset_key_for_model([p20_dbt_models], mart)  # any mart's key, estimate's too
    specs = [AssetCheckSpec(f"gx_{suite}", asset=key, blocking=True, description=SUITE_DESCRIPTIONS[suite])
             for suite in SUITES_BY_MART[mart]]

    @multi_asset_check(specs=specs, name=f"{mart}_quality", pool=DUCKDB_POOL,
                       description=f"Great Expectations suites on marts.{mart}.")
    def check(context: AssetCheckExecutionContext, data_home: DataHome) -> Iterator[AssetCheckResult]:
        from p20_platform.quality.mart_validation import validate_mart  # GX loads when a check runs, not with the defs

        results, page = validate_mart(data_home.paths, mart)
        for result in results:
            if not result.passed:
                context.log.warning(f"marts.{mart} failed {result.suite}: {'; '.join(result.failures)}")
            yield AssetCheckResult(
                asset_key=key, check_name=f"gx_{result.suite}", passed=result.passed,
                severity=AssetCheckSeverity.ERROR,
                metadata={**result.metadata(), "failed_expectations": MetadataValue.json(result.failures),
                          "quality_page": MetadataValue.path(str(page))})

    return check


mart_quality_checks = [mart_quality_check(mart) for mart in SUITES_BY_MART]
