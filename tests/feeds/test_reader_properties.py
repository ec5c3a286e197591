"""Property-based tests of the delivery reader and validator: any bytes, any values, never a traceback or a half load."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from p20_platform.feeds import inspect_delivery, validate_files
from p20_platform.feeds.naming import DeliveryRejected
from p20_platform.registry import agency

NAME = "DCF.000.01_15_2026.matching"
COLUMNS = agency("DCF").matching_fields
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values as an agency's export might hold them: digits, letters, punctuation, accents, quotes, spaces.
values = st.text(alphabet=string.ascii_letters + string.digits + " -'\".,é#", max_size=12)
records = st.lists(st.tuples(*[values for _ in COLUMNS]), min_size=1, max_size=25)


def _file(rows: list[tuple[str, ...]]) -> bytes:
    return ("\t".join(COLUMNS) + "\n" + "".join("\t".join(row) + "\n" for row in rows)).encode()


@PROPERTY_SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_end_in_a_verdict_or_a_rejection_never_an_exception(data):
    inspection = inspect_delivery(NAME, data)
    assert (inspection.rejection is None) <= (inspection.verdict is not None)
    if inspection.rejection is not None:
        assert isinstance(inspection.rejection, DeliveryRejected) and inspection.rejection.fix
        assert str(inspection.rejection).startswith(NAME + ":")


@PROPERTY_SETTINGS
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2000))
@example(b"\x0b", 2000)  # found by Hypothesis: a vertical tab after the last line break (str.splitlines breaks there)
@example(b"", len("\t".join(COLUMNS)))  # found by Hypothesis: the header cut before its line break, nothing else
def test_a_real_header_with_garbage_after_it_never_raises(garbage, cut):
    data = _file([("A",) * len(COLUMNS)] * 3)[:cut] + garbage
    inspection = inspect_delivery(NAME, data)
    assert inspection.rejection is not None or inspection.verdict is not None


@PROPERTY_SETTINGS
@given(records)
def test_every_row_is_either_accepted_or_quarantined_once_with_its_line(rows):
    inspection = inspect_delivery(NAME, _file(rows))
    verdict = inspection.verdict
    assert verdict is not None, inspection.rejection  # well-formed files always get a row verdict
    assert len(verdict.accepted) + len(verdict.quarantined) == len(rows)
    lines = list(verdict.quarantined["line_number"])
    assert len(set(lines)) == len(lines) and all(2 <= n <= len(rows) + 1 for n in lines)
    for line, rules in zip(verdict.quarantined["line_number"], verdict.quarantined["failed_rules"]):
        assert rules and all(rule.split(":")[0] in COLUMNS for rule in rules)
        row = rows[line - 2]
        quoted = [c for c, v in zip(COLUMNS, row) if '"' in v]
        assert {f"{c}: no quotation marks" for c in quoted} <= set(rules)
    # No accepted value carries a quotation mark, and accepted values are the file's text, unchanged.
    accepted = verdict.accepted.fillna("")
    assert not accepted.apply(lambda column: column.str.contains('"')).any().any()
    good_rows = {tuple(row) for row in rows}
    assert all(tuple(record) in good_rows for record in accepted.itertuples(index=False))
    bad = len(verdict.quarantined)
    rejected = inspection.rejection is not None
    assert rejected == (len(verdict.accepted) == 0 or bad > len(rows) / 2)


@PROPERTY_SETTINGS
@given(records)
def test_validate_gives_the_pipelines_verdict(tmp_path_factory, rows):
    file = tmp_path_factory.mktemp("validate") / NAME
    file.write_bytes(_file(rows))
    [report] = validate_files([file])
    pipeline = inspect_delivery(NAME, file.read_bytes())
    assert report.ok == (pipeline.rejection is None and len(pipeline.verdict.quarantined) == 0)
    assert (report.inspection.rejection is None) == (pipeline.rejection is None)
