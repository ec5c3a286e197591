"""Whole-file problems reject the delivery with a message naming the file, the problem and the fix."""

from __future__ import annotations

import pytest
from feed_files import landed

from p20_platform.feeds import inspect_delivery


def _corruptions(data: bytes) -> dict[str, tuple[bytes, str]]:
    lines = data.split(b"\n")
    header = lines[0].split(b"\t")
    without_last_column = b"\n".join(b"\t".join(line.split(b"\t")[:-1]) for line in lines)
    return {
        "missing column": (without_last_column, "missing columns FakeID"),
        "truncated": (data[: len(data) - len(lines[-2]) // 2 - 1], "truncated"),
        "comma-delimited": (data.replace(b"\t", b","), "separated by commas"),
        "non-UTF-8": (data.replace(lines[2], lines[2] + b"\xe9", 1), "line 3 holds bytes that are not UTF-8"),
        "empty": (b"", "the file is empty"),
        "header only": (lines[0] + b"\n", "header but no records"),
        "other agency's header": (data.replace(header[0], b"Surname", 1), "unexpected columns Surname"),
        "ragged middle line": (data.replace(lines[5], lines[5] + b"\textra", 1), "first line 6"),
    }


@pytest.mark.parametrize("corruption", ["missing column", "truncated", "comma-delimited", "non-UTF-8", "empty",
                                        "header only", "other agency's header", "ragged middle line"])
def test_broken_file_is_rejected_with_problem_and_fix(synth_home, corruption):
    path = landed(synth_home, "DCF", "matching")
    data, expected = _corruptions(path.read_bytes())[corruption]
    inspection = inspect_delivery(path.name, data)

    assert inspection.verdict is None
    message = str(inspection.rejection)
    assert message.startswith(path.name + ":")
    assert expected in message
    assert "Fix:" in message and inspection.rejection.fix


@pytest.mark.parametrize(("name", "expected"), [
    ("DCF_2024.matching", "does not follow the P20 WIN naming rule"),
    ("DCF.1.01_15_2024.matching", "does not follow the P20 WIN naming rule"),
    ("XYZ.000.01_15_2024.matching", "unknown agency 'XYZ'"),
    ("DCF.000.02_30_2024.matching", "not a calendar date"),
    ("DCF.000.01_15_2024.key", "is not a delivery"),
])
def test_bad_file_names_are_rejected(synth_home, name, expected):
    data = landed(synth_home, "DCF", "matching").read_bytes()
    rejection = inspect_delivery(name, data).rejection
    assert rejection is not None and expected in str(rejection)


def test_a_file_in_another_agencys_folder_is_rejected(synth_home):
    path = landed(synth_home, "DCF", "matching")
    rejection = inspect_delivery(path.name, path.read_bytes(), folder_agency="DOC").rejection
    assert "dropped in DOC's landing folder" in str(rejection)


def test_rejection_messages_never_quote_file_contents(synth_home):
    path = landed(synth_home, "DOL", "matching")
    data = path.read_bytes()
    record = data.split(b"\n")[1]
    truncated = data[: data.index(record) + len(record) // 2]
    message = str(inspect_delivery(path.name, truncated).rejection)
    assert "truncated" in message
    assert not any(len(value) >= 3 and value.decode() in message for value in record.split(b"\t")[:3])


def test_windows_line_endings_and_a_byte_order_mark_are_accepted(synth_home):
    path = landed(synth_home, "CCEH", "matching")
    data = path.read_bytes()
    clean = inspect_delivery(path.name, data).verdict
    windows = inspect_delivery(path.name, b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")).verdict
    assert windows.accepted.equals(clean.accepted)
