"""The landing sensor, evaluated with Dagster's sensor testing utilities on a real instance and real files."""

from __future__ import annotations

import dagster as dg

from p20_platform.resources import DataHome
from p20_platform.settings import paths


def _tick(instance, home, cursor):
    from schedules.sensors import landing_sensor

    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"data_home": DataHome(home=str(home))})
    result = landing_sensor(context)
    return result.run_requests, result.cursor


def _new(requests, seen: set[str]) -> list:
    """The requests Dagster would launch: run keys are de-duplicated forever."""
    fresh = [r for r in requests if r.run_key not in seen]
    seen.update(r.run_key for r in requests)
    return fresh


def test_new_unchanged_and_changed_files(fresh_home):
    with dg.DagsterInstance.ephemeral() as instance:
        first, cursor = _tick(instance, fresh_home, None)
        landing_files = [p for p in (fresh_home / "landing").rglob("*") if p.is_file()]
        assert len(first) == len(landing_files)
        assert len({r.run_key for r in first}) == len(first)
        seen = {r.run_key for r in first}
        # the cursor is one readable line, not a document per file
        assert cursor.startswith(f"{len(landing_files)} landing files, fingerprint ") and len(cursor) < 60

        again, cursor = _tick(instance, fresh_home, cursor)
        assert again == []

        path = next((fresh_home / "landing" / "DOC").glob("*.matching"))
        path.touch()  # a new mtime but the same bytes: read again, but nothing new to run
        touched, touched_cursor = _tick(instance, fresh_home, cursor)
        assert touched_cursor != cursor and _new(touched, seen) == []
        cursor = touched_cursor

        new = fresh_home / "landing" / "DCF" / "DCF.000.12_31_2030.analytical"
        new.write_bytes(next((fresh_home / "landing" / "DCF").glob("*.analytical")).read_bytes()[:-1] + b"\n")
        requests, cursor = _tick(instance, fresh_home, cursor)
        [request] = _new(requests, seen)
        # No request here is run, so DCF's matching file is still to load: the run loads it too, matching file first
        assert request.asset_selection == [dg.AssetKey(["DCF", "DCF_analytical"]), dg.AssetKey(["DCF", "DCF_matching"])]
        assert request.run_key.startswith("DCF/DCF.000.12_31_2030.analytical@")

        path.write_bytes(path.read_bytes() + path.read_bytes().split(b"\n")[1] + b"\n")
        requests, cursor = _tick(instance, fresh_home, cursor)
        [changed] = _new(requests, seen)
        assert changed.asset_selection == [dg.AssetKey(["DOC", "DOC_matching"]), dg.AssetKey(["DOC", "DOC_analytical"])]
        assert changed.run_key != next(r.run_key for r in first if r.run_key.startswith(f"DOC/{path.name}@"))

        stray = fresh_home / "landing" / "notes.txt"
        stray.write_text("not a delivery")
        requests, _ = _tick(instance, fresh_home, cursor)
        [unclaimed] = _new(requests, seen)
        assert unclaimed.asset_selection == [dg.AssetKey(["feeds", "unclaimed_deliveries"])]


def test_deliveries_already_archived_request_nothing(fresh_home):
    """After `make demo` loaded everything, a sensor starting with an empty cursor stays quiet."""
    from p20_platform.feeds import load_feed

    load_feed(paths(fresh_home), ("CSSD", "matching"))
    with dg.DagsterInstance.ephemeral() as instance:
        requests, _ = _tick(instance, fresh_home, None)
    keys = [r.asset_selection for r in requests]
    assert [dg.AssetKey(["CSSD", "CSSD_matching"])] not in keys
    assert [dg.AssetKey(["CSSD", "CSSD_analytical"])] in keys  # not loaded yet, so still requested
