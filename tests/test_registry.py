"""The registry is the contract every layer is generated from; hold it to the published dictionaries."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from p20_platform.registry import (
    AGENCIES,
    DESIGNED_ELEMENTS,
    MATCHING_FIELDS,
    PII_FIELDS,
    Agency,
    Element,
    agency,
)

DICTIONARIES = Path(__file__).resolve().parents[2] / "shared" / "p20win-data-dictionary"


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _dictionary_names(code: str) -> set[str]:
    with open(DICTIONARIES / f"{code}.csv", newline="", encoding="utf-8") as handle:
        return {_normalise(row["Data Element Name"]) for row in csv.DictReader(handle)}


def test_all_fifteen_agencies_are_registered_once():
    codes = [a.code for a in AGENCIES]
    assert len(codes) == 15 == len(set(codes))
    assert set(codes) == {p.stem for p in DICTIONARIES.glob("*.csv")}


@pytest.mark.parametrize("registered", AGENCIES, ids=lambda a: a.code)
def test_analytical_elements_come_from_the_dictionary_or_are_justified(registered: Agency):
    published = _dictionary_names(registered.code)
    designed = DESIGNED_ELEMENTS.get(registered.code, {})
    unexplained = [
        e.name for e in registered.analytical[1:]
        if _normalise(e.name) not in published and e.name not in designed
    ]
    assert unexplained == []
    # A justification for an element that is in fact published would hide a naming drift.
    assert [name for name in designed if _normalise(name) in published] == []


def test_no_identifier_can_be_declared_in_an_analytical_file():
    assert all(PII_FIELDS.isdisjoint(a.analytical_columns) for a in AGENCIES)
    with pytest.raises(ValueError, match="PII"):
        Agency("X", "x", "x", "x", ("FakeID",), (Element("FakeID", "string", "id"), Element("SSN", "string", "ssn")),
               race_coding="none")


def test_matching_fields_follow_the_hub_order():
    with pytest.raises(ValueError, match="order"):
        Agency("X", "x", "x", "x", ("SSN", "LastName", "FakeID"), (Element("FakeID", "string", "id"),),
               race_coding="none")
    assert all(a.matching_fields[-1] == "FakeID" for a in AGENCIES)
    assert MATCHING_FIELDS[-1] == "FakeID"


def test_lookup_is_case_insensitive_and_explains_unknown_codes():
    assert agency("uconn").code == "UConn"
    with pytest.raises(KeyError, match="known agencies"):
        agency("NOPE")
