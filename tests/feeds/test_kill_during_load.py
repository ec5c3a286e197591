"""SIGKILL during the feed load: the next load completes with no manual step and the stores equal a clean load's."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

import duckdb

from p20_platform.feeds import FEEDS, load_feed
from p20_platform.feeds.loaders import analytical_schema, matching_table
from p20_platform.settings import paths

LOAD_ALL = ("import sys\nfrom p20_platform.feeds import FEEDS, load_feed\nfrom p20_platform.settings import paths\n"
            "home = paths(sys.argv[1])\nfor feed in FEEDS:\n    load_feed(home, feed)\n")


def _checksums(home) -> dict[str, tuple]:
    sums = {}
    for code, content in FEEDS:
        store, table = ((home.hub_db, matching_table(code)) if content == "matching"
                        else (home.warehouse_db, f"{analytical_schema(code)}.analytical"))
        with duckdb.connect(str(store), read_only=True) as connection:
            sums[table] = connection.execute(
                f"SELECT count(*), md5(string_agg(row, '|' ORDER BY row)) FROM (SELECT CAST(t AS VARCHAR) AS row "
                f"FROM {table} AS t)").fetchone()
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        sums["manifest"] = warehouse.execute("SELECT list((file_name, status) ORDER BY file_name, status) "
                                             "FROM ops.deliveries").fetchone()
    return sums


def test_a_load_killed_midway_completes_on_the_next_run_as_a_clean_one(synth_home, tmp_path):
    clean, killed = paths(tmp_path / "clean"), paths(tmp_path / "killed")
    for home in (clean, killed):
        shutil.copytree(synth_home, home.home_dir)
    for feed in FEEDS:
        load_feed(clean, feed)

    child = subprocess.Popen([sys.executable, "-c", LOAD_ALL, str(killed.home_dir)])
    deadline = time.monotonic() + 120
    while not (killed.published_manifest.exists() or time.monotonic() > deadline or child.poll() is not None):
        time.sleep(0.05)  # the first feed is recorded: the load is under way
    time.sleep(0.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the load finished before it could be killed"

    for feed in FEEDS:
        load_feed(killed, feed)
    assert _checksums(killed) == _checksums(clean)
