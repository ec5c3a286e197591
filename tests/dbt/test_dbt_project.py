"""The dbt project's wiring: Dagster lineage, layers, contracts, manifest preparation, publishing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
from dagster import AssetKey

from assets.feeds import DUCKDB_POOL
from assets.marts import DBT_ASSETS, MART_KEYS
from p20_platform.registry import AGENCIES
from p20_platform.settings import paths
from p20_platform.transform import (CURRENT, DBT_PROJECT_DIR, MART_TABLES, PUBLISHED_DATABASE, VERSIONS, dbt_cli_resource,
                                   dbt_project, prune_dbt_targets, publish_marts)
from published_copy import published_tables

FEED_KEYS = {AssetKey([agency.code, f"{agency.code}_analytical"]) for agency in AGENCIES}
MPI_KEY = AssetKey(["mpi", "crosswalk"])


SPECS = {spec.key: spec for dbt in DBT_ASSETS for spec in dbt.specs}


def test_dbt_sources_resolve_to_the_feed_and_index_assets():
    specs = SPECS
    upstream = {dep.asset_key for spec in specs.values() for dep in spec.deps} - set(specs)
    # the counts mart also reads the hub's estimate, written between the person-year and counts marts
    assert upstream == FEED_KEYS | {MPI_KEY, AssetKey(["marts", "undecided_status"])}
    staged = {spec.key: {dep.asset_key for dep in spec.deps} for spec in specs.values()
              if spec.key.path[0] == "staging"}
    # staging models only rename and cast: each reads its one source and nothing else; the one other parent is
    # the ct_towns seed of the town tests, named so Dagster's dbt step that builds the model runs them
    towns = AssetKey(["reference", "ct_towns"])
    assert all(len(deps - {towns}) == 1 and not deps - {towns} & set(specs) for deps in staged.values()), staged
    for agency in AGENCIES:
        # every agency's feed reaches a staging model, and the models reading that add the index's p20_id
        mine = [key for key, deps in staged.items() if deps - {towns} == {AssetKey([agency.code, f"{agency.code}_analytical"])}]
        assert mine, agency.code
        for key in mine:
            readers = [{dep.asset_key for dep in spec.deps} for spec in specs.values()
                       if key in {dep.asset_key for dep in spec.deps}]
            assert readers and all(MPI_KEY in deps for deps in readers), key


def test_each_mart_descends_from_the_index_and_the_feeds_its_definition_uses():
    specs = SPECS

    def ancestors(key: AssetKey) -> set[AssetKey]:
        found, stack = set(), [key]
        while stack:
            for dep in specs[stack.pop()].deps:
                if dep.asset_key not in found:
                    found.add(dep.asset_key)
                    if dep.asset_key in specs:
                        stack.append(dep.asset_key)
        return found

    status = ancestors(AssetKey(["marts", "disconnected_youth_person_year"]))
    assert {MPI_KEY, AssetKey(["SDE", "SDE_analytical"]), AssetKey(["DOL", "DOL_analytical"]), AssetKey(["DOC", "DOC_analytical"]),
            AssetKey(["OWS", "OWS_analytical"]), AssetKey(["UConn", "UConn_analytical"])} <= status
    crossover = ancestors(AssetKey(["marts", "crossover_youth_cohort"]))
    assert {MPI_KEY, AssetKey(["DCF", "DCF_analytical"]), AssetKey(["CSSD", "CSSD_analytical"])} <= crossover


def test_layers_are_groups_tests_are_checks_and_dbt_shares_the_writer_pool():
    groups = {spec.key.path[0]: spec.group_name for spec in SPECS.values()}
    assert groups == {"reference": "staging", "staging": "staging", "intermediate": "intermediate", "marts": "marts"}
    assert all(spec.kinds == {"dbt", "duckdb"} for spec in SPECS.values())
    checked = {check.asset_key for dbt in DBT_ASSETS for check in dbt.check_specs}
    assert set(MART_KEYS) <= checked
    assert all(dbt.op.pool == DUCKDB_POOL for dbt in DBT_ASSETS)
    assert len(MART_KEYS) == len(MART_TABLES) == 5


def test_the_main_job_runs_dbt_in_one_step_before_the_estimate_and_one_after():
    """Each dbt step pays dbt's start-up (seconds at demo size). With every dbt model in one definition, the
    counts mart reading the hub's estimate, which reads the person-year mart, made a cycle that Dagster broke by
    splitting the dbt step in three, the two seeds alone in one."""
    from p20_platform.definitions import defs

    steps = {node.name for node in defs.resolve_job_def("platform").graph.nodes if node.name.startswith("p20_dbt")}
    assert steps == {"p20_dbt", "p20_dbt_estimate"}


def test_every_mart_enforces_its_contract():
    manifest = json.loads(dbt_project.manifest_path.read_text())
    marts = {node["name"]: node for node in manifest["nodes"].values()
             if node["resource_type"] == "model" and node["config"]["schema"] == "marts"}
    assert set(marts) == set(MART_TABLES)
    for name, node in marts.items():
        assert node["config"]["contract"]["enforced"], name
        assert all(column["data_type"] for column in node["columns"].values()), name


def test_every_data_test_says_what_it_protects():
    # Dagster shows a dbt test's description as its asset check's; without one it shows generated text.
    manifest = json.loads(dbt_project.manifest_path.read_text())
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    assert tests
    undescribed = sorted(f"{node['original_file_path']}: {node['name']}" for node in tests
                         if not (node.get("description") or "").strip())
    # dbt 1.11's partial parse drops a singular test's YAML description when a macro or docs block
    # changes; the Makefile builds the manifest with a full parse (`make setup` rebuilds it).
    assert not undescribed, "data tests without a description:\n" + "\n".join(undescribed)


def test_a_mart_whose_column_breaks_its_contract_is_not_built(built_home, dbt_cli, tmp_path):
    broken = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, broken, ignore=shutil.ignore_patterns("target", "logs"))
    model = broken / "models" / "marts" / "disconnected_youth_factors.sql"
    model.write_text(model.read_text().replace("as relative_risk", "::varchar as relative_risk"))
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(built_home.warehouse_db, home / "warehouse.duckdb")
    result = dbt_cli(broken, home, "run", "--select", "disconnected_youth_factors")
    assert result.returncode != 0
    assert "contract" in result.stdout.lower() and "relative_risk" in result.stdout


def test_published_copy_holds_every_mart_for_read_only_readers(built_home, tmp_path):
    home = paths(tmp_path / "home")
    home.home_dir.mkdir()
    shutil.copy(built_home.warehouse_db, home.warehouse_db)
    rows = publish_marts(home)
    assert set(rows) == set(MART_TABLES) and all(n > 0 for n in rows.values())
    published = home.published
    with duckdb.connect(str(published / PUBLISHED_DATABASE), read_only=True) as reader:
        for table, count in rows.items():
            assert reader.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0] == count
            parquet = published / "parquet" / f"{table}.parquet"
            assert reader.execute(f"SELECT count(*) FROM '{parquet}'").fetchone()[0] == count
    assert not any(path.name.endswith(".next") or ".next." in path.name for path in published.rglob("*"))
    first = (published / CURRENT).resolve()
    # Publishing again replaces the copy: the link moves, the replaced copy is kept for readers still opening it.
    assert publish_marts(home) == rows
    assert (published / CURRENT).resolve() != first and first.is_dir()
    publish_marts(home)
    assert not first.exists() and len(list((published / VERSIONS).iterdir())) == 2


PUBLISH = ("import sys\nfrom p20_platform.settings import paths\nfrom p20_platform.transform import publish_marts\n"
           "publish_marts(paths(sys.argv[1]))\n")


def test_a_publish_killed_while_writing_leaves_the_previous_copy_whole_and_the_next_clears_it(built_home, tmp_path):
    home = paths(tmp_path / "home")
    home.home_dir.mkdir()
    shutil.copy(built_home.warehouse_db, home.warehouse_db)
    publish_marts(home)
    published, before = home.published, published_tables(home)
    current = (published / CURRENT).resolve()

    child = subprocess.Popen([sys.executable, "-c", PUBLISH, str(home.home_dir)])
    deadline = time.monotonic() + 120
    while not [v for v in (published / VERSIONS).iterdir() if v.resolve() != current]:
        assert child.poll() is None and time.monotonic() < deadline, "the publish never started writing"
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)  # the new copy's folder exists: the copy is being written
    child.wait()
    assert (published / CURRENT).resolve() == current, "the publish finished before it was killed"
    [partial] = [v for v in (published / VERSIONS).iterdir() if v.resolve() != current]
    assert published_tables(home) == before  # readers still see the whole previous copy

    publish_marts(home)
    assert not partial.exists() and published_tables(home) == before


def test_dbt_target_folders_are_pruned_to_the_newest_finished_invocations(tmp_path):
    """Issue 13: each dbt invocation's folder (about 11 MB) used to be kept for good. The newest three finished
    ones stay; one without run_results.json is still building (another home's dbt, the same project) and stays."""
    target = tmp_path / "target"
    finished = []
    for age in range(5):
        folder = target / f"p20_dbt-{age}"
        folder.mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder / "run_results.json", (1_000_000 - age, 1_000_000 - age))  # p20_dbt-0 finished last
        finished.append(folder)
    building, parsed = target / "p20_dbt-building", target / "parse-1"
    for folder in (building, parsed):
        folder.mkdir()
    (parsed / "run_results.json").write_text("{}")
    os.utime(parsed / "run_results.json", (1, 1))

    assert sorted(prune_dbt_targets(target)) == finished[3:]
    assert sorted(f.name for f in target.iterdir()) == ["p20_dbt-0", "p20_dbt-1", "p20_dbt-2", "p20_dbt-building",
                                                        "parse-1"]
    assert prune_dbt_targets(target) == []


def test_the_dbt_resource_reports_the_version_the_dbt_executable_prints():
    """The resource takes dbt's version from this venv's dbt-core package instead of running `dbt --version`
    before every dbt command; dagster-dbt picks dbt Core's code path by it, so it must be the executable's."""
    resource = dbt_cli_resource()
    printed = subprocess.run([resource.dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {resource._cli_version}" in printed


def test_each_agency_source_declares_the_registry_layout_the_loader_writes():
    manifest = json.loads(dbt_project.manifest_path.read_text())
    sources = {node["source_name"]: node for node in manifest["sources"].values()}
    warehouse_types = {"string": "varchar", "code": "varchar", "integer": "bigint", "decimal": "double",
                       "date": "date", "flag": "boolean"}
    for agency in AGENCIES:
        source = sources[agency.code.lower()]
        assert source["schema"] == f"raw_{agency.code.lower()}"
        declared = {name: column["data_type"] for name, column in source["columns"].items()}
        expected = {e.name: warehouse_types[e.kind] for e in agency.analytical}
        assert declared == {**expected, "source_file": "varchar", "delivery_sha256": "varchar"}, agency.code


def test_the_status_rules_pass_their_dbt_unit_tests(built_home, dbt_cli, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(built_home.warehouse_db, home / "warehouse.duckdb")  # the session's readers keep theirs open
    result = dbt_cli(DBT_PROJECT_DIR, home, "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "disconnected_youth_status_follows_the_statute" in result.stdout and "PASS=1" in result.stdout
