"""`generate`: a synthetic P20 population's deliveries (landing/) and ground truth (truth/).

Every random draw comes from a stream named after its stage and keyed by the seed (and, for
deliveries, by agency, delivery date and request), so the same seed gives the same bytes in
every file, and adding a stage does not shift the draws of the others.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from p20_platform.registry import AGENCIES, Agency
from p20_platform.settings import Paths, paths
from p20_platform.synth import truth
from p20_platform.synth.delivery import build_delivery, file_name, write_table
from p20_platform.synth.histories import Histories, build_histories
from p20_platform.synth.noise import NoiseConfig
from p20_platform.synth.population import make_persons

DEFAULT_DELIVERY_DATE = dt.date(2026, 1, 15)
DEFAULT_BRIDGE_RATE = 1.0
MAX_BRIDGE_RATE = 30.0  # beyond this every wage earner already has a claim in most years (rate capped at 0.9)
TRUTH_README = """# Ground truth for the synthetic population — evaluation only

These files describe who every synthetic record really is, and each person's true
disconnected-youth status and crossover pathway. They exist to measure the platform
(linkage accuracy, report correctness, noise rates).

Nothing in the pipeline may read this directory: only evaluation code and tests.
Files: persons.parquet, records.parquet, status.parquet, crossover.parquet.
"""


@dataclass
class SynthResult:
    """What `generate` wrote."""

    persons: int
    seed: int
    out: Path
    files: list[Path] = field(default_factory=list)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # agency → {"matching": n, "analytical": n}
    truth_dir: Path | None = None

    def describe(self) -> str:
        lines = [f"synthetic population: {self.persons:,} persons (seed {self.seed}) → {self.out}",
                 f"{len(self.files)} delivery files in {self.out / 'landing'}",
                 f"{'agency':<7}{'matching':>12}{'analytical':>14}"]
        lines += [f"{a:<7}{r['matching']:>12,}{r['analytical']:>14,}" for a, r in self.rows.items()]
        lines.append(f"ground truth (evaluation only): {self.truth_dir}")
        return "\n".join(lines)


def _stream(seed: int, *keys: object) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(str(k).encode()) for k in keys)])


def _check_arguments(persons: int, seed: int, request: str, bridge_rate: float) -> None:
    if not isinstance(persons, int) or persons < 1:
        raise ValueError(f"persons must be a positive integer, got {persons!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not re.fullmatch(r"[0-9]{3}", request):
        raise ValueError(f"request must be three digits like '000', got {request!r}")
    if not isinstance(bridge_rate, (int, float)) or not 0 <= bridge_rate <= MAX_BRIDGE_RATE:
        raise ValueError(f"bridge_rate must be a number from 0 to {MAX_BRIDGE_RATE}, got {bridge_rate!r}")


def _persons_truth(persons: pd.DataFrame, histories: Histories) -> pd.DataFrame:
    sasid, high_school, career = histories.sasid, histories.high_school, histories.career
    return pd.DataFrame({
        "person_id": persons["person_id"], "first_name": persons["first_name"],
        "middle_name": persons["middle_name"], "last_name": persons["last_name"],
        "birth_date": persons["birth_date"].to_numpy().astype("datetime64[D]"), "sex": persons["sex"],
        "race_spd15": persons["race_spd15"], "town": persons["town"], "ssn": persons["ssn"],
        "sasid": sasid, "high_school_code": high_school, "twin_id": persons["twin_id"],
        "married_surname": persons["married_surname"],
        "marriage_date": persons["marriage_date"].to_numpy().astype("datetime64[D]"),
        "public_school": career.public, "diploma_date": career.diploma,
    })


def generate(persons: int, seed: int, out: Path, *, progress: bool = True, noise: NoiseConfig | None = None,
             delivery_date: dt.date = DEFAULT_DELIVERY_DATE, request: str = "000",
             bridge_rate: float = DEFAULT_BRIDGE_RATE) -> SynthResult:
    """Write every agency's matching and analytical files plus the ground truth under `out`.

    `bridge_rate` scales how often DOL records give a wage SSN a date of birth (UI claims,
    see `histories.ui_claims`): 1.0 is the documented default; higher values make more of the
    wage file linkable to youth without changing anyone's true status.
    """
    _check_arguments(persons, seed, request, bridge_rate)
    noise = noise or NoiseConfig()
    home = paths(out)
    result = SynthResult(persons=persons, seed=seed, out=home.home_dir, truth_dir=home.truth)
    stages = tqdm(total=4 + len(AGENCIES), desc="p20 synth", unit="stage", disable=not progress)

    stages.set_postfix_str("population")
    people = make_persons(_stream(seed, "persons"), persons)
    stages.update()
    stages.set_postfix_str("life histories")
    histories = build_histories(lambda name: _stream(seed, "history", name), people, bridge_rate)
    stages.update()
    stages.set_postfix_str("truth status")
    status = truth.status(people, histories.events, histories.career)
    crossover = truth.crossover(people, histories.events)
    stages.update()

    # Smallest deliveries first, each agency's rows released once written: the wage file,
    # by far the largest, is then built with little else in memory.
    records: dict[str, pd.DataFrame] = {}
    for agency in sorted(AGENCIES, key=lambda a: sum(len(f) for f in histories.parts(a.code).values())):
        stages.set_postfix_str(agency.code)
        records[agency.code] = _deliver(agency, histories, people, noise, home, delivery_date, request, result,
                                        _stream(seed, "delivery", agency.code, delivery_date.isoformat(), request))
        for key in histories.parts(agency.code):
            del histories.events[key]
        stages.update()
    result.files.sort()
    result.rows = {a.code: result.rows[a.code] for a in AGENCIES}

    stages.set_postfix_str("truth files")
    _write_truth(home.truth, people, histories, [records[a.code] for a in AGENCIES], status, crossover)
    stages.update()
    stages.close()
    return result


def _deliver(agency: Agency, histories: Histories, people: pd.DataFrame, noise: NoiseConfig, home: Paths, delivery_date: dt.date,
             request: str, result: SynthResult, rng: np.random.Generator) -> pd.DataFrame:
    """Write one agency's two files; return the truth about its matching records."""
    delivery = build_delivery(agency, histories.parts(agency.code), people, histories.sasid,
                              histories.high_school, noise, rng)
    counts = {}
    for content, rows in (("matching", delivery.matching), ("analytical", delivery.analytical)):
        path = home.agency_landing(agency.code) / file_name(agency.code, request, delivery_date, content)
        counts[content] = write_table(rows, agency, content, path)
        result.files.append(path)
    result.rows[agency.code] = counts
    return delivery.records.assign(agency=agency.code, file=file_name(agency.code, request, delivery_date, "matching"))


def _write_truth(directory: Path, people: pd.DataFrame, histories: Histories, records: list[pd.DataFrame],
                 status: pd.DataFrame, crossover: pd.DataFrame) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    record_table = pd.concat(records, ignore_index=True)
    record_table["person_id"] = people["person_id"].to_numpy()[record_table.pop("person_index")]
    leading = ["agency", "file", "FakeID", "person_id", "is_duplicate", "married_surname"]
    flags = [c for c in record_table.columns if c not in leading]
    record_table[flags] = record_table[flags].fillna(False).astype(bool)
    tables = {
        "persons": _persons_truth(people, histories),
        "records": record_table[leading + flags],
        "status": status,
        "crossover": crossover,
    }
    for name, table in tables.items():
        table.to_parquet(directory / f"{name}.parquet", engine="pyarrow", index=False)
    (directory / "README.md").write_text(TRUTH_README)
