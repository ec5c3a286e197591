"""The dbt transforms as Dagster assets, the published read-only copy, and the check against truth.

Every dbt model and seed is an asset; its upstreams come from the dbt sources' `meta.dagster.
asset_key`, so lineage runs from each `<AGENCY>/<AGENCY>_analytical` feed and `mpi/crosswalk` through
staging and intermediate models to the marts. dbt tests become asset checks. dbt opens the
warehouse only while it runs, in the same single-writer pool as the loaders and the index.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, AssetKey,
                     AssetSpec, AutomationCondition, MaterializeResult, MetadataValue, asset)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets, get_asset_key_for_model

from assets.automation import REBUILD
from assets.feeds import DUCKDB_POOL
from assets.owners import OPERATING_GROUP
from p20_platform.evaluation.marts import compare_marts_with_truth
from p20_platform.resources import DataHome
from p20_platform.transform import MART_TABLES, dbt_cli_resource, dbt_project, prune_dbt_targets, publish_marts

SEED_GROUP = "staging"


class P20DbtTranslator(DagsterDbtTranslator):
    """Every dbt asset: a group per layer (the folder under models/), the rebuild condition, an owner,
    and a description on every dbt test."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return SEED_GROUP
        return dbt_resource_props["fqn"][1]

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        return REBUILD

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        return [OPERATING_GROUP]

    def get_asset_check_spec(self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: Any) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=test_description(manifest["nodes"][unique_id]))


def test_description(test: Mapping[str, Any]) -> str:
    """The test's own description, or what a generic test asserts (`not_null` on p20_id, ...)."""
    if test.get("description"):
        return test["description"]
    generic = test.get("test_metadata")
    if not generic:
        return f"Singular dbt test {test['name']} (tests/singular/{test['name']}.sql): returns no rows."
    arguments = {k: v for k, v in generic.get("kwargs", {}).items() if k not in {"model", "column_name"}}
    column = generic.get("kwargs", {}).get("column_name")
    what = f"{generic['name']} on column {column}" if column else generic["name"]
    return f"dbt test: {what}" + (f" ({json.dumps(arguments, sort_keys=True)})" if arguments else "")


# Both mpi tables (crosswalk and persons) come from the one mpi/crosswalk asset.
translator = P20DbtTranslator(DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))

# The dbt models that read the hub's estimate (marts/undecided_status), which reads the person-year mart.
# They are their own dbt assets definition: in one definition with the rest, that cycle through a Python
# asset made Dagster split the dbt step in three (the seeds alone in one), each paying dbt's start-up.
ESTIMATE_MODELS = "source:estimation+"


def _dbt_build(context: AssetExecutionContext, data_home: DataHome):
    """`dbt build` (seeds, models and tests) of the selected dbt assets against this run's data home.

    Not `.fetch_row_counts()`: it queries the warehouse through a dbt-duckdb adapter inside this
    process, while the dbt subprocess writes it, and keeps that connection open afterwards, so the
    blocking quality checks that open the warehouse read-only next fail ("Can't open a connection
    to same database file with a different configuration").
    """
    dbt_vars = json.dumps({"p20_home": str(data_home.paths.home_dir)})
    yield from dbt_cli_resource().cli(["build", "--vars", dbt_vars], context=context).stream()
    prune_dbt_targets()  # in every run, however started (the UI, a sensor, a schedule, `p20 materialize`)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator,
            pool=DUCKDB_POOL, name="p20_dbt", exclude=ESTIMATE_MODELS)
def p20_dbt_models(context: AssetExecutionContext, data_home: DataHome):
    """The seeds, staging, intermediate models and marts up to the person-year mart, with their dbt tests."""
    yield from _dbt_build(context, data_home)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator,
            pool=DUCKDB_POOL, name="p20_dbt_estimate", select=ESTIMATE_MODELS)
def estimate_dbt_models(context: AssetExecutionContext, data_home: DataHome):
    """The hub's estimate staged, and the counts mart that reads it, with their dbt tests."""
    yield from _dbt_build(context, data_home)


DBT_ASSETS = (p20_dbt_models, estimate_dbt_models)
# Either definition resolves any model's key (get_asset_key_for_model takes one): they share manifest and translator.
MART_KEYS = [get_asset_key_for_model([p20_dbt_models], table) for table in MART_TABLES]


@asset(key=AssetKey(["marts", "published"]), deps=MART_KEYS, group_name="marts", kinds={"duckdb", "parquet"},
       pool=DUCKDB_POOL, automation_condition=REBUILD, owners=[OPERATING_GROUP])
def published_marts(data_home: DataHome) -> MaterializeResult:
    """A read-only copy of the marts (DuckDB file and Parquet) analysts open while the platform runs."""
    rows = publish_marts(data_home.paths)
    return MaterializeResult(metadata={"rows": MetadataValue.json(rows),
                                       "published_to": str(data_home.paths.published)})


MARTS_CHECK = "marts_match_truth"
NO_TRUTH_MESSAGE = ("No truth present: this data home holds no synthetic ground truth (as in every real "
                    "deployment), so the marts cannot be compared with it; nothing was judged.")


@asset(key=AssetKey(["evaluation", "marts_vs_truth"]), deps=MART_KEYS, group_name="evaluation",
       kinds={"duckdb"}, pool=DUCKDB_POOL, automation_condition=REBUILD, owners=[OPERATING_GROUP],
       check_specs=[AssetCheckSpec(MARTS_CHECK, asset=AssetKey(["evaluation", "marts_vs_truth"]),
                                   description="At-risk counts per year within 2%, disconnected estimates within "
                                               "5% with truth in the 90% interval in most years, pathway shares "
                                               "within 2 points, mean years to crossover within 0.5; passes with "
                                               "a note where no truth exists")])
def marts_vs_truth(context: AssetExecutionContext, data_home: DataHome):
    """The marts next to the synthetic truth: with the real index, the at-risk gap measures linkage
    error and the disconnected rows judge the estimate through the wage-linkage gap. A real deployment
    has no truth: the check then passes and says so (nothing to compare is not a failure)."""
    paths = data_home.paths
    if not (paths.truth / "status.parquet").exists():
        message = NO_TRUTH_MESSAGE
        context.log.info(message)
        yield MaterializeResult(metadata={"truth": "absent", "message": message})
        yield AssetCheckResult(check_name=MARTS_CHECK, passed=True, metadata={"message": message})
        return
    comparison = compare_marts_with_truth(paths)
    paths.reports.mkdir(parents=True, exist_ok=True)
    report = paths.reports / "marts_vs_truth.md"
    report.write_text(comparison.to_markdown() + "\n")
    summary = comparison.summary()
    context.log.info(f"marts vs truth: {'passed' if comparison.passed else 'not passed'} {summary}")
    yield MaterializeResult(metadata={
        **summary,
        "report": MetadataValue.path(str(report)),
        "status_counts": MetadataValue.md(comparison.status_counts.to_markdown(index=False, floatfmt=".4f")),
        "disconnected_estimates": MetadataValue.md(comparison.yearly_estimates.to_markdown(index=False, floatfmt=".4f")),
        "pathways": MetadataValue.md(comparison.pathways.to_markdown(index=False, floatfmt=".4f")),
    })
    yield AssetCheckResult(check_name=MARTS_CHECK, passed=comparison.passed, severity=AssetCheckSeverity.WARN,
                           metadata=summary)
