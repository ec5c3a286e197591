"""Finding real synthetic deliveries and writing corrupted re-deliveries of them, for the feed tests."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from p20_platform.feeds import parse_delivery_name
from p20_platform.feeds.delivery_check import partner_name


def landed(home: Path, agency_code: str, content: str) -> Path:
    """The (first) synthetic delivery of one feed in a data home's landing folder."""
    files = sorted((home / "landing" / agency_code).glob(f"*.{content}"))
    assert files, f"the synthetic population has no {agency_code} {content} file"
    return files[0]


def redeliver(original: Path, data: bytes, days_later: int = 1) -> Path:
    """Write `data` beside `original` as the same feed's delivery `days_later` days later."""
    name = parse_delivery_name(original.name)
    day = name.delivery_date + timedelta(days=days_later)
    path = original.with_name(f"{name.agency}.{name.request}.{day:%m_%d_%Y}.{name.content}")
    path.write_bytes(data)
    return path


def redeliver_pair(original: Path, data: bytes, days_later: int = 1) -> Path:
    """`redeliver`, with the other file of the pair sent too (its current bytes under the new date): a file
    whose partner has not arrived is held, not loaded."""
    partner = original.with_name(partner_name(parse_delivery_name(original.name)))
    redeliver(partner, partner.read_bytes(), days_later)
    return redeliver(original, data, days_later)


def replace_field(data: bytes, line_number: int, column: str, value: str) -> bytes:
    """`data` with one value changed, addressed by file line number (1 = header) and column name."""
    lines = data.decode("utf-8").split("\n")
    header = lines[0].split("\t")
    fields = lines[line_number - 1].split("\t")
    fields[header.index(column)] = value
    lines[line_number - 1] = "\t".join(fields)
    return "\n".join(lines).encode("utf-8")
