"""`validate_files` and `p20 validate`: the contracts without loading, readable and PII-free."""

from __future__ import annotations

from feed_files import landed, redeliver, replace_field

from p20_platform.cli import main
from p20_platform.feeds import validate_files


def test_good_files_pass_and_nothing_is_written(synth_home, tmp_path, capsys):
    files = [landed(synth_home, "OEC", "matching"), landed(synth_home, "OEC", "analytical")]
    reports = validate_files(files)
    assert [r.ok for r in reports] == [True, True], [r.describe() for r in reports]
    assert "PASSED" in reports[0].describe()
    assert not (synth_home / "warehouse.duckdb").exists() and not (synth_home / "archive").exists()

    assert main(["validate", *map(str, files)]) == 0
    assert capsys.readouterr().out.count("PASSED") == 2


def test_bad_rows_fail_with_rules_and_line_numbers_but_no_values(synth_home, tmp_path, capsys):
    original = landed(synth_home, "OEC", "matching")
    copy = tmp_path / original.name
    copy.write_bytes(original.read_bytes())
    data = original.read_bytes()
    bad = redeliver(copy, replace_field(replace_field(data, 2, "DOB", "20231301"), 5, "SASID", "SSN-123"))
    report = validate_files([bad])[0]

    assert not report.ok
    text = report.describe()
    assert "ROWS FAILED" in text and "2 would be quarantined" in text
    assert "DOB: YYYYMMDD calendar date: 1 rows (e.g. lines 2)" in text
    assert "SASID: format [0-9]{1,10}: 1 rows (e.g. lines 5)" in text
    record = bad.read_bytes().decode().split("\n")[1].split("\t")
    assert "20231301" not in text and "SSN-123" not in text
    assert not any(len(value) >= 3 and value in text for value in record if value not in bad.name)

    assert main(["validate", str(copy), str(bad)]) == 1
    assert "ROWS FAILED" in capsys.readouterr().out


def test_rejected_and_unreadable_files_fail(synth_home, tmp_path):
    truncated = tmp_path / "DCF.000.01_15_2024.matching"
    truncated.write_bytes(landed(synth_home, "DCF", "matching").read_bytes()[:-25])
    missing = tmp_path / "DCF.000.01_16_2024.matching"
    reports = validate_files([truncated, missing])
    assert [r.ok for r in reports] == [False, False]
    assert "REJECTED" in reports[0].describe() and "fix:" in reports[0].describe()
    assert "cannot be read" in reports[1].describe()
