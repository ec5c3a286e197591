"""The synthetic residents: who they are, before any agency records them.

One row per person with the true identifiers (names, DOB, SSN), demographics and two
latent traits that tie the life histories together: childhood `poverty` and `risk`
(a standard-normal propensity toward school trouble, system contact and disconnection).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from p20_platform.synth import reference as ref
from p20_platform.synth.timeline import LAST_DAY, at_age, zero_padded

FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR = 1975, 2025
TWIN_PERSON_SHARE = 0.03  # about 3% of births are twins
MIDDLE_NAME_SHARE = 0.8
HISPANIC_DOUBLE_SURNAME_SHARE = 0.35
HYPHENATED_SURNAME_SHARE = 0.02
EVER_MARRIED_SHARE = 0.55  # women who marry by their late thirties and take a new surname


def _interpolated(year: np.ndarray, anchors: dict[int, float]) -> np.ndarray:
    return np.interp(year, list(anchors), list(anchors.values()))


def _birth_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Birth cohorts shaped like Connecticut births (thousands per year), 1975–2025."""
    years = np.arange(FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR + 1)
    weights = _interpolated(years, {1975: 37, 1990: 50, 2000: 43, 2010: 38, 2025: 34})
    year = rng.choice(years, size=n, p=weights / weights.sum())
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = ((year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - start).astype(int)
    return start + (rng.random(n) * length).astype(int)


def _race(rng: np.random.Generator, birth_year: np.ndarray) -> np.ndarray:
    """SPD 15 category index; younger cohorts are more Hispanic and less White, as in CT."""
    early = np.array([0.003, 0.03, 0.10, 0.11, 0.012, 0.001, 0.744])
    late = np.array([0.003, 0.065, 0.12, 0.28, 0.016, 0.001, 0.515])
    share = ((birth_year - FIRST_BIRTH_YEAR) / (LAST_BIRTH_YEAR - FIRST_BIRTH_YEAR))[:, None]
    probs = early + share * (late - early)
    cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(birth_year))[:, None] > cumulative).sum(axis=1)


def _towns(rng: np.random.Generator, race: np.ndarray) -> np.ndarray:
    """Town index: population-weighted, with Black and Hispanic residents concentrated in cities."""
    towns = ref.towns()
    base = towns["population"].to_numpy(float)
    urban = towns["urban_core"].to_numpy()
    concentrated = np.isin(race, [ref.BLACK, ref.HISPANIC])
    out = np.empty(len(race), dtype=np.int64)
    for group, factor in ((concentrated, 5.0), (~concentrated, 0.8)):
        weights = base * np.where(urban, factor, 1.0)
        out[group] = rng.choice(len(towns), size=int(group.sum()), p=weights / weights.sum())
    return out


def _draw_names(rng: np.random.Generator, race: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """One name per person from the table for (race, kind), drawn group by group."""
    tables = ref.name_tables()
    out = np.empty(len(race), dtype=object)
    for group in range(len(ref.SPD15)):
        for kind in np.unique(kinds):
            rows = np.flatnonzero((race == group) & (kinds == kind))
            if len(rows):
                out[rows] = tables[group, kind].sample(rng, len(rows))
    return out


def _surnames(rng: np.random.Generator, race: np.ndarray) -> np.ndarray:
    """Surnames; Hispanic double surnames ('Garcia Lopez'), some hyphenated ('Garcia-Lopez')."""
    last = _draw_names(rng, race, np.full(len(race), "last"))
    second = _draw_names(rng, race, np.full(len(race), "last"))
    double = ((race == ref.HISPANIC) & (rng.random(len(race)) < HISPANIC_DOUBLE_SURNAME_SHARE)) | (
        rng.random(len(race)) < HYPHENATED_SURNAME_SHARE)
    hyphen = double & ((race != ref.HISPANIC) | (rng.random(len(race)) < 0.3))
    joined = pd.Series(last) + np.where(hyphen, "-", " ") + pd.Series(second)
    return np.where(double & (last != second), joined.to_numpy(), last)


def _ssns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique, valid-looking SSNs: area 001–899 except 666, group 01–99, serial 0001–9999."""
    areas = np.setdiff1d(np.arange(1, 900), [666])
    space = len(areas) * 99 * 9999
    draws = pd.unique(rng.integers(0, space, size=int(n * 1.01) + 100))
    while len(draws) < n:
        draws = pd.unique(np.concatenate([draws, rng.integers(0, space, size=n)]))
    k = draws[:n]
    area, rest = areas[k // (99 * 9999)], k % (99 * 9999)
    number = area * 1_000_000 + (rest // 9999 + 1) * 10_000 + rest % 9999 + 1
    return zero_padded(number, 9)


def _twins(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Pair people up as twins: same birth date, surname, race, town and family circumstances."""
    pairs = int(len(frame) * TWIN_PERSON_SHARE / 2)
    chosen = rng.permutation(len(frame))[: 2 * pairs].reshape(-1, 2)
    elder, younger = chosen[:, 0], chosen[:, 1]
    for column in ("birth_date", "last_name", "race", "town_index", "poverty"):
        frame.iloc[younger, frame.columns.get_loc(column)] = frame[column].to_numpy()[elder]
    frame["twin_id"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame.iloc[elder, frame.columns.get_loc("twin_id")] = np.arange(pairs)
    frame.iloc[younger, frame.columns.get_loc("twin_id")] = np.arange(pairs)
    return frame


def make_persons(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The true population: identifiers, demographics, twins, marriages and latent traits."""
    birth = _birth_dates(rng, n)
    birth_year = birth.astype("datetime64[Y]").astype(int) + 1970
    race = _race(rng, birth_year)
    town_index = _towns(rng, race)
    urban = ref.towns()["urban_core"].to_numpy()[town_index]
    minority = np.isin(race, [ref.BLACK, ref.HISPANIC])
    poverty = rng.random(n) < 0.06 + 0.14 * urban + 0.14 * minority
    sex = np.where(rng.random(n) < 0.51, "F", "M")
    frame = pd.DataFrame({
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "birth_date": birth,
        "sex": sex,
        "race": race,
        "town_index": town_index,
        "poverty": poverty,
        "last_name": _surnames(rng, race),
    })
    frame = _twins(rng, frame)
    race, sex = frame["race"].to_numpy(), frame["sex"].to_numpy()
    kinds = np.where(sex == "F", "female", "male")
    frame["first_name"] = _draw_names(rng, race, kinds)
    middle = _draw_names(rng, race, kinds)
    frame["middle_name"] = np.where(rng.random(n) < MIDDLE_NAME_SHARE, middle, None)
    # One shared latent risk per family circumstance plus individual variation.
    frame["risk"] = (rng.normal(size=n) + 0.9 * frame["poverty"] + 0.25 * (sex == "M")).astype(np.float32)
    frame["ssn"] = _ssns(rng, n)
    frame = _marriages(rng, frame)
    frame = _distinct_twin_names(rng, frame)
    towns = ref.towns()
    frame["town"] = towns["town"].to_numpy()[frame["town_index"]]
    frame["town_code"] = towns["town_code"].to_numpy()[frame["town_index"]]
    frame["race_spd15"] = np.array(ref.SPD15)[frame["race"]]
    frame["urban_core"] = towns["urban_core"].to_numpy()[frame["town_index"]]
    frame["dob_text"] = pd.Series(frame["birth_date"]).dt.strftime("%Y%m%d")  # as matching files spell it
    return frame


def _distinct_twin_names(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Parents do not give twins the same first name (or first initial, which most twin names
    that sound alike share): redraw the younger twin's name until both differ in initial."""
    twins = frame.dropna(subset=["twin_id"])
    first = twins.groupby("twin_id")["first_name"]
    for _ in range(20):
        clash = twins.index[(first.transform("nunique") == 1) | (twins["first_name"].str[0].groupby(twins["twin_id"])
                                                                 .transform("nunique") == 1)]
        younger = clash[twins.loc[clash].duplicated("twin_id")]
        if len(younger) == 0:
            break
        kinds = np.where(frame.loc[younger, "sex"].to_numpy() == "F", "female", "male")
        frame.loc[younger, "first_name"] = _draw_names(rng, frame.loc[younger, "race"].to_numpy(), kinds)
        twins = frame.dropna(subset=["twin_id"])
        first = twins.groupby("twin_id")["first_name"]
    return frame


def _marriages(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Adult women who marry take a new surname from the marriage date on."""
    n = len(frame)
    marriage_date = at_age(frame["birth_date"].to_numpy().astype("datetime64[D]"), 22 + rng.gamma(2.0, 3.0, size=n))
    marries = (frame["sex"].to_numpy() == "F") & (rng.random(n) < EVER_MARRIED_SHARE) & (
        marriage_date <= LAST_DAY)
    spouse = _draw_names(rng, np.where(rng.random(n) < 0.8, frame["race"], ref.WHITE), np.full(n, "last"))
    marries &= spouse != frame["last_name"].to_numpy()
    frame["married_surname"] = np.where(marries, spouse, None)
    frame["marriage_date"] = np.where(marries, marriage_date, np.datetime64("NaT")).astype("datetime64[D]")
    return frame
