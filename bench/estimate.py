"""The disconnected-youth estimate against truth over seeds and linkability levels.

Each run: a synthetic population, every feed loaded, the probabilistic index, the dbt marts up to
the person-year mart, the hub's estimate, the counts mart; then each year's and each sex, race/
ethnicity and age-band cell's estimate and 90% interval beside the true count (cells whose true
count holds at least 50 youth), and each year's severe part of the estimate beside the true severe count. Targets (issue 10): every yearly estimate 2016-2025 within 5% of
truth, the at-risk-or-disconnected share within 1 point, the interval covering truth in at least
90% of cells with a half-width of at most 15% of the estimate.

    nice -n 10 .venv/bin/python -m bench.estimate --persons 10000 --seeds 1 2 3 4 --bridge-rates 1.0 3.0
    .venv/bin/python -m bench.estimate --home <bench.statewide home> --result estimate_statewide_1200000.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench import write_result
from p20_platform.estimation.publish import publish_undecided_status
from p20_platform.evaluation.marts import BREAKDOWN_MINIMUM, compare_marts_with_truth, estimates_vs_truth
from p20_platform.feeds import FEEDS, load_feed
from p20_platform.linkage.hub import rebuild_index
from p20_platform.settings import Paths, paths
from p20_platform.synth import generate
from p20_platform.transform import DBT_PROJECT_DIR

TARGET_YEARS = range(2016, 2026)
DBT = str(Path(sys.executable).with_name("dbt"))


def _dbt(home: Paths, *args: str) -> None:
    command = [DBT, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(home.home_dir / "dbt_target"), "--log-path", str(home.home_dir / "dbt_logs"),
               "--vars", json.dumps({"p20_home": str(home.home_dir)})]
    result = subprocess.run(command, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}")


def estimate_and_count(home: Paths) -> None:
    """The hub's estimate -> counts mart, on a home built through the person-year mart."""
    publish_undecided_status(home)
    _dbt(home, "build", "--select", "source:estimation+")


def build_through_counts(home: Paths) -> None:
    """Feeds -> probabilistic index -> marts up to person-years -> the hub's estimate -> counts mart."""
    for feed in FEEDS:
        load_feed(home, feed)
    rebuild_index(home, "probabilistic")
    _dbt(home, "build", "--exclude", "source:estimation+")
    estimate_and_count(home)


def true_severe(home: Paths) -> pd.DataFrame:
    """True severely disconnected youth per report year, among people some agency recorded (as
    `compare_marts_with_truth` restricts truth)."""
    recorded = pd.read_parquet(home.truth / "records.parquet", columns=["person_id"])["person_id"].unique()
    status = pd.read_parquet(home.truth / "status.parquet", columns=["person_id", "report_year", "status"])
    severe = status[(status["status"] == "disconnected_severe") & status["person_id"].isin(recorded)]
    return (severe.groupby("report_year").size().rename("truth").reset_index()
            .assign(dimension="severe", dimension_value="All youth aged 14-26"))


def error_parts(home: Paths) -> pd.DataFrame:
    """Each year's estimate minus truth, taken apart by the kind of youth-year that carries it
    (report_year, part, error): where to look when a figure is off.

    Truth goes to one entry per true person: of those holding youth-years, the one holding most of their
    records from agencies other than DOL. An entry without youth-years (no birth date: a wage-only entry, a
    college record without one) gets truth only when no entry of the person has any, else a person known
    through an unemployment claim and a dateless record would count as missed and the claim's entry as a
    split half. Parts: `decided_disconnected`,
    `decided_other` (the data decided; truth may disagree), `undecided` (the hub's probability), each
    with `/secondary` for entries that are not their person's main one (split halves, which truth
    counts as zero), and `missed`: people truly disconnected whose main entry holds no youth-year
    that year. Link corrections are subtracted where they fall."""
    with duckdb.connect(str(home.hub_db), read_only=True) as hub:
        crosswalk = hub.execute("SELECT r.agency, r.FakeID::VARCHAR AS FakeID, c.p20_id FROM mpi.crosswalk AS c "
                                "JOIN mpi.records AS r USING (record_id)").df()
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        rows = warehouse.execute("""
            SELECT py.p20_id, py.report_year, py.status LIKE 'disconnected%' AS decided_disconnected,
                   u.p_disconnected, coalesce(c.disconnected_overcount, 0) AS overcount
            FROM marts.disconnected_youth_person_year AS py
            LEFT JOIN estimation.undecided_status AS u
                ON u.p20_id = py.p20_id AND u.report_year = py.report_year AND u.replicate = 0
            LEFT JOIN estimation.link_corrections AS c ON c.p20_id = py.p20_id AND c.report_year = py.report_year
        """).df()
    records = pd.read_parquet(home.truth / "records.parquet", columns=["agency", "FakeID", "person_id"])
    held = crosswalk.merge(records.astype({"FakeID": str}), on=["agency", "FakeID"])
    held = held.assign(other=held["agency"] != "DOL").groupby(["p20_id", "person_id"]).agg(
        records=("agency", "size"), others=("other", "sum"))
    held = held.reset_index().sort_values(["records"], ascending=False).drop_duplicates("p20_id")
    held["youth"] = held["p20_id"].isin(rows["p20_id"])
    main = held.sort_values(["youth", "others", "records"], ascending=False).drop_duplicates("person_id")["p20_id"]
    status = pd.read_parquet(home.truth / "status.parquet", columns=["person_id", "report_year", "status"])
    status = status[status["person_id"].isin(records["person_id"]) & status["status"].str.startswith("disconnected")]
    rows = rows.merge(held[["p20_id", "person_id"]], on="p20_id", how="left").assign(main=lambda r: r["p20_id"].isin(main))
    truly = rows.merge(status, on=["person_id", "report_year"], how="left")["status"].notna().to_numpy()
    estimate = rows["p_disconnected"].fillna(rows["decided_disconnected"].astype(float)) - rows["overcount"]
    part = np.select([rows["p_disconnected"].notna(), rows["decided_disconnected"]],
                     ["undecided", "decided_disconnected"], "decided_other")
    rows = rows.assign(error=estimate - truly * rows["main"], part=np.where(rows["main"], part, part + "/secondary"))
    seen = rows.loc[rows["main"], ["person_id", "report_year"]].drop_duplicates()
    missed = status.merge(seen, how="left", indicator=True).query("_merge == 'left_only'")
    missed = missed.groupby("report_year").size().rename("error").reset_index().assign(part="missed")
    found = rows.groupby(["report_year", "part"], as_index=False)["error"].sum()
    return (pd.concat([found, missed.assign(error=-missed["error"])], ignore_index=True)
            .sort_values(["report_year", "part"], ignore_index=True).round({"error": 2}))


def run_one(persons: int, seed: int, bridge_rate: float | None) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        home = paths(scratch)
        started = time.perf_counter()
        options = {} if bridge_rate is None else {"bridge_rate": bridge_rate}
        generate(persons=persons, seed=seed, out=home.home_dir, progress=False, **options)
        build_through_counts(home)
        return measure(home, seed, bridge_rate, started)


def measure(home: Paths, seed: int | None, bridge_rate: float | None, started: float) -> dict:
    """Cells (yearly, breakdowns, severe) and shares of a built home beside its truth."""
    comparison = compare_marts_with_truth(home)
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        shares = warehouse.execute(
            "SELECT report_year, youth, at_risk, disconnected_estimate, at_risk_or_disconnected_share_estimate "
            "FROM marts.disconnected_youth_counts WHERE dimension = 'all' ORDER BY report_year").df()
        severe = warehouse.execute(
            "SELECT report_year, 'severe' AS dimension, 'All youth aged 14-26' AS dimension_value, "
            "disconnected_severe AS observed, disconnected_severe_estimate AS estimate, "
            "disconnected_severe_lower AS lower, disconnected_severe_upper AS upper "
            "FROM marts.disconnected_youth_counts WHERE dimension = 'all' ORDER BY report_year").df()
    severe = estimates_vs_truth(severe, true_severe(home))
    seconds = time.perf_counter() - started
    truth_status = comparison.status_counts.pivot(index="report_year", columns="status_group", values="truth")
    shares["true_share"] = (truth_status["at_risk"] + truth_status["disconnected"]).reindex(
        shares["report_year"]).to_numpy() / shares["youth"]
    cells = pd.concat([comparison.estimates, severe], ignore_index=True).assign(seed=seed, bridge_rate=bridge_rate)
    return {"cells": cells, "shares": shares.assign(seed=seed, bridge_rate=bridge_rate), "seconds": seconds,
            "error_parts": error_parts(home).assign(seed=seed, bridge_rate=bridge_rate)}


def summarise(cells: pd.DataFrame, shares: pd.DataFrame) -> dict:
    cells = cells.assign(half_width_share=(cells["upper"] - cells["lower"]) / 2 / cells["estimate"].where(
        cells["estimate"] > 0))
    yearly = cells[(cells["dimension"] == "all") & cells["report_year"].isin(TARGET_YEARS)]
    severe = cells[(cells["dimension"] == "severe") & cells["report_year"].isin(TARGET_YEARS)]
    breakdown = cells[~cells["dimension"].isin(["all", "severe"]) & (cells["truth"] >= BREAKDOWN_MINIMUM)]
    share_error = (shares["at_risk_or_disconnected_share_estimate"] - shares["true_share"]).abs()

    def stats(frame: pd.DataFrame) -> dict:
        return {"cells": len(frame), "coverage": round(float(frame["covered"].mean()), 4),
                "max_abs_relative_error": round(float(frame["relative_difference"].abs().max()), 4),
                "mean_abs_relative_error": round(float(frame["relative_difference"].abs().mean()), 4),
                "cells_within_5pct": round(float((frame["relative_difference"].abs() <= 0.05).mean()), 4),
                "max_half_width_share": round(float(frame["half_width_share"].max()), 4),
                "mean_half_width_share": round(float(frame["half_width_share"].mean()), 4)}

    level = yearly["bridge_rate"].fillna("synth default").astype(str)
    per_level = {name: stats(yearly[level == name]) for name in level.unique()}
    return {"yearly_2016_2025": stats(yearly), "yearly_by_bridge_rate": per_level,
            "severe_yearly_2016_2025": stats(severe),
            f"breakdowns_truth_at_least_{BREAKDOWN_MINIMUM}": stats(breakdown),
            "breakdowns_by_dimension": {d: stats(breakdown[breakdown["dimension"] == d])
                                        for d in sorted(breakdown["dimension"].unique())},
            "max_abs_share_error_points": round(float(share_error[shares["report_year"].isin(TARGET_YEARS)].max())
                                                * 100, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--result", default="estimate.json", help="file name under bench/results/")
    parser.add_argument("--bridge-rates", type=float, nargs="+", default=None,
                        help="linkability levels (p20 synth --bridge-rate; 3.0 halves the unlinkable share, "
                             "bench/results/synth_bridges.json); default: the synth default only")
    parser.add_argument("--home", type=Path, default=None,
                        help="a home with truth already built through the person-year mart (bench.statewide's): "
                             "estimate it again and compare, instead of populations of --persons")
    args = parser.parse_args(argv)
    levels = args.bridge_rates or [None]
    if args.home is not None:
        home, started = paths(args.home), time.perf_counter()
        built = json.loads((home.truth / "synth_record.json").read_text())["arguments"]
        persons, seeds = built["persons"], [built["seed"]]
        estimate_and_count(home)
        runs = [measure(home, built["seed"], None, started)]
    else:
        persons, seeds = args.persons, args.seeds
        runs = [run_one(persons, seed, level) for level in levels for seed in seeds]
    cells = pd.concat([r["cells"] for r in runs], ignore_index=True)
    shares = pd.concat([r["shares"] for r in runs], ignore_index=True)
    result = {
        "command": "python -m bench.estimate " + " ".join(argv if argv is not None else sys.argv[1:]),
        "persons": persons, "seeds": seeds, "bridge_rates": levels,
        "seconds_per_run": [round(r["seconds"], 1) for r in runs],
        "summary": summarise(cells, shares),
        "cells": json.loads(cells.to_json(orient="records")),
        "shares": json.loads(shares.to_json(orient="records")),
        "error_parts": json.loads(pd.concat([r["error_parts"] for r in runs], ignore_index=True).to_json(orient="records")),
    }
    write_result(args.result, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
