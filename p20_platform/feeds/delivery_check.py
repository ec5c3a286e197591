"""Checking a delivery against its contract without loading it: the same code the loaders run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from p20_platform.feeds.contracts import RowVerdict, check_rows
from p20_platform.feeds.naming import DeliveryName, DeliveryRejected, parse_delivery_name
from p20_platform.feeds.reading import read_delivery
from p20_platform.governance.requests import delivery_refusal
from p20_platform.registry import agency

TOP_RULES = 5
# A delivery is rejected whole, and the previous one stays current, when no row or fewer than half
# of its rows meet the contract: such a file is broken (quoted throughout, the same records twice,
# keyed to another matching file), and loading its remainder would silently shrink the agency's data.
MAX_QUARANTINED_SHARE = 0.5


@dataclass(frozen=True)
class Inspection:
    """What the contracts say about one delivery: either a whole-file rejection or a row verdict."""

    file_name: str
    name: DeliveryName | None
    rejection: DeliveryRejected | None
    verdict: RowVerdict | None  # also set when the rows themselves caused the rejection

    @property
    def rows_read(self) -> int:
        return 0 if self.verdict is None else len(self.verdict.accepted) + len(self.verdict.quarantined)


def delivery_columns(name: DeliveryName) -> tuple[str, ...]:
    feed = agency(name.agency)
    return feed.matching_fields if name.content == "matching" else feed.analytical_columns


def inspect_delivery(file_name: str, data: bytes, folder_agency: str | None = None,
                     matching_fakeids: frozenset[str] | None = None) -> Inspection:
    """Run the file-level checks, the row contract and the rejected-row threshold on one delivery's bytes.

    `matching_fakeids`: for an analytical file, the FakeIDs of its agency's matching file (None when
    no matching file is known: the reference check is then skipped).
    """
    name = None
    try:
        name = parse_delivery_name(file_name)
        if folder_agency is not None and name.agency != folder_agency:
            raise DeliveryRejected(file_name, f"the file is named for {name.agency} but was dropped in "
                                   f"{folder_agency}'s landing folder",
                                   f"drop it in landing/{name.agency}/ or correct the agency in its name")
        frame = read_delivery(file_name, data, delivery_columns(name))
        refusal = delivery_refusal(name, frame)  # governance: an approved request covers this agency and its elements
        if refusal is not None:
            raise DeliveryRejected(file_name, *refusal)
    except DeliveryRejected as rejection:
        return Inspection(file_name, name, rejection, None)
    verdict = check_rows(frame, name.agency, name.content,
                         matching_fakeids if name.content == "analytical" else None)
    return Inspection(file_name, name, _too_many_bad_rows(file_name, verdict), verdict)


def _too_many_bad_rows(file_name: str, verdict: RowVerdict) -> DeliveryRejected | None:
    bad, read = len(verdict.quarantined), len(verdict.accepted) + len(verdict.quarantined)
    if len(verdict.accepted) > 0 and bad <= MAX_QUARANTINED_SHARE * read:
        return None
    rule, failure = next(iter(verdict.rule_failures.items()))
    return DeliveryRejected(
        file_name, f"{bad} of {read} rows break the contract (the limit is {MAX_QUARANTINED_SHARE:.0%}); most often "
        f"{rule!r} ({failure['rows']} rows, e.g. lines {', '.join(map(str, failure['example_lines']))})",
        "correct the export and send the whole file again; the previous delivery stays current")


@dataclass(frozen=True)
class ValidationReport:
    """The verdict on one file, safe to print: counts, rules and line numbers, never values."""

    path: Path
    inspection: Inspection

    @property
    def ok(self) -> bool:
        verdict = self.inspection.verdict
        return self.inspection.rejection is None and verdict is not None and len(verdict.quarantined) == 0

    def describe(self) -> str:
        inspection = self.inspection
        if inspection.rejection is not None:
            return f"{self.path}: REJECTED\n  {inspection.rejection.problem}\n  fix: {inspection.rejection.fix}"
        verdict = inspection.verdict
        contract = f"{inspection.name.agency} {inspection.name.content} contract"
        if self.ok:
            return f"{self.path}: PASSED\n  {inspection.rows_read} rows, all meet the {contract}"
        lines = [f"{self.path}: ROWS FAILED",
                 f"  {inspection.rows_read} rows read: {len(verdict.accepted)} would load, "
                 f"{len(verdict.quarantined)} would be quarantined by the {contract}",
                 f"  top failing rules ({len(verdict.rule_failures)} in all):"]
        for rule, failure in list(verdict.rule_failures.items())[:TOP_RULES]:
            examples = ", ".join(str(n) for n in failure["example_lines"])
            lines.append(f"    {rule}: {failure['rows']} rows (e.g. lines {examples})")
        return "\n".join(lines)


def partner_name(name: DeliveryName) -> str:
    """The other file of the same request and date: the matching file's analytical partner and back."""
    other = "analytical" if name.content == "matching" else "matching"
    return f"{name.agency}.{name.request}.{name.delivery_date:%m_%d_%Y}.{other}"


def _matching_fakeids(path: Path) -> frozenset[str] | None:
    """The FakeIDs of an analytical file's matching partner beside it, or None when there is none to read."""
    try:
        name = parse_delivery_name(path.name)
        if name.content != "analytical":
            return None
        partner = path.with_name(partner_name(name))
        inspection = inspect_delivery(partner.name, partner.read_bytes())
    except (DeliveryRejected, OSError):
        return None
    if inspection.verdict is None:
        return None
    verdict = inspection.verdict
    return frozenset(verdict.accepted["FakeID"].dropna()) | frozenset(verdict.quarantined["FakeID"].dropna())


def validate_files(paths: list[Path]) -> list[ValidationReport]:
    """Check files an agency is about to send with the loaders' own checks; nothing is archived or loaded.

    An analytical file is checked against the matching file of the same request and date when that
    file lies beside it (as agencies prepare the pair), as the hub checks it against the loaded one.
    """
    reports = []
    for path in map(Path, paths):
        try:
            data = path.read_bytes()
        except OSError as error:
            rejection = DeliveryRejected(path.name, f"cannot be read ({error.strerror})",
                                         "check the path and the file's permissions")
            reports.append(ValidationReport(path, Inspection(path.name, None, rejection, None)))
            continue
        reports.append(ValidationReport(path, inspect_delivery(path.name, data,
                                                               matching_fakeids=_matching_fakeids(path))))
    return reports
