"""Real Dagster materializations of feed assets and their checks on the small synthetic population."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import dagster as dg

from p20_platform.feeds import parse_delivery_name
from p20_platform.registry import agency
from p20_platform.resources import DataHome

AGENCIES_UNDER_TEST = ("DOL", "SDE", "CSSD")


def _selected(module, codes):
    assets = [a for a in module.feed_assets if a.key.path[0] in codes]
    checks = [c for c in module.feed_asset_checks if next(iter(c.check_keys)).asset_key.path[0] in codes]
    return assets, checks


def _run(fresh_home: Path, codes=AGENCIES_UNDER_TEST, raise_on_error=True):
    from assets import feeds

    assets, checks = _selected(feeds, codes)
    return dg.materialize([*assets, *checks], resources={"data_home": DataHome(home=str(fresh_home))},
                          raise_on_error=raise_on_error)


def _materializations(result):
    return {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}


def _checks(result):
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_factory_covers_every_agency_with_two_feed_assets_and_checks():
    from assets import feeds

    keys = {a.key.to_user_string() for a in feeds.feed_assets}
    assert len(keys) == 31 and {"DOL/DOL_matching", "UConn/UConn_analytical", "feeds/unclaimed_deliveries"} <= keys
    assert all(a.specs_by_key[a.key].kinds == {"duckdb"} for a in feeds.feed_assets)
    check_names = {(next(iter(c.check_keys)).asset_key.to_user_string(), next(iter(c.check_keys)).name)
                   for c in feeds.feed_asset_checks}
    assert ("DOL/DOL_matching", "fakeid_unique") in check_names and ("DOL/DOL_analytical", "no_identifier_columns") in check_names
    assert ("DOL/DOL_analytical", "pair_delivered") in check_names and ("DOL/DOL_matching", "pair_delivered") not in check_names
    assert len(check_names) == 15 * 2 * 3 + 15


def test_materializing_feeds_records_metadata_and_passes_checks(fresh_home):
    result = _run(fresh_home)
    assert result.success
    metadata = _materializations(result)
    assert set(metadata) == {f"{code}/{code}_{content}" for code in AGENCIES_UNDER_TEST for content in ("matching", "analytical")}

    matching = metadata["DOL/DOL_matching"]
    assert matching["new_deliveries"].value == 1 and matching["status"].value == "loaded"
    assert matching["rows_accepted"].value == matching["dagster/row_count"].value > 0
    assert len(matching["checksum"].value) == 64
    assert set(matching["fill_rates"].value) == set(agency("DOL").matching_fields)
    assert "preview" not in matching
    analytical = metadata["SDE/SDE_analytical"]
    assert "FallOfYear" in analytical["preview"].value and "ResidentTown" not in analytical["preview"].value

    checks = _checks(result)
    assert len(checks) == 3 * 2 * 3 + 3
    assert all(checks[(f"{code}/{code}_analytical", "pair_delivered")].passed for code in AGENCIES_UNDER_TEST)
    assert checks[("DOL/DOL_matching", "fakeid_unique")].passed
    assert checks[("SDE/SDE_analytical", "no_identifier_columns")].passed
    assert all(checks[(f"{code}/{code}_{content}", "current_delivery_accepted")].passed
               for code in AGENCIES_UNDER_TEST for content in ("matching", "analytical"))

    identifiers = _identifier_values(fresh_home, AGENCIES_UNDER_TEST)
    words = set(re.findall(r"\w+", " ".join(str(event) for event in result.all_events)))
    assert identifiers and not identifiers & words


def _identifier_values(home: Path, codes) -> set[str]:
    """Names, DOBs and SSNs of the first records of the agencies' matching files (long enough to search for)."""
    values = set()
    for code in codes:
        lines = next((home / "landing" / code).glob("*.matching")).read_text().split("\n")
        header = lines[0].split("\t")
        for line in lines[1:300]:
            values |= {value for column, value in zip(header, line.split("\t"))
                       if column in ("LastName", "FirstName", "DOB", "SSN", "SASID") and len(value) >= 4}
    return values


def test_a_rejected_delivery_warns_keeps_the_previous_data_and_blocks_nothing_else(fresh_home):
    assert _run(fresh_home, codes=("CSSD",)).success
    original = next((fresh_home / "landing" / "CSSD").glob("*.matching"))
    name = parse_delivery_name(original.name)
    later = name.delivery_date + timedelta(days=1)
    bad = original.parent / f"CSSD.{name.request}.{later:%m_%d_%Y}.matching"
    bad.write_bytes(original.read_bytes()[:-30])
    stray = fresh_home / "landing" / "CSSD" / "README.txt"
    stray.write_text("notes for the hub\n")

    result = _run(fresh_home, codes=("CSSD",), raise_on_error=False)
    assert result.success  # one agency's bad files stop nothing: the run goes on to whatever is downstream
    metadata = _materializations(result)["CSSD/CSSD_matching"]
    assert metadata["status"].value == "rejected" and "truncated" in metadata["reason"].value
    assert metadata["current_file"].value == original.name
    checks = _checks(result)
    warning = checks[("CSSD/CSSD_matching", "current_delivery_accepted")]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert bad.name in str(warning.metadata["waiting_in_landing"].value)
    assert not checks[("CSSD/CSSD_matching", "contract")].passed
    stray_check = checks[("CSSD/CSSD_analytical", "current_delivery_accepted")]
    assert not stray_check.passed and "README.txt" in str(stray_check.metadata["waiting_in_landing"].value)

    bad.unlink()
    stray.unlink()  # removing the rejected files clears the state
    checks = _checks(_run(fresh_home, codes=("CSSD",)))
    assert checks[("CSSD/CSSD_matching", "current_delivery_accepted")].passed
    assert checks[("CSSD/CSSD_analytical", "current_delivery_accepted")].passed


def test_code_location_collects_feeds_sensor_resources_and_in_process_executor():
    from p20_platform import definitions

    assert [name for name, value in vars(definitions).items() if isinstance(value, dg.Definitions)] == ["defs"]
    defs = definitions.defs
    repository = defs.get_repository_def()
    assert dg.AssetKey(["UConn", "UConn_matching"]) in repository.assets_defs_by_key
    assert "landing_sensor" in {s.name for s in repository.sensor_defs}
    assert isinstance(defs.resources["data_home"], DataHome)
    assert repository.get_implicit_global_asset_job_def().executor_def.name == "in_process"
