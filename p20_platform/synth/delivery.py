"""Turn one agency's true history into the two files it sends: matching and analytical.

Formats exactly as P20 WIN agencies send them: tab-delimited, one header row, never quoted,
UTF-8 with `\\n` line ends, dates YYYYMMDD, empty string for missing, columns in the
registry's order. FakeIDs are fresh random alphanumerics, unique per file, different per
agency and per delivery.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (registers pa.compute)
import pyarrow.csv as pacsv

from p20_platform.feeds.naming import parse_delivery_name
from p20_platform.registry import Agency, Element
from p20_platform.settings import Paths
from p20_platform.synth.demographics import demographic_columns
from p20_platform.synth.noise import NoiseConfig, apply_noise

FAKE_ID_LENGTH = 12
CHUNK_ROWS = 1_000_000
FAKE_ID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
UPPERCASE_NAME_AGENCIES = frozenset({"DOL", "DOC", "DSS", "CSSD"})  # mainframe systems store names in capitals
# Row sets whose records collect no race (UI wage records come from employers' payroll reports).
RACE_NOT_COLLECTED = frozenset({"DOL:UI_WAGE"})
# Row sets whose records hold no date of birth and only a first initial: a person known only from
# them has an empty DOB and an initial (UI wage records, from employers' payroll reports); DOL's
# claim and apprenticeship systems hold the claimant's full first name and DOB.
PAYROLL_IDENTITY_ONLY = frozenset({"DOL:UI_WAGE"})


def file_name(agency: str, request: str, delivery_date: dt.date, content: str) -> str:
    """AGENCY.REQ.MM_DD_YYYY.CONTENT, as the hub expects."""
    return f"{agency}.{request}.{delivery_date:%m_%d_%Y}.{content}"


def fake_ids(rng: np.random.Generator, size: int) -> np.ndarray:
    """`size` distinct random alphanumeric ids."""
    ids = np.empty(0, dtype=object)
    while len(ids) < size:
        codes = FAKE_ID_ALPHABET[rng.integers(0, len(FAKE_ID_ALPHABET), (size - len(ids), FAKE_ID_LENGTH))]
        fresh = codes.view(f"S{FAKE_ID_LENGTH}").ravel().astype(str).astype(object)
        ids = pd.unique(np.concatenate([ids, fresh]))
    return ids


@dataclass
class Delivery:
    """One agency's two files in memory, plus the truth about each matching record."""

    agency: str
    matching: pd.DataFrame
    analytical: Iterator[pa.Table]  # built chunk by chunk while the file is written
    records: pd.DataFrame  # FakeID, person_index, is_duplicate, noise flags


def _identity(persons: pd.DataFrame, people: np.ndarray, as_of: np.ndarray, sasid: np.ndarray,
              high_school: np.ndarray) -> pd.DataFrame:
    """True identifiers as the agency knew them on its latest contact (married surname after marriage)."""
    p = persons.iloc[people]
    marriage = p["marriage_date"].to_numpy().astype("datetime64[D]")
    married = ~np.isnat(marriage) & (marriage <= as_of)
    return pd.DataFrame({
        "last_name": np.where(married, p["married_surname"].to_numpy(dtype=object), p["last_name"].to_numpy(dtype=object)),
        "married_surname": married,
        "first_name": p["first_name"].to_numpy(dtype=object),
        "middle_name": p["middle_name"].to_numpy(dtype=object),
        "dob": p["dob_text"].to_numpy(dtype=object),
        "gender": p["sex"].to_numpy(dtype=object),
        "ssn": p["ssn"].to_numpy(dtype=object),
        "sasid": sasid[people],
        "high_school": high_school[people],
    })


def build_delivery(agency: Agency, parts: dict[str, pd.DataFrame], persons: pd.DataFrame, sasid: np.ndarray,
                   high_school: np.ndarray, config: NoiseConfig, rng: np.random.Generator) -> Delivery:
    """Matching records (one per person known, a few twice) and analytical rows keyed by FakeID."""
    contacts = pd.concat([frame[["person_index", "as_of"]].assign(own=key not in PAYROLL_IDENTITY_ONLY)
                          for key, frame in parts.items()], ignore_index=True)
    per_person = contacts.groupby("person_index").agg(as_of=("as_of", "max"), own=("own", "any"))
    people = per_person.index.to_numpy()
    as_of = per_person["as_of"].to_numpy().astype("datetime64[D]")
    twice = rng.random(len(people)) < config.rate(agency.code, "duplicate")
    record_person = np.concatenate([np.arange(len(people)), np.flatnonzero(twice)])
    is_duplicate = np.arange(len(record_person)) >= len(people)

    identity = _identity(persons, people[record_person], as_of[record_person], sasid, high_school)
    noisy = apply_noise(identity, agency.code, agency.matching_fields, config, rng)
    payroll_only = ~per_person["own"].to_numpy()[record_person]
    if payroll_only.any():
        noisy.loc[payroll_only, "DOB"] = None
        for flag in ("dob_day_month_swap", "dob_digit_transposition", "dob_placeholder", "missing_DOB"):
            noisy.loc[payroll_only, flag] = False
        noisy.loc[payroll_only, "FirstName"] = noisy.loc[payroll_only, "FirstName"].str.slice(0, 1)
    if agency.code in UPPERCASE_NAME_AGENCIES:
        for name in ("LastName", "MiddleName", "FirstName"):
            if name in noisy:
                noisy[name] = noisy[name].str.upper()

    order = rng.permutation(len(record_person))  # files are not in person order
    ids = fake_ids(rng, len(record_person))
    fake_id_of_record = np.empty(len(record_person), dtype=object)
    fake_id_of_record[order] = ids
    noisy.insert(len(noisy.columns), "FakeID", fake_id_of_record)
    flag_columns = [c for c in noisy.columns if c not in agency.matching_fields]
    matching = noisy.iloc[order][list(agency.matching_fields)].reset_index(drop=True)
    records = pd.DataFrame({"FakeID": fake_id_of_record, "person_index": people[record_person],
                            "is_duplicate": is_duplicate, "married_surname": identity["married_surname"].to_numpy()})
    records = pd.concat([records, noisy[flag_columns].reset_index(drop=True)], axis=1).iloc[order].reset_index(drop=True)

    demographics = demographic_columns(agency, persons.iloc[people].reset_index(drop=True), rng)
    fake_ids_arrow = pa.array(fake_id_of_record, type=pa.string())
    analytical = itertools.chain.from_iterable(
        _analytical(agency, key, frame, people, twice, fake_ids_arrow, demographics, rng) for key, frame in parts.items())
    return Delivery(agency.code, matching, analytical, records)


def _analytical(agency: Agency, part: str, events: pd.DataFrame, people: np.ndarray, twice: np.ndarray,
                fake_ids_arrow: pa.Array, demographics: pd.DataFrame,
                rng: np.random.Generator) -> Iterator[pa.Table]:
    """One row set keyed by FakeID, grouped by record, in chunks; a duplicated person's rows are split between the two.

    Built in Arrow: per-person values (FakeID, demographics) are gathered by index and rows
    are taken a chunk at a time, so tens of millions of wage rows never exist twice in memory.
    Columns a row set lacks are empty.
    """
    slot = np.searchsorted(people, events["person_index"].to_numpy())
    duplicate_record = np.full(len(people), -1)
    duplicate_record[np.flatnonzero(twice)] = len(people) + np.arange(twice.sum())
    to_copy = twice[slot] & (rng.random(len(slot)) < 0.5)
    record = np.where(to_copy, duplicate_record[slot], slot)
    order = np.argsort(record, kind="stable")
    own = [c for c in agency.analytical_columns if c in events.columns]
    table = pa.Table.from_pandas(events[own], preserve_index=False)
    per_person = {column: pa.array(demographics[column].to_numpy(), from_pandas=True) for column in demographics.columns
                  if not (part in RACE_NOT_COLLECTED and column in agency.race_columns)}
    for start in range(0, len(order), CHUNK_ROWS):
        rows = order[start:start + CHUNK_ROWS]
        chunk = table.take(pa.array(rows))
        columns = {name: chunk[name] for name in own}
        columns["FakeID"] = fake_ids_arrow.take(pa.array(record[rows]))
        gather = pa.array(slot[rows])
        columns.update({column: values.take(gather) for column, values in per_person.items()})
        yield pa.table({name: columns.get(name, pa.nulls(len(rows), pa.string())) for name in agency.analytical_columns})


# ------------------------------------------------------------ writing

def _text_column(element: Element, array: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One column ready for the CSV writer: dates as YYYYMMDD text, numbers as numbers, codes as text."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if element.kind == "date" and pa.types.is_temporal(array.type):
        return pa.compute.strftime(array.cast(pa.timestamp("s")).cast(pa.date32()), format="%Y%m%d")
    if element.kind == "integer" and pa.types.is_floating(array.type):
        return array.cast(pa.int64())
    if element.kind == "decimal":
        return pa.compute.round(array.cast(pa.float64()), 2)
    if pa.types.is_integer(array.type) or pa.types.is_string(array.type):
        return array  # the CSV writer prints integers itself
    return array.cast(pa.string())


def write_table(tables: pa.Table | pd.DataFrame | Iterable[pa.Table], agency: Agency, content: str, path: Path) -> int:
    """Write one delivery file: manual header (Arrow would quote it), then unquoted rows, table by table."""
    tables = [tables] if isinstance(tables, (pa.Table, pd.DataFrame)) else tables
    elements = {e.name: e for e in (agency.matching_elements if content == "matching" else agency.analytical)}
    columns = list(agency.matching_fields if content == "matching" else agency.analytical_columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with pa.OSFile(str(path), "wb") as sink:
        sink.write(("\t".join(columns) + "\n").encode())
        for table in tables:
            if isinstance(table, pd.DataFrame):
                table = pa.Table.from_pandas(table, preserve_index=False)
            text = pa.table({name: _text_column(elements[name], table[name]) for name in columns})
            pacsv.write_csv(text, sink, pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
            rows += text.num_rows
    return rows


def redeliver_two_thirds(home: Paths, agency_code: str, date: str) -> int:
    """A newer delivery of one agency (`date` as MM_DD_YYYY): the first two thirds of the people of its
    newest delivery, matching and analytical alike, beside its files in landing/; returns the people sent.

    Two thirds, not half: a drop to half or less is held for confirmation as a sharp change."""
    folder = home.agency_landing(agency_code)
    matching, analytical = (max(folder.glob(f"*.{content}"), key=lambda f: parse_delivery_name(f.name).delivery_date)
                            for content in ("matching", "analytical"))
    lines = matching.read_text().splitlines(keepends=True)
    kept = lines[:1 + (len(lines) - 1) * 2 // 3]
    fake_id = lines[0].rstrip("\n").split("\t").index("FakeID")
    kept_ids = {line.rstrip("\n").split("\t")[fake_id] for line in kept[1:]}
    (folder / f"{agency_code}.000.{date}.matching").write_text("".join(kept))
    with analytical.open() as rows, (folder / f"{agency_code}.000.{date}.analytical").open("w") as out:
        out.write(next(rows))
        out.writelines(row for row in rows if row.split("\t", 1)[0] in kept_ids)
    return len(kept) - 1
