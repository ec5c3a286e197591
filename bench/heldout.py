"""`p20 link` on files it has never seen against an untuned Splink script: SSA-style vs W-2-style files.

The files come from a generator of their own, not the platform's synthetic population: another
name source (Faker's en_GB and en_US lists, unweighted), other error rates, and a file pair the
model was never trained or tuned on:
- an SSA-style file (Numident-like: one record per person, LastName, MiddleName, FirstName, DOB,
  Gender, SSN), with typos, day/month swaps and transposed SSN digits;
- a W-2-style file (one record per person and employer: LastName, FirstName, MiddleName initial,
  SSN; no DOB), with nicknames, typos, married surnames, SSN typos and **borrowed SSNs**: a
  household member working under another member's number with the worker's own first name and
  the household's surname. Those records belong to the worker, not to the number's owner.

Both linkers get the same two files and are timed from reading the files to the clusters:
- `p20 link` is `link_files(..., "probabilistic")`, exactly as the command line runs it;
- the untuned script is what the Splink tutorial writes (library comparisons for names, DOB and
  SSN, blocking on SSN and on the names, prior from a deterministic rule at recall 0.7, u by random
  sampling, EM on two blocking rules, clusters at match probability 0.95), nothing chosen for
  this data.

Scores are pairwise against the generator's truth, over all record pairs (within and across files).
The other strategies (deterministic, pet-keys, pet-bloom with a one-off key) are scored on the same files.

    .venv/bin/python -m bench.heldout --persons 12000
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench import command_line

SSA_FILE = "SSA.000.01_01_2026.matching"
W2_FILE = "W2.000.01_01_2026.matching"
# Rates of this generator (not the platform's synthetic population's).
SSA_SHARE = 0.85  # persons with an SSA-style record
WORKER_SHARE = 0.7  # adults with at least one W-2
BORROWED_SHARE = 0.015  # W-2 records under another household member's SSN
TYPO = 0.03  # per name field and record
NICKNAME = 0.08  # W-2 first names written as a nickname
MARRIED_SURNAME = 0.25  # women aged 25+ whose W-2s carry a surname other than the SSA record's
DOB_ERROR = 0.02
SSN_TRANSPOSED = 0.01
SSN_DIGIT_WRONG = 0.005
NICKNAMES = {"ROBERT": "BOB", "WILLIAM": "BILL", "RICHARD": "DICK", "JAMES": "JIM", "JOSEPH": "JOE",
             "THOMAS": "TOM", "MICHAEL": "MIKE", "CHRISTOPHER": "CHRIS", "DANIEL": "DAN", "MATTHEW": "MATT",
             "ELIZABETH": "LIZ", "JENNIFER": "JEN", "KATHERINE": "KATE", "MARGARET": "PEGGY", "PATRICIA": "PAT",
             "SUSAN": "SUE", "REBECCA": "BECKY", "DEBORAH": "DEBBIE", "ANTHONY": "TONY", "EDWARD": "ED"}


def _names(attribute: str) -> list[str]:
    names: set[str] = set()
    for locale in ("en_GB", "en_US"):
        names |= set(getattr(importlib.import_module(f"faker.providers.person.{locale}").Provider, attribute))
    return sorted(n.upper() for n in names if n.isalpha())


def _typo(name: str, rng: np.random.Generator) -> str:
    if len(name) < 3:
        return name
    i = int(rng.integers(1, len(name) - 1))
    kind = rng.integers(3)
    if kind == 0:  # adjacent letters swapped
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == 1:  # a letter dropped
        return name[:i] + name[i + 1:]
    return name[:i] + chr(ord("A") + int(rng.integers(26))) + name[i + 1:]  # a letter replaced


def _ssn(rng: np.random.Generator, taken: set[str]) -> str:
    while True:
        area = int(rng.integers(1, 900))
        if area == 666:
            continue
        ssn = f"{area:03d}{int(rng.integers(1, 100)):02d}{int(rng.integers(1, 10000)):04d}"
        if ssn not in taken:
            taken.add(ssn)
            return ssn


def _ssn_error(ssn: str, rng: np.random.Generator) -> str:
    u = rng.random()
    if u < SSN_TRANSPOSED:
        i = int(rng.integers(0, 8))
        return ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2:]
    if u < SSN_TRANSPOSED + SSN_DIGIT_WRONG:
        i = int(rng.integers(3, 9))
        return ssn[:i] + str((int(ssn[i]) + int(rng.integers(1, 10))) % 10) + ssn[i + 1:]
    return ssn


def people(persons: int, seed: int) -> pd.DataFrame:
    """Households of 1-4 people sharing a surname: person_id, household, first, middle, last, dob, sex, ssn."""
    rng = np.random.default_rng(seed)
    male, female, last = _names("first_names_male"), _names("first_names_female"), _names("last_names")
    rows, taken, household = [], set(), 0
    while len(rows) < persons:
        household += 1
        surname = last[int(rng.integers(len(last)))]
        parent_year = int(rng.integers(1950, 1995))
        for member in range(int(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.2, 0.2]))):
            sex = "F" if rng.random() < 0.5 else "M"
            year = parent_year + int(rng.integers(-3, 4)) if member < 2 else parent_year + int(rng.integers(20, 38))
            year = min(year, 2009)
            dob = pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(rng.integers(0, 365)))
            names = female if sex == "F" else male
            rows.append({"person_id": len(rows), "household": household, "sex": sex,
                         "first": names[int(rng.integers(len(names)))], "middle": names[int(rng.integers(len(names)))],
                         "last": surname, "dob": dob.strftime("%Y%m%d"), "ssn": _ssn(rng, taken)})
    return pd.DataFrame(rows[:persons])


def files(persons: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(SSA-style file, W-2-style file, truth[file, FakeID, person_id])."""
    rng = np.random.default_rng(seed + 1)
    population = people(persons, seed)
    last = _names("last_names")
    ssa_rows, w2_rows = [], []
    for p in population[rng.random(len(population)) < SSA_SHARE].itertuples():
        first, surname, dob = p.first, p.last, p.dob
        if rng.random() < TYPO:
            first = _typo(first, rng)
        if rng.random() < TYPO:
            surname = _typo(surname, rng)
        if rng.random() < DOB_ERROR:
            dob = dob[:4] + dob[6:] + dob[4:6] if int(dob[6:]) <= 12 else dob[:7] + str((int(dob[7]) + 1) % 10)
        ssa_rows.append({"LastName": surname, "MiddleName": p.middle, "FirstName": first, "DOB": dob,
                         "Gender": p.sex, "SSN": _ssn_error(p.ssn, rng), "person_id": p.person_id})
    adults = population[population["dob"].str[:4].astype(int) <= 2007]
    members = population.groupby("household")
    for p in adults[rng.random(len(adults)) < WORKER_SHARE].itertuples():
        married = p.sex == "F" and int(p.dob[:4]) <= 2000 and rng.random() < MARRIED_SURNAME
        new_surname = last[int(rng.integers(len(last)))]
        household = members.get_group(p.household)
        for _ in range(int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))):
            first, surname, ssn = p.first, new_surname if married else p.last, _ssn_error(p.ssn, rng)
            others = household[household["person_id"] != p.person_id]
            if len(others) and rng.random() < BORROWED_SHARE / 0.7:  # about 70% of workers have a household
                ssn = others["ssn"].iloc[int(rng.integers(len(others)))]
            if first in NICKNAMES and rng.random() < NICKNAME:
                first = NICKNAMES[first]
            if rng.random() < TYPO:
                first = _typo(first, rng)
            if rng.random() < TYPO:
                surname = _typo(surname, rng)
            w2_rows.append({"LastName": surname, "FirstName": first, "MiddleName": p.middle[0], "SSN": ssn,
                            "person_id": p.person_id})
    ssa, w2 = pd.DataFrame(ssa_rows), pd.DataFrame(w2_rows)
    ssa["FakeID"] = [f"S{i:06d}" for i in rng.permutation(len(ssa))]
    w2["FakeID"] = [f"W{i:06d}" for i in rng.permutation(len(w2))]
    truth = pd.concat([ssa.assign(file=SSA_FILE), w2.assign(file=W2_FILE)])[["file", "FakeID", "person_id"]]
    return ssa.drop(columns="person_id"), w2.drop(columns="person_id"), truth


def untuned_splink(paths: list[Path]) -> pd.DataFrame:
    """The script an analyst writes from the Splink tutorial: DataFrame[file, FakeID, cluster_id]."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    tables = []
    for path in paths:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False).replace({"": None})
        table = table.rename(columns={"FirstName": "first_name", "LastName": "last_name", "DOB": "dob", "SSN": "ssn"})
        if "dob" not in table.columns:
            table["dob"] = None
        for column in ("first_name", "last_name"):
            table[column] = table[column].str.upper().str.strip()
        table["unique_id"] = path.name + "|" + table["FakeID"]
        tables.append(table[["unique_id", "first_name", "last_name", "dob", "ssn"]])
    settings = SettingsCreator(
        link_type="link_and_dedupe",
        comparisons=[cl.NameComparison("first_name"), cl.NameComparison("last_name"),
                     cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y%m%d"),
                     cl.LevenshteinAtThresholds("ssn", [1, 2])],
        blocking_rules_to_generate_predictions=[block_on("ssn"), block_on("first_name", "last_name"),
                                                block_on("last_name", "dob")],
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(t, dataset_display_name=f"file_{i}") for i, t in enumerate(tables)], settings,
                    log_level=40)
    linker.training.estimate_probability_two_random_records_match([block_on("first_name", "last_name", "ssn")],
                                                                  recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("ssn"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95).as_pandas_dataframe()
    ids = clusters["unique_id"].str.split("|", n=1, expand=True)
    return pd.DataFrame({"file": ids[0], "FakeID": ids[1], "cluster_id": clusters["cluster_id"].astype(str)})


def _scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict:
    from p20_platform.linkage.truth_scores import pairwise_scores

    key = lambda t: t["file"] + "|" + t["FakeID"]  # noqa: E731
    scores = pairwise_scores(pd.DataFrame({"record_id": key(clusters), "cluster_id": clusters["cluster_id"]}),
                             pd.DataFrame({"record_id": key(truth), "person_id": truth["person_id"]}))
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in scores.items()}


def run(persons: int, seed: int) -> dict:
    from p20_platform.linkage import link_files

    ssa, w2, truth = files(persons, seed)
    result: dict = {"persons": persons, "seed": seed, "records": {"ssa": len(ssa), "w2": len(w2)},
                    "borrowed_ssn_share_of_w2": BORROWED_SHARE}
    with tempfile.TemporaryDirectory() as scratch:
        paths = [Path(scratch) / SSA_FILE, Path(scratch) / W2_FILE]
        for table, path in zip((ssa, w2), paths):
            table.to_csv(path, sep="\t", index=False)
        for name, link in (("p20 link", lambda: link_files(paths, "probabilistic").rename(columns={"p20_id": "cluster_id"})),
                           ("untuned Splink script", lambda: untuned_splink(paths))):
            started = time.perf_counter()
            clusters = link()
            result[name] = _scores(clusters, truth) | {"seconds": round(time.perf_counter() - started, 1)}
        os.environ.setdefault("P20_PET_KEY", os.urandom(32).hex())  # a one-off key: nothing is kept
        result["other strategies (p20 link --strategy)"] = {}
        for strategy in ("deterministic", "pet-keys", "pet-bloom"):
            started = time.perf_counter()
            clusters = link_files(paths, strategy).rename(columns={"p20_id": "cluster_id"})
            result["other strategies (p20 link --strategy)"][strategy] = _scores(clusters, truth) | {
                "seconds": round(time.perf_counter() - started, 1)}
    return result


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0], lambda args: run(args.persons, args.seed),
                        default_persons=12_000, result_name="heldout_{persons}.json")


if __name__ == "__main__":
    sys.exit(main())
