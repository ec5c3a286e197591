"""The standing index: which identifiers the hub keeps between builds, and under which declared authority.

What it keeps, in the hub store only (`hub.duckdb`, owner-only, never the warehouse):
- `matching.<agency>`: the accepted rows of each agency's current matching delivery (names, DOB,
  sex, SSN/SASID as delivered, the delivery's FakeIDs). Every full rebuild of the index reads them;
  a newer delivery replaces them. The files they came from (landing and archive copies) are
  destroyed on the agreements' deadline (`destruction.py`); these rows are not.
- `mpi.records` (standardised names, DOB, sex, SSN/SASID of every record linked), `mpi.pairs`,
  `mpi.crosswalk` (which records are one person, p20_id) and `mpi.model`: they let a later
  delivery, under any request, link to the same p20_ids.

On what authority: none of the sources this platform was built from grants one. The data sharing
agreements require the hub to destroy matching inputs within 5 business days of a confirmed match
(24 hours with CCIC data) (`domain.md`, "How matching works today", step 5); the template DSAs bind
the hub to "standards for ... data destruction" (CDO report, January 2024, common element 2.c);
the E-MOU lets each agency "retain administrative authority over their data" and its amendment is
"under discussion" (same report). A standing index across requests is therefore a decision the
state must take: the Data Governing Board (with each agency whose identifiers it would hold)
decides whether the hub may keep one, for which agencies, and until when.

Governance as code: that decision is declared in `standing_index.yaml` beside the requests
(`requests/`, or `$P20_REQUESTS`), validated on load like a request, logged in the request log when
it changes, and checked by the `standing_index_authority` asset check on `mpi/crosswalk`, which
fails, naming what is kept and what is missing, whenever the hub holds identifiers between builds
that no approved, current decision covers. The repository's file is a **demo declaration** for the
synthetic data (`demo: true`); a real deployment replaces it with the board's decision or deletes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from p20_platform.feeds.stores import connect, table_exists
from p20_platform.governance.requests import RequestError, StrictModel, known_agencies, requests_folder
from p20_platform.registry import AGENCIES
from p20_platform.settings import Paths

FILE_NAME = "standing_index.yaml"
INDEX_TABLES = ("records", "pairs", "crosswalk", "model")  # mpi.* tables holding or derived from identifiers


class IndexDecision(StrictModel):
    """The board decision the standing index is kept (or not) under."""

    body: str = Field(description="who decided, e.g. 'P20 WIN Data Governing Board'")
    reference: str = Field(description="the minutes, resolution or agreement amendment that records the decision")
    decision: Literal["approved", "denied", "pending"]
    date: dt.date | None = None


class StandingIndexAuthority(StrictModel):
    """`standing_index.yaml`: whether the hub may keep identifiers between builds, for whom, until when."""

    keep: bool = Field(description="true: the hub may keep a standing index; false: it must not")
    authority: IndexDecision
    agencies: tuple[str, ...] = Field(min_length=1, description="agencies whose identifiers the decision covers")
    review_by: dt.date | None = Field(default=None, description="the decision lapses after this date")
    demo: bool = Field(default=False, description="a declaration made up for the synthetic demo: no real authority")
    note: str = ""

    @field_validator("agencies")
    @classmethod
    def _known_agencies(cls, agencies: tuple[str, ...]) -> tuple[str, ...]:
        return known_agencies(agencies)

    @model_validator(mode="after")
    def _dated(self) -> StandingIndexAuthority:
        if self.authority.decision != "pending" and self.authority.date is None:
            raise ValueError(f"a decision that is {self.authority.decision} needs its date")
        return self


@dataclass(frozen=True)
class FiledAuthority:
    authority: StandingIndexAuthority
    path: Path
    sha256: str


def load_authority(folder: Path | None = None) -> FiledAuthority | None:
    """The declared authority, validated; None when no file is declared. RequestError names every problem."""
    path = (folder or requests_folder()) / FILE_NAME
    if not path.exists():
        return None
    data = path.read_bytes()
    try:
        authority = StandingIndexAuthority.model_validate(yaml.safe_load(data))
    except (ValidationError, yaml.YAMLError) as error:
        raise RequestError(f"{path.name}: not a valid standing index authority:\n{error}") from None
    return FiledAuthority(authority, path, hashlib.sha256(data).hexdigest())


def kept_identifiers(paths: Paths) -> dict[str, list[str]]:
    """What the hub holds between builds: agency code -> its matching table, and 'mpi' -> index tables."""
    kept: dict[str, list[str]] = {}
    if not paths.hub_db.exists():
        return kept
    with connect(paths.hub_db, read_only=True) as hub:
        for feed in AGENCIES:
            if table_exists(hub, "matching", feed.code.lower()):
                kept[feed.code] = [f"matching.{feed.code.lower()}"]
        index = [f"mpi.{t}" for t in INDEX_TABLES if table_exists(hub, "mpi", t)]
        if index:
            kept["mpi"] = index
    return kept


@dataclass(frozen=True)
class AuthorityStatus:
    passed: bool
    message: str
    kept: dict[str, list[str]]
    declared: dict | None = field(default=None)

    def metadata(self) -> dict[str, object]:
        return {"status": self.message, "kept": self.kept, "declared": self.declared or "none"}


def authority_status(paths: Paths, folder: Path | None = None, today: dt.date | None = None) -> AuthorityStatus:
    """Whether every identifier the hub keeps between builds is covered by an approved, current decision.

    A malformed declaration fails too (its message names the problem), rather than raising.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    kept = kept_identifiers(paths)
    agencies = sorted(code for code in kept if code != "mpi")
    what = (f"the hub keeps identifiers between builds: {', '.join(t for ts in kept.values() for t in ts)} "
            f"(agencies {', '.join(agencies) or 'none'})")
    try:
        filed = load_authority(folder)
    except RequestError as error:
        return AuthorityStatus(False, f"{what}, and its declared authority cannot be read: {error}", kept)
    if not kept:
        return AuthorityStatus(True, "the hub keeps no identifiers between builds", kept,
                               filed.authority.model_dump(mode="json") if filed else None)
    if filed is None:
        return AuthorityStatus(False, f"NO AUTHORITY DECLARED: {what}, and no decision allows it "
                               f"({FILE_NAME} is missing). Declare the Data Governing Board's decision there, "
                               "or destroy the standing index and link per request.", kept)
    authority = filed.authority
    declared = authority.model_dump(mode="json")
    decision = authority.authority
    cited = f"{decision.body}, {decision.reference} ({decision.decision}{f', {decision.date}' if decision.date else ''})"
    if not authority.keep or decision.decision != "approved":
        verdict = "decided the hub must not keep it" if not authority.keep else f"is {decision.decision}"
        return AuthorityStatus(False, f"NO AUTHORITY: {what}, but {cited} {verdict}. Destroy the standing index "
                               "and link per request.", kept, declared)
    if authority.review_by is not None and authority.review_by < today:
        return AuthorityStatus(False, f"AUTHORITY LAPSED: {what}; {cited} covered it until {authority.review_by}. "
                               "Record the board's renewed decision or destroy the index.", kept, declared)
    uncovered = sorted(set(agencies) - set(authority.agencies))
    if uncovered:
        return AuthorityStatus(False, f"NO AUTHORITY for {', '.join(uncovered)}: {what}; {cited} covers only "
                               f"{', '.join(authority.agencies)}.", kept, declared)
    prefix = "DEMO AUTHORITY (synthetic data only, no real decision): " if authority.demo else ""
    return AuthorityStatus(True, f"{prefix}{what}, under {cited}"
                           f"{f' until {authority.review_by}' if authority.review_by else ''}.", kept, declared)
