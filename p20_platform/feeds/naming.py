"""Delivery file names: `AGENCY.REQ.MM_DD_YYYY.CONTENT`, parsed once with errors that say how to fix them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from p20_platform.registry import AGENCY_CODES, FILE_NAME_PATTERN, agency

# Agencies send these two; `key` files are what the hub hands back, never a delivery.
DELIVERED_CONTENTS = ("matching", "analytical")
_NAME = re.compile(FILE_NAME_PATTERN)


class DeliveryRejected(Exception):
    """A whole delivery is refused: the message names the file, the problem and the fix."""

    def __init__(self, file_name: str, problem: str, fix: str) -> None:
        self.file_name = file_name
        self.problem = problem
        self.fix = fix
        super().__init__(f"{file_name}: {problem}. Fix: {fix}")


@dataclass(frozen=True)
class DeliveryName:
    """What a conforming file name says about the delivery."""

    file_name: str
    agency: str  # canonical registry code, e.g. "UConn"
    request: str
    delivery_date: date
    content: str


def parse_delivery_name(file_name: str) -> DeliveryName:
    """Parse and check a delivery's file name, or raise DeliveryRejected."""
    expected = "AGENCY.REQ.MM_DD_YYYY.CONTENT, e.g. DOL.000.01_31_2024.matching"
    match = _NAME.fullmatch(file_name)
    if match is None:
        raise DeliveryRejected(file_name, "file name does not follow the P20 WIN naming rule",
                               f"rename it to {expected} (CONTENT is matching or analytical)")
    try:
        code = agency(match["agency"]).code
    except KeyError:
        raise DeliveryRejected(file_name, f"unknown agency {match['agency']!r}",
                               f"use one of the agency codes {', '.join(AGENCY_CODES)}") from None
    if match["content"] not in DELIVERED_CONTENTS:
        raise DeliveryRejected(file_name, f"content {match['content']!r} is not a delivery",
                               "agencies send .matching and .analytical files; key files come from the hub")
    try:
        delivered = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise DeliveryRejected(file_name, "the date in the file name is not a calendar date",
                               f"put the sending date as MM_DD_YYYY in the name: {expected}") from None
    return DeliveryName(file_name, code, match["request"], delivered, match["content"])
