"""A corpus of bad deliveries, each with its asserted outcome; and hostile landing entries through the loaders.

Every kind ends one of two ways: rejected whole, with a message naming the file, the problem and
a fix; or loaded with the named quarantine rules. Never a traceback, never a half load. The
landing kinds (links, special files, partial uploads, strays, sharp row-count changes, analytical
rows keyed to no one) go through the real loaders on a copy of the small population.
"""

from __future__ import annotations

import os
import shutil
import stat
import time

import duckdb
import pytest
from feed_files import landed, redeliver, redeliver_pair, replace_field

from p20_platform.feeds import FEEDS, feed_status, inspect_delivery, load_feed, validate_files
from p20_platform.feeds.archive import archive_path
from p20_platform.feeds.confirm import confirm_delivery
from p20_platform.feeds import landing
from p20_platform.feeds.landing import SETTLE_SECONDS_VARIABLE
from p20_platform.feeds.loaders import PartnerChecks
from p20_platform.settings import paths

REJECTED, LOADED = "rejected", "loaded"


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _quote_all(data: bytes) -> bytes:
    lines = _lines(data)
    return b"\n".join([lines[0], *(b"\t".join(b'"' + v + b'"' for v in line.split(b"\t")) if line else line
                                   for line in lines[1:])])


def _column_value(data: bytes, column: str, transform) -> bytes:
    lines = _lines(data)
    index = lines[0].split(b"\t").index(column.encode())
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split(b"\t")
        if line:
            fields[index] = transform(fields[index])
        out.append(b"\t".join(fields))
    return b"\n".join(out)


def _first_record_fakeid(data: bytes) -> bytes:
    return _lines(data)[1].split(b"\t")[-1]


# kind -> (corrupt(matching bytes) -> bytes, outcome, text the message or a quarantine rule must hold)
MATCHING_KINDS = {
    "empty": (lambda d: b"", REJECTED, "the file is empty"),
    "whitespace only": (lambda d: b"  \n\n", REJECTED, "the file is empty"),
    "header only": (lambda d: _lines(d)[0] + b"\n", REJECTED, "header but no records"),
    "comma-delimited": (lambda d: d.replace(b"\t", b","), REJECTED, "separated by commas"),
    "semicolon-delimited": (lambda d: d.replace(b"\t", b";"), REJECTED, "separated by semicolons"),
    "pipe-delimited": (lambda d: d.replace(b"\t", b"|"), REJECTED, "separated by pipes"),
    "missing column": (lambda d: b"\n".join(b"\t".join(line.split(b"\t")[:-1]) for line in _lines(d)), REJECTED,
                       "missing columns FakeID"),
    "extra column": (lambda d: b"\n".join(line + b"\tX" if line else line for line in _lines(d)), REJECTED,
                     "unexpected columns X"),
    "repeated column": (lambda d: d.replace(b"FirstName", b"LastName", 1), REJECTED, "repeated columns LastName"),
    "non-UTF-8 (Latin-1)": (lambda d: d.replace(_lines(d)[3], _lines(d)[3] + b"\xe9", 1), REJECTED, "not UTF-8"),
    "UTF-16": (lambda d: d.decode().encode("utf-16"), REJECTED, "not UTF-8"),
    "binary (gzip)": (lambda d: __import__("gzip").compress(d), REJECTED, "not UTF-8"),
    "NUL byte": (lambda d: d.replace(_lines(d)[4], _lines(d)[4][:3] + b"\x00" + _lines(d)[4][3:], 1), REJECTED,
                 "line 5 holds a NUL byte"),
    "cut inside a line": (lambda d: d[: len(d) - len(_lines(d)[-2]) // 2 - 1], REJECTED, "cut short"),
    "cut inside the last field": (lambda d: d[:-3], REJECTED, "no line break"),
    "ragged middle line": (lambda d: d.replace(_lines(d)[5], _lines(d)[5] + b"\textra", 1), REJECTED, "first line 6"),
    "every value quoted": (_quote_all, REJECTED, "break the contract"),
    "the same delivery twice": (lambda d: d + b"\n".join(_lines(d)[1:]), REJECTED, "must be unique in the file"),
    "dates in another format": (lambda d: _column_value(d, "DOB", lambda v: v[:4] + b"-" + v[4:6] + b"-" + v[6:] if v
                                                        else v), REJECTED, "YYYYMMDD calendar date"),
    "Windows line ends and BOM": (lambda d: b"\xef\xbb\xbf" + d.replace(b"\n", b"\r\n"), LOADED, None),
    "one quoted name": (lambda d: replace_field(d, 2, "LastName", '"SMITH"'), LOADED, "LastName: no quotation marks"),
    "one impossible date": (lambda d: replace_field(d, 3, "DOB", "20230230"), LOADED, "DOB: YYYYMMDD calendar date"),
    "one missing FakeID": (lambda d: replace_field(d, 4, "FakeID", ""), LOADED, "FakeID: required value missing"),
    "one repeated FakeID": (lambda d: replace_field(d, 3, "FakeID", _first_record_fakeid(d).decode()), LOADED,
                            "FakeID: must be unique in the file"),
    "one bad gender code": (lambda d: replace_field(d, 5, "Gender", "X"), LOADED, "Gender: one of M, F, U"),
}
NAME_KINDS = {
    "no naming rule": ("DSS_2024.matching", "does not follow the P20 WIN naming rule"),
    "unknown agency": ("XYZ.000.01_15_2024.matching", "unknown agency 'XYZ'"),
    "impossible date in the name": ("DSS.000.02_30_2024.matching", "not a calendar date"),
    "a key file": ("DSS.000.01_15_2024.key", "is not a delivery"),
    "a stray README": ("README.txt", "does not follow the P20 WIN naming rule"),
}


@pytest.mark.parametrize("kind", MATCHING_KINDS)
def test_each_kind_of_bad_content_is_rejected_with_a_fix_or_loaded_with_named_rules(synth_home, kind):
    path = landed(synth_home, "DSS", "matching")
    corrupt, outcome, expected = MATCHING_KINDS[kind]
    inspection = inspect_delivery(path.name, corrupt(path.read_bytes()), folder_agency="DSS")
    if outcome == REJECTED:
        message = str(inspection.rejection)
        assert message.startswith(path.name + ":") and expected in message, message
        assert inspection.rejection.fix and "Fix:" in message
    else:
        assert inspection.rejection is None, inspection.rejection
        verdict = inspection.verdict
        assert len(verdict.accepted) > 0.95 * inspection.rows_read
        assert expected is None or expected in verdict.rule_failures, verdict.rule_failures


@pytest.mark.parametrize("kind", NAME_KINDS)
def test_each_kind_of_bad_name_is_rejected(synth_home, kind):
    name, expected = NAME_KINDS[kind]
    rejection = inspect_delivery(name, landed(synth_home, "DSS", "matching").read_bytes()).rejection
    assert rejection is not None and expected in str(rejection) and rejection.fix


def test_validate_finds_what_the_loaders_find(synth_home, tmp_path):
    """Every content kind through `p20 validate` (files on disk) gives the loaders' verdict."""
    original = landed(synth_home, "DSS", "matching")
    for number, (kind, (corrupt, outcome, _)) in enumerate(MATCHING_KINDS.items()):
        file = tmp_path / str(number) / original.name
        file.parent.mkdir()
        file.write_bytes(corrupt(original.read_bytes()))
        report = validate_files([file])[0]
        pipeline = inspect_delivery(original.name, file.read_bytes(), folder_agency="DSS")
        assert (report.inspection.rejection is None) == (pipeline.rejection is None) == (outcome == LOADED), kind
        assert report.ok == (outcome == LOADED and not pipeline.verdict.rule_failures), kind


def test_analytical_rows_keyed_to_no_one_in_the_matching_file_are_caught(synth_home, tmp_path):
    matching, analytical = landed(synth_home, "DSS", "matching"), landed(synth_home, "DSS", "analytical")
    for file in (matching, analytical):
        (tmp_path / file.name).write_bytes(file.read_bytes())
    data = analytical.read_bytes()
    few = replace_field(data, 2, "FakeID", "NOT-A-PERSON")
    (tmp_path / analytical.name).write_bytes(few)
    [report] = validate_files([tmp_path / analytical.name])
    assert "FakeID: not in the matching file: 1 rows (e.g. lines 2)" in report.describe()

    foreign = _column_value(data, "FakeID", lambda v: b"Z" + v)
    (tmp_path / analytical.name).write_bytes(foreign)
    [report] = validate_files([tmp_path / analytical.name])
    assert not report.ok and "REJECTED" in report.describe() and "not in the matching file" in report.describe()


# ---- through the loaders: landing entries, partial files, row counts, pairs -------------------------------------


def _deliveries(paths, file_name):
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as warehouse:
        return warehouse.execute("SELECT status, reason, sha256, archive_path FROM ops.deliveries WHERE file_name = ? "
                                 "ORDER BY load_seq", [file_name]).fetchall()


def _rows(paths, table, database=None):
    with duckdb.connect(str(database or paths.warehouse_db), read_only=True) as connection:
        return connection.execute(f"SELECT count(*), min(source_file) FROM {table}").fetchall()[0]


def _load_dss(paths):
    return load_feed(paths, ("DSS", "matching")) + load_feed(paths, ("DSS", "analytical"))


@pytest.mark.parametrize("kind", ["link to /etc/passwd", "link to another home's delivery", "linked agency folder",
                                  "named pipe", "hard link"])
def test_links_and_special_files_are_refused_unread_and_recorded(home_paths, tmp_path, kind):
    _load_dss(home_paths)
    before = _rows(home_paths, "raw_dss.analytical")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = landed(home_paths.home_dir, "DSS", "analytical")
    other = redeliver(real, real.read_bytes(), days_later=2)
    target = elsewhere / other.name
    os.replace(other, target)
    entry = home_paths.landing / "DSS" / other.name
    if kind == "link to /etc/passwd":
        entry.symlink_to("/etc/passwd")
    elif kind == "link to another home's delivery":
        entry.symlink_to(target)
    elif kind == "linked agency folder":
        entry = home_paths.landing / "OWS2"
        entry.symlink_to(elsewhere, target_is_directory=True)
    elif kind == "named pipe":
        os.mkfifo(entry)
    else:
        os.link(target, entry)

    feed = None if kind == "linked agency folder" else ("DSS", "analytical")
    [delivery] = load_feed(home_paths, feed)  # a pipe is never opened for reading: this would hang
    assert delivery.status == "rejected" and "was not read" in delivery.reason and entry.name in delivery.reason
    assert delivery.sha256.startswith("unread:") and delivery.archive_path == ""
    assert _rows(home_paths, "raw_dss.analytical") == before
    assert load_feed(home_paths, feed) == []  # recorded once
    assert feed is None or feed_status(home_paths, feed).open_problems


class _UploadClock:
    """The landing module's clock, under the test's control: a settle wait passes at once (no real time, so no
    assumption about how busy the machine is), and `during_wait` runs while it passes."""

    def __init__(self, during_wait) -> None:
        self.offset, self.waits, self.during_wait = 0.0, 0, during_wait

    def time(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.offset += seconds
        self.waits += 1
        self.during_wait()


def test_a_file_still_being_written_is_left_for_the_next_run(home_paths, monkeypatch):
    _load_dss(home_paths)
    original = landed(home_paths.home_dir, "DSS", "analytical")
    data = original.read_bytes()
    data += _lines(data)[1] + b"\n"  # one more record than the current delivery
    partial = redeliver_pair(original, data[: len(data) // 3])
    settled = time.time() - 7200
    for file in home_paths.landing.rglob("*"):  # every other file has long been unchanged
        if file.is_file() and file != partial:
            os.utime(file, (settled, settled))
    uploads = [data[len(data) // 3:]]

    def upload_goes_on():  # the rest of the file arrives during the first settle wait
        if uploads:
            with partial.open("ab") as handle:
                handle.write(uploads.pop())

    clock = _UploadClock(upload_goes_on)
    monkeypatch.setattr(landing, "time", clock)
    monkeypatch.setenv(SETTLE_SECONDS_VARIABLE, "3600")  # a stability window no real delay comes near
    recorded = load_feed(home_paths, ("DSS", "analytical"))  # the file changes while settling: not read
    assert clock.waits == 1 and not uploads  # it waited (on the test's clock) and the upload went on meanwhile
    assert recorded == [] and _deliveries(home_paths, partial.name) == []
    [delivery] = load_feed(home_paths, ("DSS", "analytical"))  # unchanged over a whole window now: the file loads
    assert delivery.status == "loaded" and delivery.rows_read == len(_lines(data)) - 2


def test_a_sharp_drop_in_rows_is_held_until_confirmed(home_paths):
    _load_dss(home_paths)
    original = landed(home_paths.home_dir, "DSS", "matching")
    lines = original.read_bytes().split(b"\n")
    half = redeliver_pair(original, b"\n".join(lines[: len(lines) // 2 - 1]) + b"\n")  # cut at a line boundary
    before = _rows(home_paths, "matching.dss", home_paths.hub_db)

    [held] = load_feed(home_paths, ("DSS", "matching"))
    assert held.status == "held" and f"p20 confirm {half.name}" in held.reason
    assert _rows(home_paths, "matching.dss", home_paths.hub_db) == before
    assert load_feed(home_paths, ("DSS", "matching")) == []  # still held, not recorded again
    assert [d.file_name for d in feed_status(home_paths, ("DSS", "matching")).open_problems] == [half.name]

    confirm_delivery(home_paths, half.name, confirmed_by="test")
    [loaded] = load_feed(home_paths, ("DSS", "matching"))
    assert loaded.status == "loaded"
    assert _rows(home_paths, "matching.dss", home_paths.hub_db)[1] == half.name
    assert not feed_status(home_paths, ("DSS", "matching")).open_problems


def test_an_analytical_file_of_other_people_is_held_and_the_previous_stays(home_paths):
    _load_dss(home_paths)
    original = landed(home_paths.home_dir, "DSS", "analytical")
    before = _rows(home_paths, "raw_dss.analytical")
    foreign = redeliver(original, _column_value(original.read_bytes(), "FakeID", lambda v: b"Z" + v))
    [held] = load_feed(home_paths, ("DSS", "analytical"))
    assert held.status == "held" and "not in DSS's loaded matching file" in held.reason
    assert _rows(home_paths, "raw_dss.analytical") == before
    foreign.unlink()
    assert not feed_status(home_paths, ("DSS", "analytical")).open_problems


def _landing_sensor_selection(home_paths, arrival) -> list[str]:
    """The feeds the landing sensor's run for `arrival` loads (a real sensor tick on an ephemeral instance)."""
    import dagster as dg

    from p20_platform.resources import DataHome
    from schedules.sensors import landing_sensor

    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"data_home": DataHome(home=str(home_paths.home_dir))})
        [request] = [r for r in landing_sensor(context).run_requests if r.run_key.startswith(f"DSS/{arrival.name}@")]
    return [key.to_user_string() for key in request.asset_selection]


def test_a_file_without_its_partner_is_held_until_the_partner_arrives(home_paths):
    """Issue 13: a matching file with no analytical partner (or the reverse) is held, naming the partner and the
    fix; the agency's previous pair stays current; the pair loads together once the partner arrives."""
    _load_dss(home_paths)
    matching, analytical = landed(home_paths.home_dir, "DSS", "matching"), landed(home_paths.home_dir, "DSS", "analytical")
    before = _rows(home_paths, "matching.dss", home_paths.hub_db), _rows(home_paths, "raw_dss.analytical")
    lonely = redeliver(matching, b"\n".join(_lines(matching.read_bytes())[:-2]) + b"\n")  # one person fewer

    [held] = load_feed(home_paths, ("DSS", "matching"))
    partner = lonely.name.replace(".matching", ".analytical")
    assert held.file_name == lonely.name and held.status == "held"
    assert f"analytical partner {partner}" in held.reason and f"Fix: send {partner} to landing/DSS/" in held.reason
    assert f"{matching.name} stays in use" in held.reason
    assert (_rows(home_paths, "matching.dss", home_paths.hub_db), _rows(home_paths, "raw_dss.analytical")) == before
    assert [d.file_name for d in feed_status(home_paths, ("DSS", "matching")).open_problems] == [lonely.name]
    assert load_feed(home_paths, ("DSS", "matching")) == []  # still held for the same reason: recorded once

    arrived = redeliver(analytical, b"\n".join(_lines(analytical.read_bytes())[:-2]) + b"\n")
    assert _landing_sensor_selection(home_paths, arrived) == ["DSS/DSS_analytical", "DSS/DSS_matching"]
    assert [d.status for d in _load_dss(home_paths)] == ["loaded", "loaded"]
    assert _rows(home_paths, "matching.dss", home_paths.hub_db)[1] == lonely.name
    assert _rows(home_paths, "raw_dss.analytical")[1] == arrived.name
    assert not feed_status(home_paths, ("DSS", "matching")).open_problems

    alone = redeliver(analytical, b"\n".join(_lines(analytical.read_bytes())[:-3]) + b"\n", days_later=5)  # the reverse
    [held] = load_feed(home_paths, ("DSS", "analytical"))
    assert held.status == "held" and "matching partner" in held.reason and alone.name in str(
        feed_status(home_paths, ("DSS", "analytical")).open_problems)
    assert _rows(home_paths, "raw_dss.analytical")[1] == arrived.name
    alone.unlink()  # removing it clears the state
    assert not feed_status(home_paths, ("DSS", "analytical")).open_problems


def _current_pair(home_paths) -> tuple[str, str]:
    return tuple(feed_status(home_paths, ("DSS", content)).current.file_name for content in ("matching", "analytical"))


def test_a_pair_becomes_current_together_or_not_at_all(home_paths):
    """Issue 13: a matching file whose analytical partner would not load is held with it, so no mismatched pair
    becomes current; a corrected partner makes both current; a rejected matching file holds its partner too."""
    _load_dss(home_paths)
    matching, analytical = landed(home_paths.home_dir, "DSS", "matching"), landed(home_paths.home_dir, "DSS", "analytical")
    before = _rows(home_paths, "matching.dss", home_paths.hub_db), _rows(home_paths, "raw_dss.analytical")
    fewer = redeliver(matching, b"\n".join(_lines(matching.read_bytes())[:-2]) + b"\n")  # one person fewer
    bad = redeliver(analytical, analytical.read_bytes().replace(b"\t", b";"))  # wrong delimiter: rejected whole

    held, rejected = _load_dss(home_paths)
    assert (held.file_name, held.status, rejected.file_name, rejected.status) == (fewer.name, "held", bad.name, "rejected")
    assert f"analytical partner {bad.name}" in held.reason and "would not load (rejected:" in held.reason
    assert f"{matching.name} stays in use" in held.reason and f"Fix: send a corrected {bad.name}" in held.reason
    assert (_rows(home_paths, "matching.dss", home_paths.hub_db), _rows(home_paths, "raw_dss.analytical")) == before
    assert _current_pair(home_paths) == (matching.name, analytical.name)
    assert _load_dss(home_paths) == []  # nothing new: recorded once

    bad.write_bytes(b"\n".join(_lines(analytical.read_bytes())[:-2]) + b"\n")  # the agency sends it again, corrected
    assert [(d.file_name, d.status) for d in _load_dss(home_paths)] == [(fewer.name, "loaded"), (bad.name, "loaded")]
    assert _current_pair(home_paths) == (fewer.name, bad.name)
    assert not feed_status(home_paths, ("DSS", "matching")).open_problems

    broken = redeliver(matching, matching.read_bytes().replace(b"\t", b";"), days_later=5)  # the reverse
    partner = redeliver(analytical, b"\n".join(_lines(analytical.read_bytes())[:-3]) + b"\n", days_later=5)
    rejected, held = _load_dss(home_paths)
    assert (rejected.file_name, rejected.status, held.file_name, held.status) == (broken.name, "rejected",
                                                                                partner.name, "held")
    assert f"matching partner {broken.name}" in held.reason and "has not loaded (rejected:" in held.reason
    assert _current_pair(home_paths) == (fewer.name, bad.name)


def test_a_pair_arriving_together_loads_in_one_run_whichever_run_the_sensor_starts_first(home_paths):
    """Issue 13: the landing sensor asks a run for each new file. Were the analytical file's run to load it alone and
    first, its FakeIDs (new ones, for new people) would be checked against the matching file still current and the
    file held; the matching file's run would then make the new matching file current beside the old analytical one,
    whose rows it does not key. So each file's run loads the agency's pair, matching file first."""
    _load_dss(home_paths)
    matching, analytical = landed(home_paths.home_dir, "DSS", "matching"), landed(home_paths.home_dir, "DSS", "analytical")
    new_people = [redeliver(file, _column_value(file.read_bytes(), "FakeID", lambda v: b"Z" + v))
                  for file in (matching, analytical)]
    assert _landing_sensor_selection(home_paths, new_people[1]) == ["DSS/DSS_analytical", "DSS/DSS_matching"]
    assert _landing_sensor_selection(home_paths, new_people[0]) == ["DSS/DSS_matching", "DSS/DSS_analytical"]
    assert [(d.file_name, d.status) for d in _load_dss(home_paths)] == [(f.name, "loaded") for f in new_people]
    assert _current_pair(home_paths) == tuple(f.name for f in new_people)


def test_an_analytical_file_checked_with_its_matching_partner_loads_from_that_check(home_paths, tmp_path):
    """The pair check runs the analytical file's whole contract against the new matching file's FakeIDs. Within one
    run (`PartnerChecks`, held by the DataHome resource) the file's own load takes that check instead of running it
    again (50 s for DOL's statewide wage file), and stores exactly what a load checking afresh stores."""
    _load_dss(home_paths)
    matching, analytical = landed(home_paths.home_dir, "DSS", "matching"), landed(home_paths.home_dir, "DSS", "analytical")
    new_people = _column_value(analytical.read_bytes(), "FakeID", lambda v: b"Z" + v)
    redeliver(matching, _column_value(matching.read_bytes(), "FakeID", lambda v: b"Z" + v))
    redeliver(analytical, replace_field(new_people, 2, "FakeID", "NOBODY"))  # a row keyed to no one: quarantined
    afresh = paths(shutil.copytree(home_paths.home_dir, tmp_path / "afresh"))

    checks = PartnerChecks()
    assert [d.status for d in load_feed(home_paths, ("DSS", "matching"), checks)] == ["loaded"]
    assert len(checks) == 1
    reused = load_feed(home_paths, ("DSS", "analytical"), checks)
    assert len(checks) == 0
    checked_afresh = _load_dss(afresh)[1:]
    assert [(d.status, d.reason, d.rows_quarantined, d.rule_failures) for d in reused] == [
        (d.status, d.reason, d.rows_quarantined, d.rule_failures) for d in checked_afresh]
    assert reused[0].rows_quarantined == 1
    for table in ("raw_dss.analytical", "raw_dss.analytical_quarantine"):
        assert _all_rows(home_paths, table) == _all_rows(afresh, table)


def _all_rows(paths_, table):
    with duckdb.connect(str(paths_.warehouse_db), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


def test_a_matching_file_sent_again_is_checked_against_its_loaded_analytical_partner(home_paths):
    """A matching file sent again under its name, after its pair loaded, must still fit the analytical file that
    stays current: one of other people (new FakeIDs) would leave every analytical row keyed to no one."""
    _load_dss(home_paths)
    matching = landed(home_paths.home_dir, "DSS", "matching")
    before = _rows(home_paths, "matching.dss", home_paths.hub_db)
    good = matching.read_bytes()
    matching.write_bytes(_column_value(good, "FakeID", lambda v: b"Z" + v))  # same name, other people's FakeIDs

    [held] = load_feed(home_paths, ("DSS", "matching"))
    partner = matching.name.replace(".matching", ".analytical")
    assert (held.file_name, held.status) == (matching.name, "held"), held.reason
    assert f"analytical partner {partner}" in held.reason and "not in" in held.reason, held.reason
    assert _rows(home_paths, "matching.dss", home_paths.hub_db) == before
    assert [d.file_name for d in feed_status(home_paths, ("DSS", "matching")).open_problems] == [matching.name]

    corrected = replace_field(good, 2, "LastName", "SMYTHE")  # the same people, one name corrected: it fits
    matching.write_bytes(corrected)
    [loaded] = load_feed(home_paths, ("DSS", "matching"))
    assert loaded.status == "loaded" and not feed_status(home_paths, ("DSS", "matching")).open_problems
    assert load_feed(home_paths, ("DSS", "analytical")) == []  # the partner stays current as it was


def test_a_mostly_bad_delivery_is_rejected_whole_and_every_other_feed_loads(home_paths):
    original = landed(home_paths.home_dir, "DSS", "matching")
    _load_dss(home_paths)
    before = _rows(home_paths, "matching.dss", home_paths.hub_db)
    quoted = redeliver(original, _quote_all(original.read_bytes()))
    [delivery] = load_feed(home_paths, ("DSS", "matching"))
    assert delivery.status == "rejected" and "break the contract" in delivery.reason
    assert _rows(home_paths, "matching.dss", home_paths.hub_db) == before
    others = [load_feed(home_paths, feed) for feed in FEEDS if feed[0] != "DSS"]
    assert all(recorded and recorded[-1].status == "loaded" for recorded in others)
    assert archive_path(home_paths.archive, delivery.sha256).read_bytes() == quoted.read_bytes()


def test_identifier_stores_are_created_owner_only_and_refused_when_opened_up(home_paths):
    from p20_platform.feeds.archive import OpenStoreError

    load_feed(home_paths, ("DOL", "matching"))
    assert stat.S_IMODE(home_paths.hub_db.stat().st_mode) == 0o600
    archived = next(p for p in home_paths.archive.rglob("*") if p.is_file())
    assert stat.S_IMODE(archived.stat().st_mode) == 0o400
    assert {stat.S_IMODE(p.stat().st_mode) for p in [home_paths.archive, *home_paths.archive.rglob("*")]
            if p.is_dir()} == {0o700}

    home_paths.hub_db.chmod(0o644)
    with pytest.raises(OpenStoreError, match=r"hub.duckdb \(644\).*chmod 600"):
        load_feed(home_paths, ("DOL", "analytical"))
    home_paths.hub_db.chmod(0o600)
    archived.parent.chmod(0o755)
    with pytest.raises(OpenStoreError, match="chmod -R go-rwx"):
        load_feed(home_paths, ("DOL", "analytical"))
    archived.parent.chmod(0o700)
    assert load_feed(home_paths, ("DOL", "analytical"))[-1].status == "loaded"


def test_the_manifest_is_published_for_readers(home_paths):
    _load_dss(home_paths)
    with duckdb.connect() as reader:
        files = reader.execute(f"SELECT file_name, status FROM '{home_paths.published_manifest}'").fetchall()
    assert {status for _, status in files} == {"loaded"} and len(files) == 2
