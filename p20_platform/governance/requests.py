"""Data requests as YAML files, validated on load, and the delivery check that holds feeds to them.

A request (`requests/<NUMBER>.yaml`) is what the Data Governing Board approved: its number, type,
requestor, purpose, the agencies and the data elements approved per agency (each checked against
the agency's feed contract and its published dictionary), the legal framework of each agency's
data, the recipients, the board decision, NDAs and the date the recipients destroy the data. The
schema is a pydantic model, so a malformed request fails on load with the field that is wrong.

Deliveries name their request (`AGENCY.REQ.MM_DD_YYYY.CONTENT`): `delivery_refusal` refuses one
whose request is unknown or not approved, whose agency the request does not cover, or which
carries values in an element the request did not approve (a contract column left empty is not
carried: the layout keeps every column).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from p20_platform.governance.dictionaries import dictionary_names, normalise
from p20_platform.registry import AGENCY_BY_CODE, DESIGNED_ELEMENTS, agency

if TYPE_CHECKING:  # the feeds call `delivery_refusal`; importing them here would be circular
    from p20_platform.feeds.naming import DeliveryName

REPOSITORY_REQUESTS = Path(__file__).resolve().parents[2] / "requests"
# UI wage records: unit-level wage data, which only state employees may see (20 CFR 603.4, C.G.S. 31-254).
UNIT_LEVEL_WAGE_ELEMENTS: dict[str, frozenset[str]] = {"DOL": frozenset({"Wage", "NAICS_Code", "Year", "Quarter"})}
CCIC = "CCIC"  # any CCIC data shortens the destruction deadline of matching inputs to 24 hours


class RequestError(ValueError):
    """A request file that cannot be used, with the file and every problem found."""


class StrictModel(BaseModel):
    """A governance document's schema: unknown keys are an error (a misspelt key must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Codes = TypeVar("Codes", bound=Collection[str])


def known_agencies(codes: Codes) -> Codes:
    """A pydantic validator's check that every agency code is in the registry (returns the codes)."""
    unknown = sorted(set(codes) - set(AGENCY_BY_CODE))
    if unknown:
        raise ValueError(f"unknown agencies {unknown}; known: {', '.join(AGENCY_BY_CODE)}")
    return codes


class Person(StrictModel):
    name: str
    organisation: str


class Recipient(Person):
    state_employee: bool = Field(description="only state employees may receive unit-level wage data")
    nda_received: dt.date | None = Field(default=None, description="date the signed NDA was received")


class BoardDecision(StrictModel):
    decision: Literal["approved", "denied", "pending", "tabled"]
    date: dt.date | None = None


class AgencyData(StrictModel):
    """One agency's part of a request: the legal framework its data falls under and the elements approved."""

    legal_framework: str
    elements: tuple[str, ...] = Field(min_length=1)


class Publication(StrictModel):
    """A document published from the request: the asset that builds it (its materialization lists `paths`)."""

    asset: str = Field(pattern=r"^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*$")
    title: str


class DataRequest(StrictModel):
    number: str = Field(pattern=r"^[0-9]{3}$")
    name: str
    type: Literal["initial", "continuation", "repeat", "modification"]
    date_received: dt.date
    requestor: Person
    authorised_representative: str
    purpose: str
    agencies: dict[str, AgencyData] = Field(min_length=1)
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    board: BoardDecision
    destruction_date: dt.date = Field(description="date the recipients destroy the extract")
    extract: bool = Field(default=False, description="the recipients receive a per-request extract")
    publications: tuple[Publication, ...] = ()

    @field_validator("agencies")
    @classmethod
    def _known_agencies(cls, agencies: dict[str, AgencyData]) -> dict[str, AgencyData]:
        return known_agencies(agencies)

    @model_validator(mode="after")
    def _governance_rules(self) -> DataRequest:
        problems = [*self._element_problems(), *self._wage_problems()]
        if self.board.decision == "approved" and self.board.date is None:
            problems.append("an approved request needs the board decision date")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _element_problems(self) -> list[str]:
        problems = []
        for code, data in self.agencies.items():
            feed = agency(code)
            if data.legal_framework != feed.legal_framework:
                problems.append(f"{code}: legal framework {data.legal_framework!r} is not the agreement its data "
                                f"falls under ({feed.legal_framework!r})")
            published = dictionary_names(code)
            for element in data.elements:
                if element not in feed.analytical_columns or element == "FakeID":
                    problems.append(f"{code}: {element!r} is not an analytical element of the {code} feed contract")
                elif published and normalise(element) not in published and element not in DESIGNED_ELEMENTS.get(code, {}):
                    problems.append(f"{code}: {element!r} is in neither the {code} data dictionary nor the designed elements")
        return problems

    def _wage_problems(self) -> list[str]:
        wage = sorted({e for code, data in self.agencies.items()
                       for e in data.elements if e in UNIT_LEVEL_WAGE_ELEMENTS.get(code, ())})
        outsiders = [r.name for r in self.recipients if not r.state_employee]
        if wage and outsiders:
            return [f"unit-level wage data ({', '.join(wage)}) may go only to state employees; "
                    f"not state employees: {', '.join(outsiders)}"]
        return []

    @property
    def approved(self) -> bool:
        return self.board.decision == "approved"

    @property
    def includes_ccic(self) -> bool:
        return CCIC in self.agencies

    @property
    def ndas_needed(self) -> int:
        return len(self.recipients)

    @property
    def ndas_received(self) -> int:
        return sum(r.nda_received is not None for r in self.recipients)


@dataclass(frozen=True)
class FiledRequest:
    """A request as filed: the validated content, its file and the file's checksum (the version logged)."""

    request: DataRequest
    path: Path
    sha256: str


def requests_folder() -> Path:
    """Where requests and approvals are filed: `$P20_REQUESTS`, else the repository's `requests/`."""
    return Path(os.environ.get("P20_REQUESTS", REPOSITORY_REQUESTS)).resolve()


def load_request(path: Path) -> FiledRequest:
    """Read and validate one request file; RequestError names the file and every problem."""
    data = path.read_bytes()
    try:
        request = DataRequest.model_validate(yaml.safe_load(data))
    except (ValidationError, yaml.YAMLError) as error:
        raise RequestError(f"{path.name}: not a valid data request:\n{error}") from None
    if path.stem != request.number:
        raise RequestError(f"{path.name}: the file must be named for its request number ({request.number}.yaml)")
    return FiledRequest(request, path, hashlib.sha256(data).hexdigest())


def load_requests(folder: Path | None = None) -> dict[str, FiledRequest]:
    """Every request filed in the folder, by number."""
    folder = folder or requests_folder()
    return {filed.request.number: filed for filed in map(load_request, sorted(folder.glob("[0-9][0-9][0-9].yaml")))}


def carried_elements(frame: pd.DataFrame) -> list[str]:
    """Analytical columns holding any value (the layout keeps every column; empty ones carry nothing)."""
    return [c for c in frame.columns if c != "FakeID" and frame[c].notna().any()]


def delivery_refusal(name: DeliveryName, frame: pd.DataFrame, folder: Path | None = None) -> tuple[str, str] | None:
    """(problem, fix) when the delivery's request does not cover it, naming the request, agency or elements."""
    filed = load_requests(folder).get(name.request)
    if filed is None or not filed.request.approved:
        state = "names no filed request" if filed is None else f"is {filed.request.board.decision}, not approved"
        return (f"request {name.request} {state}",
                "send files only under an approved request's number (ask the P20 WIN operating group)")
    approved = filed.request.agencies.get(name.agency)
    if approved is None:
        return (f"request {name.request} does not include {name.agency} data",
                f"the request covers {', '.join(filed.request.agencies)}; file a modification first")
    if name.content == "analytical":
        extra = [e for e in carried_elements(frame) if e not in approved.elements]
        if extra:
            return (f"carries elements request {name.request} did not approve for {name.agency}: {', '.join(extra)}",
                    "leave those columns empty, or file a modification request approving them")
    return None
