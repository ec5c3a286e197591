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


def test_new_unchanged_and_changed_files(fresh_home):
    with dg.DagsterInstance.ephemeral() as instance:
        first, cursor = _tick(instance, fresh_home, None)
        landing_files = [p for p in (fresh_home / "landing").rglob("*") if p.is_file()]
        assert len(first) == len(landing_files)
        assert len({r.run_key for r in first}) == len(first)

        again, cursor = _tick(instance, fresh_home, cursor)
        assert again == []

        path = next((fresh_home / "landing" / "DOC").glob("*.matching"))
        path.touch()  # a new mtime but the same bytes: still nothing to do
        assert _tick(instance, fresh_home, cursor)[0] == []

        new = fresh_home / "landing" / "DCF" / "DCF.000.12_31_2030.analytical"
        new.write_bytes(next((fresh_home / "landing" / "DCF").glob("*.analytical")).read_bytes()[:-1] + b"\n")
        [request], cursor = _tick(instance, fresh_home, cursor)
        assert request.asset_selection == [dg.AssetKey(["DCF", "analytical"])]
        assert request.run_key.startswith("DCF/DCF.000.12_31_2030.analytical@")

        path.write_bytes(path.read_bytes() + path.read_bytes().split(b"\n")[1] + b"\n")
        [changed], cursor = _tick(instance, fresh_home, cursor)
        assert changed.asset_selection == [dg.AssetKey(["DOC", "matching"])]
        assert changed.run_key != next(r.run_key for r in first if r.run_key.startswith(f"DOC/{path.name}@"))

        stray = fresh_home / "landing" / "notes.txt"
        stray.write_text("not a delivery")
        [unclaimed], _ = _tick(instance, fresh_home, cursor)
        assert unclaimed.asset_selection == [dg.AssetKey(["feeds", "unclaimed_deliveries"])]


def test_deliveries_already_archived_request_nothing(fresh_home):
    """After `make demo` loaded everything, a sensor starting with an empty cursor stays quiet."""
    from p20_platform.feeds import load_feed

    load_feed(paths(fresh_home), ("CSSD", "matching"))
    with dg.DagsterInstance.ephemeral() as instance:
        requests, _ = _tick(instance, fresh_home, None)
    keys = [r.asset_selection for r in requests]
    assert [dg.AssetKey(["CSSD", "matching"])] not in keys
    assert [dg.AssetKey(["CSSD", "analytical"])] in keys  # not loaded yet, so still requested
