"""Identifier noise: how real agency matching files differ from the truth.

Every kind of noise is applied with its own rate (per agency where configured) and is
recorded per record in truth/records.parquet, so linkage evaluation and tests can measure
exactly what was done. Rates for conditional noise apply to the records where it can
happen: `nickname` to first names with a known nickname, `compound_partial` to compound
surnames, `dob_day_month_swap` to dates whose day is 12 or less and differs from the month.
All edits are vectorised over fixed-width character matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from p20_platform.synth.timeline import zero_padded

NOISE_TYPES: tuple[str, ...] = (
    "typo_last", "typo_first", "nickname", "first_last_swap", "compound_partial",
    "dob_day_month_swap", "dob_digit_transposition", "dob_placeholder",
    "ssn_digit_transposition", "ssn_invalid", "ssn_borrowed", "gender_unknown", "duplicate",
    "middle_initial", "typo_middle",
)
DEFAULT_RATES: dict[str, float] = {
    "typo_last": 0.02, "typo_first": 0.02, "nickname": 0.05, "first_last_swap": 0.005,
    "compound_partial": 0.35, "dob_day_month_swap": 0.01, "dob_digit_transposition": 0.004,
    "dob_placeholder": 0.002, "ssn_digit_transposition": 0.006, "ssn_invalid": 0.005,
    "ssn_borrowed": 0.001, "gender_unknown": 0.005, "duplicate": 0.01,
    "middle_initial": 0.1, "typo_middle": 0.02,
}
# `middle_initial`: a middle name recorded as its initial (forms that ask for "M.I."), `typo_middle` one
# edit in it. No public source here gives either rate for agency files: 10% and the first name's 2% are
# assumptions, there so that the linkage model learns a middle name can disagree within one person.
# Agencies whose intake is hurried (hotlines, shelters, booking) make more identifier errors.
DEFAULT_AGENCY_RATES: dict[str, dict[str, float]] = {
    "DCF": {"typo_last": 0.04, "typo_first": 0.04, "dob_placeholder": 0.01, "nickname": 0.08},
    "CCEH": {"typo_last": 0.05, "typo_first": 0.05, "dob_placeholder": 0.015, "nickname": 0.10,
             "ssn_invalid": 0.02, "gender_unknown": 0.02},
    "DOC": {"first_last_swap": 0.015, "nickname": 0.08},
    # Wage records carry only the first initial, and an SSN no one checks against a name at hiring.
    "DOL": {"typo_first": 0.0, "ssn_borrowed": 0.005},
    "SDE": {"typo_last": 0.01, "typo_first": 0.01, "dob_placeholder": 0.0005},
}
# Share of records carrying a value where the agency holds the field and the person has one.
DEFAULT_FILL_RATES: dict[str, dict[str, float]] = {
    "*": {"MiddleName": 0.7, "Gender": 0.99, "SSN": 0.95, "DOB": 0.998},
    "SDE": {"MiddleName": 0.9, "Gender": 1.0, "DOB": 1.0},
    "CTECS": {"MiddleName": 0.85, "Gender": 1.0, "DOB": 1.0},
    "DCF": {"MiddleName": 0.5, "SSN": 0.55, "SASID": 0.3, "HighSchoolCode": 0.2, "DOB": 0.98},
    "CCEH": {"MiddleName": 0.3, "SSN": 0.7, "DOB": 0.97, "Gender": 0.95},
    "CSCU": {"SSN": 0.6, "HighSchoolCode": 0.6},
    "UConn": {"SSN": 0.85, "HighSchoolCode": 0.8, "MiddleName": 0.8},
    "CCIC": {"SASID": 0.4, "HighSchoolCode": 0.7},
    "DMHAS": {"SSN": 0.85},
    "DSS": {"SSN": 0.97, "MiddleName": 0.8},
    "DOC": {"SSN": 0.8},
    "OWS": {"SSN": 0.9},
    "OEC": {"SASID": 0.9, "MiddleName": 0.6},
    "OHE": {"SSN": 0.99},
    "DOL": {"SSN": 1.0, "LastName": 0.998, "FirstName": 0.97},
}
# `ssn_borrowed`: a record carrying the SSN of another living person (a parent's, a sibling's) under
# its holder's own name. Evidence: SSA's Earnings Suspense File receives the wage items whose name
# and SSN do not match SSA's records, several million W-2s a year, a few per cent of all W-2s, and
# SSA's Office of the Inspector General has repeatedly reported that a share of them are workers
# using another person's number (work-related SSN misuse). How many of those are a relative's
# number is not published: 0.5% of wage records and 0.1% of other records (agencies that see a
# card or verify against SSA) is our reasoned assumption, below the suspense rate on purpose since
# most suspense items are typos and name changes. The donor is someone of the same surname in the
# same delivery where there is one (a household member), else anyone.
PLACEHOLDER_DATES = ("19000101", "19010101", "18991231")
INVALID_SSNS = ("123456789", "999999999", "111111111", "000000000")


@dataclass
class NoiseConfig:
    """Noise rates (default plus per-agency overrides) and identifier fill rates per agency."""

    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    agency_rates: dict[str, dict[str, float]] = field(
        default_factory=lambda: {a: dict(r) for a, r in DEFAULT_AGENCY_RATES.items()})
    fill_rates: dict[str, dict[str, float]] = field(
        default_factory=lambda: {a: dict(r) for a, r in DEFAULT_FILL_RATES.items()})

    def __post_init__(self) -> None:
        unknown = (set(self.rates) | {k for r in self.agency_rates.values() for k in r}) - set(NOISE_TYPES)
        if unknown:
            raise ValueError(f"unknown noise types {sorted(unknown)}; known: {', '.join(NOISE_TYPES)}")

    def rate(self, agency: str, noise: str) -> float:
        return self.agency_rates.get(agency, {}).get(noise, self.rates.get(noise, 0.0))

    def fill_rate(self, agency: str, field_name: str) -> float:
        return self.fill_rates.get(agency, {}).get(field_name, self.fill_rates.get("*", {}).get(field_name, 1.0))

    @classmethod
    def none(cls) -> "NoiseConfig":
        """No noise and complete identifiers: for tests of exact linkage."""
        return cls(rates={k: 0.0 for k in NOISE_TYPES}, agency_rates={}, fill_rates={})


# ------------------------------------------------------------ character-matrix edits

def _matrix(values: np.ndarray, extra: int = 1, minimum: int = 1) -> tuple[np.ndarray, int]:
    """Strings as a (rows × width) matrix of code points, `extra` spare columns for insertions."""
    width = max(int(max((len(v) for v in values), default=0)) + extra, minimum)
    return np.asarray(values, dtype=f"<U{width}").view(np.uint32).reshape(len(values), width).copy(), width


def _strings(matrix: np.ndarray, width: int) -> np.ndarray:
    return matrix.view(f"<U{width}").ravel().astype(object)


def typo(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One substitution, insertion, deletion or transposition per value, at a random position."""
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return values
    matrix, width = _matrix(values)
    n = len(values)
    length = pd.Series(values, dtype=object).str.len().to_numpy()
    rows = np.arange(n)
    op = rng.integers(0, 4, n)
    op = np.where(length < 3, 0, op)  # short names only get substitutions
    # Typists rarely miss the first letter: edit after it (single letters get replaced).
    pos = np.where(length < 2, 0, 1 + (rng.random(n) * np.maximum(length - 1, 1)).astype(np.int64))
    letter = rng.integers(ord("a"), ord("z") + 1, n).astype(np.uint32)
    letter = np.where(pos == 0, letter - 32, letter)
    letter = np.where(letter == matrix[rows, pos], np.where(pos == 0, ord("Q"), ord("e")), letter)
    columns = np.arange(width)[None, :]
    out = matrix.copy()
    sub = op == 0
    out[rows[sub], pos[sub]] = letter[sub]
    delete = op == 1
    src = np.minimum(columns + (columns >= pos[:, None]), width - 1)
    deleted = np.take_along_axis(matrix, src, axis=1)
    deleted[:, -1] = 0
    out[delete] = deleted[delete]
    insert = op == 2
    src = np.maximum(columns - (columns > pos[:, None]), 0)
    inserted = np.take_along_axis(matrix, src, axis=1)
    inserted[rows, pos] = letter
    out[insert] = inserted[insert]
    swap = op == 3
    tpos = np.clip(pos, 1, np.maximum(length - 2, 1))
    out[rows[swap], tpos[swap]] = matrix[rows[swap], tpos[swap] + 1]
    out[rows[swap], tpos[swap] + 1] = matrix[rows[swap], tpos[swap]]
    return _strings(out, width)


def swap_adjacent(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Swap characters pos and pos+1 (transposed digits)."""
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return values
    matrix, width = _matrix(values, extra=0)
    rows = np.arange(len(values))
    left = matrix[rows, pos].copy()
    matrix[rows, pos] = matrix[rows, pos + 1]
    matrix[rows, pos + 1] = left
    return _strings(matrix, width)


@cache
def _nickname_table() -> dict[str, tuple[str, ...]]:
    """Given name → its nicknames, from the `nicknames` package's curated table."""
    from nicknames import name_triplets

    table: dict[str, set[str]] = {}
    for triplet in name_triplets():
        if triplet.relationship == "has_nickname":
            table.setdefault(triplet.name1, set()).add(triplet.name2)
    return {name: tuple(sorted(nicks)) for name, nicks in table.items()}


def nicknames(first: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(nickname or None, eligible): a random nickname for each first name that has one."""
    table = _nickname_table()
    uniques, inverse = np.unique(np.asarray(first, dtype=str), return_inverse=True)
    options = [table.get(u.lower(), ()) for u in uniques]
    per_unique = np.array([len(o) for o in options], dtype=np.int64)
    counts = per_unique[inverse]
    pick = (rng.random(len(first)) * np.maximum(counts, 1)).astype(np.int64)
    flat = np.array([n.title() for o in options for n in o] + [""], dtype=object)  # "" pads names without any
    offsets = (np.cumsum(per_unique) - per_unique)[inverse]
    chosen = np.where(counts > 0, flat[np.minimum(offsets + pick, len(flat) - 1)], None)
    return chosen, counts > 0


# ------------------------------------------------------------ applying noise to matching records

def _hit(rng: np.random.Generator, rate: float, eligible: np.ndarray) -> np.ndarray:
    return eligible & (rng.random(len(eligible)) < rate)


def apply_noise(records: pd.DataFrame, agency: str, fields: tuple[str, ...], config: NoiseConfig,
                rng: np.random.Generator) -> pd.DataFrame:
    """Noisy identifier columns for one agency's matching records, plus one flag per noise type.

    `records` holds the true identifiers as of the agency's contact: last_name (married
    surname already applied), first_name, middle_name, dob (YYYYMMDD), gender, ssn, sasid,
    high_school (None where the person has none).
    """
    n = len(records)
    rate = lambda noise: config.rate(agency, noise)  # noqa: E731
    flags: dict[str, np.ndarray] = {}
    last = records["last_name"].to_numpy(dtype=object).copy()
    first = records["first_name"].to_numpy(dtype=object).copy()

    compound = pd.Series(last, dtype=object).str.contains(r"[ -]", regex=True).to_numpy(dtype=bool)
    flags["compound_partial"] = _hit(rng, rate("compound_partial"), compound)
    parts = pd.Series(last[flags["compound_partial"]]).str.split(r"[ -]", n=1, regex=True)
    keep_second = rng.random(len(parts)) < 0.3
    last[flags["compound_partial"]] = np.where(keep_second, parts.str[1], parts.str[0])

    nickname, has_nickname = nicknames(first, rng)
    flags["nickname"] = _hit(rng, rate("nickname"), has_nickname)
    first[flags["nickname"]] = nickname[flags["nickname"]]

    for noise, values in (("typo_last", last), ("typo_first", first)):
        chosen = _hit(rng, rate(noise), np.ones(n, bool))
        edited = typo(values[chosen], rng)
        flags[noise] = np.zeros(n, bool)
        flags[noise][chosen] = edited != values[chosen]
        values[chosen] = edited

    flags["first_last_swap"] = _hit(rng, rate("first_last_swap"), np.ones(n, bool))
    swap = flags["first_last_swap"]
    last[swap], first[swap] = first[swap], last[swap].copy()

    dob = records["dob"].to_numpy(dtype=object).copy()
    digits, width = _matrix(dob, extra=0, minimum=8)
    month, day = (digits[:, 4:6] - ord("0")) @ [10, 1], (digits[:, 6:8] - ord("0")) @ [10, 1]
    flags["dob_day_month_swap"] = _hit(rng, rate("dob_day_month_swap"), (day <= 12) & (day != month))
    digits[flags["dob_day_month_swap"]] = digits[flags["dob_day_month_swap"]][:, [0, 1, 2, 3, 6, 7, 4, 5]]
    dob = _strings(digits, width)
    flags["dob_digit_transposition"] = _transpose_digits(dob, rng, rate("dob_digit_transposition"), valid=_valid_dates)
    flags["dob_placeholder"] = _hit(rng, rate("dob_placeholder"), np.ones(n, bool))
    dob[flags["dob_placeholder"]] = np.asarray(PLACEHOLDER_DATES, dtype=object)[
        rng.integers(0, len(PLACEHOLDER_DATES), flags["dob_placeholder"].sum())]

    ssn = records["ssn"].to_numpy(dtype=object).copy()
    flags["ssn_digit_transposition"] = _transpose_digits(ssn, rng, rate("ssn_digit_transposition"), valid=None)
    flags["ssn_invalid"] = _hit(rng, rate("ssn_invalid"), np.ones(n, bool))
    ssn[flags["ssn_invalid"]] = _invalid_ssns(rng, int(flags["ssn_invalid"].sum()))
    flags["ssn_borrowed"] = _borrow_ssns(ssn, records["last_name"].to_numpy(dtype=object),
                                         records["ssn"].to_numpy(dtype=object), rng, rate("ssn_borrowed"))

    gender = records["gender"].to_numpy(dtype=object).copy()
    flags["gender_unknown"] = _hit(rng, rate("gender_unknown"), np.ones(n, bool))
    gender[flags["gender_unknown"]] = "U"

    middle = records["middle_name"].to_numpy(dtype=object).copy()
    full_middle = pd.Series(middle, dtype=object).str.len().to_numpy(dtype=float) > 1  # NaN (none) compares False
    flags["middle_initial"] = _hit(rng, rate("middle_initial"), full_middle)
    middle[flags["middle_initial"]] = [name[0] for name in middle[flags["middle_initial"]]]
    chosen = _hit(rng, rate("typo_middle"), full_middle & ~flags["middle_initial"])
    edited = typo(middle[chosen], rng)
    flags["typo_middle"] = np.zeros(n, bool)
    flags["typo_middle"][chosen] = edited != middle[chosen]
    middle[chosen] = edited

    out = pd.DataFrame({
        "LastName": last, "MiddleName": middle, "FirstName": first,
        "DOB": dob, "Gender": gender, "HighSchoolCode": records["high_school"].to_numpy(dtype=object),
        "SASID": records["sasid"].to_numpy(dtype=object), "SSN": ssn,
    })
    for name in fields:
        if name == "FakeID":
            continue
        present = out[name].notna().to_numpy()
        missing = _hit(rng, 1.0 - config.fill_rate(agency, name), present)
        out.loc[missing, name] = None
        flags[f"missing_{name}"] = missing
    return pd.concat([out[[f for f in fields if f != "FakeID"]], pd.DataFrame(flags)], axis=1)


def _valid_dates(values: np.ndarray) -> np.ndarray:
    return pd.to_datetime(pd.Series(values), format="%Y%m%d", errors="coerce").notna().to_numpy()


def _transpose_digits(values: np.ndarray, rng: np.random.Generator, rate: float, valid) -> np.ndarray:
    """Swap two adjacent, different digits in place, at a random position that gives a valid value."""
    chosen = np.flatnonzero(_hit(rng, rate, pd.notna(values)))
    flags = np.zeros(len(values), bool)
    if len(chosen) == 0:
        return flags
    original = values[chosen]
    positions = len(original[0]) - 1
    candidates = np.stack([swap_adjacent(original, np.full(len(chosen), k)) for k in range(positions)], axis=1)
    usable = candidates != original[:, None]
    if valid is not None:
        usable &= valid(candidates.ravel()).reshape(candidates.shape)
    pick = np.argmax(rng.random(usable.shape) * usable, axis=1)
    ok = usable[np.arange(len(chosen)), pick]
    values[chosen[ok]] = candidates[np.arange(len(chosen)), pick][ok]
    flags[chosen[ok]] = True
    return flags


def _borrow_ssns(ssn: np.ndarray, surname: np.ndarray, own: np.ndarray, rng: np.random.Generator,
                 rate: float) -> np.ndarray:
    """Give chosen records (in place) another person's true SSN: a donor of the same surname in
    this delivery where one exists, else a random donor; returns the flags."""
    flags = np.zeros(len(ssn), bool)
    holders = np.flatnonzero(pd.notna(own))
    chosen = holders[rng.random(len(holders)) < rate]
    if len(chosen) == 0 or len(holders) < 2:
        return flags
    by_surname = pd.Series(holders).groupby(surname[holders]).agg(list)
    for record in chosen:
        family = [d for d in by_surname.get(surname[record], []) if own[d] != own[record]]
        donors = family or holders[own[holders] != own[record]]
        if len(donors):
            ssn[record] = own[donors[int(rng.integers(0, len(donors)))]]
            flags[record] = True
    return flags


def _invalid_ssns(rng: np.random.Generator, size: int) -> np.ndarray:
    """Invalid SSNs as they occur: well-known fakes, area 000, 666 or 9xx (ITIN range)."""
    digits = zero_padded(rng.integers(0, 1_000_000, size), 6)
    pattern = rng.integers(0, 4, size)
    prefix = np.asarray(["000", "666", "9" + "00"], dtype=object)[np.minimum(pattern, 2)]
    nine = "9" + zero_padded(rng.integers(0, 100, size), 2)
    made = np.where(pattern == 2, nine, prefix) + digits
    famous = np.asarray(INVALID_SSNS, dtype=object)[rng.integers(0, len(INVALID_SSNS), size)]
    return np.where(pattern == 3, famous, made).astype(object)
