"""Every delivery file looks exactly like a P20 WIN agency file and satisfies the registry."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from p20_platform.registry import AGENCIES, FILE_NAME_PATTERN, Agency, Element

NOISE_PLACEHOLDER_DATES = {"19000101", "19010101", "18991231"}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)


def _files(home: Path, agency: Agency) -> dict[str, Path]:
    found = {p.name.rsplit(".", 1)[1]: p for p in (home / "landing" / agency.code).iterdir()}
    assert set(found) == {"matching", "analytical"}, found
    return found


def test_every_agency_delivers_both_files_with_hub_names(synth_home: Path) -> None:
    assert sorted(p.name for p in (synth_home / "landing").iterdir()) == sorted(a.code for a in AGENCIES)
    for agency in AGENCIES:
        for content, path in _files(synth_home, agency).items():
            match = re.fullmatch(FILE_NAME_PATTERN, path.name)
            assert match and match["agency"] == agency.code and match["content"] == content
            assert (match["request"], match["month"], match["day"], match["year"]) == ("000", "01", "15", "2026")


@pytest.mark.parametrize("agency", AGENCIES, ids=lambda a: a.code)
def test_raw_layout_is_tab_delimited_unquoted_with_registry_header(synth_home: Path, agency: Agency) -> None:
    for content, path in _files(synth_home, agency).items():
        raw = path.read_bytes()
        assert b'"' not in raw and b"\r" not in raw
        lines = raw.decode("utf-8").split("\n")
        assert lines[-1] == "", "file must end with a newline"
        expected = agency.matching_fields if content == "matching" else agency.analytical_columns
        assert tuple(lines[0].split("\t")) == expected
        widths = {line.count("\t") for line in lines[1:-1]}
        assert widths == {len(expected) - 1}, f"{path.name}: ragged rows"
        assert len(lines) > 2, f"{path.name} has no records"


def _check_element(element: Element, values: pd.Series, *, identifiers_may_be_noisy: bool) -> None:
    present = values[values != ""]
    if element.required:
        assert len(present) == len(values), f"{element.name} is required"
    if element.kind == "date":
        parsed = pd.to_datetime(present, format="%Y%m%d", errors="coerce")
        bad = present[parsed.isna()]
        assert bad.empty, f"{element.name}: unparseable dates {bad.unique()[:5]}"
        if not identifiers_may_be_noisy:
            assert (parsed >= "1975-01-01").all() and (parsed <= "2025-12-31").all(), element.name
    if element.kind in ("integer", "decimal") and len(present):
        numbers = pd.to_numeric(present)
        assert element.kind == "decimal" or (numbers == numbers.round()).all(), element.name
        if element.minimum is not None:
            assert numbers.min() >= element.minimum, element.name
        if element.maximum is not None:
            assert numbers.max() <= element.maximum, element.name
    if element.allowed is not None:
        assert set(present) <= set(element.allowed), f"{element.name}: {set(present) - set(element.allowed)}"
    if element.pattern is not None and not identifiers_may_be_noisy:
        assert present.str.fullmatch(element.pattern).all(), element.name
    if element.max_length is not None and len(present):
        assert present.str.len().max() <= element.max_length, element.name


@pytest.mark.parametrize("agency", AGENCIES, ids=lambda a: a.code)
def test_values_satisfy_the_registry(synth_home: Path, agency: Agency) -> None:
    files = _files(synth_home, agency)
    analytical = _read(files["analytical"])
    for element in agency.analytical:
        _check_element(element, analytical[element.name], identifiers_may_be_noisy=False)
    matching = _read(files["matching"])
    for element in agency.matching_elements:
        _check_element(element, matching[element.name], identifiers_may_be_noisy=True)
    assert matching["FakeID"].is_unique
    assert set(analytical["FakeID"]) <= set(matching["FakeID"])


def test_identifiers_match_their_patterns_unless_noise_hit_them(synth_home: Path) -> None:
    records = pd.read_parquet(synth_home / "truth" / "records.parquet")
    for agency in AGENCIES:
        matching = _read(_files(synth_home, agency)["matching"]).merge(
            records[records["agency"] == agency.code], on="FakeID", validate="one_to_one")
        if "SSN" in matching:
            clean = matching[~matching["ssn_invalid"] & (matching["SSN"] != "")]
            assert clean["SSN"].str.fullmatch(r"(?!000|666|9)[0-9]{3}(?!00)[0-9]{2}(?!0000)[0-9]{4}").all()
        if "SASID" in matching:
            assert matching.loc[matching["SASID"] != "", "SASID"].str.fullmatch(r"[0-9]{10}").all()
        if "HighSchoolCode" in matching:
            assert matching.loc[matching["HighSchoolCode"] != "", "HighSchoolCode"].str.fullmatch(r"[0-9A-Z]{6}").all()
        if "DOB" in matching:
            noisy = matching["dob_placeholder"] | matching["dob_digit_transposition"] | matching["dob_day_month_swap"]
            clean = matching[~noisy & (matching["DOB"] != "")]
            parsed = pd.to_datetime(clean["DOB"], format="%Y%m%d")
            assert parsed.between("1975-01-01", "2025-12-31").all()
        if agency.code == "DOL":
            payroll_only = (matching["DOB"] == "") & ~matching["missing_DOB"]  # claimants and apprentices: a DOB
            assert (matching.loc[payroll_only, "FirstName"].str.len() <= 1).all(), "wage records carry an initial"
            assert (matching.loc[~payroll_only, "FirstName"].str.len() > 1).mean() > 0.9
