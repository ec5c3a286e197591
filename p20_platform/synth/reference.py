"""Reference data the generator draws from: towns, race coding, name frequency tables.

Everything here is read from `p20_platform/data/` or from Faker's census-weighted name
lists, so the synthetic population and the platform's seeds share one source of truth.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# SPD 15 (2024) minimum categories; MENA exists in truth but no agency collects it.
SPD15 = (
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Hispanic or Latino",
    "Middle Eastern or North African",
    "Native Hawaiian or Pacific Islander",
    "White",
)
AIAN, ASIAN, BLACK, HISPANIC, MENA, NHPI, WHITE = range(len(SPD15))
# Under the 1997 standard agencies still use, MENA respondents are recorded as White.
UNCOLLECTED_RECORDED_AS = {SPD15[MENA]: SPD15[WHITE]}

# Cities where Black and Hispanic residents concentrate (and child poverty is highest).
URBAN_CORE = frozenset({
    "Hartford", "New Haven", "Bridgeport", "Waterbury", "New Britain", "Meriden", "Norwalk",
    "Stamford", "Danbury", "New London", "Norwich", "Windham", "East Hartford", "West Haven",
    "Bristol", "Torrington", "Ansonia", "Derby", "Middletown",
})


@cache
def towns() -> pd.DataFrame:
    """All 169 Connecticut towns with approximate 2020 Census populations."""
    frame = pd.read_csv(DATA_DIR / "ct_towns.csv", dtype={"town_code": str})
    frame["urban_core"] = frame["town"].isin(URBAN_CORE)
    return frame


@cache
def race_crosswalk() -> pd.DataFrame:
    """Raw agency race codes → SPD 15 category; also the table raw codes are generated from."""
    return pd.read_csv(DATA_DIR / "race_crosswalk.csv", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class NameTable:
    """Names with their sampling probabilities."""

    names: np.ndarray
    probs: np.ndarray

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.names[rng.choice(len(self.names), size=size, p=self.probs)]


def ascii_fold(name: str) -> str:
    """Agencies' systems store plain ASCII: drop accents (Acuña → Acuna, Nguyễn → Nguyen)."""
    name = name.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded.title() if folded.isupper() else folded


def _faker_names(locale: str, attribute: str) -> dict[str, float]:
    values = getattr(importlib.import_module(f"faker.providers.person.{locale}").Provider, attribute)
    weighted = values.items() if isinstance(values, dict) else ((v, 1.0) for v in values)
    merged: dict[str, float] = {}
    for name, weight in weighted:
        folded = ascii_fold(str(name)).strip()
        if folded and folded.replace("-", "").replace(" ", "").replace("'", "").isalpha():
            merged[folded] = merged.get(folded, 0.0) + float(weight)
    return merged


def _mix(*parts: tuple[dict[str, float], float]) -> NameTable:
    """Blend name tables, each rescaled to the given share of the draw."""
    merged: dict[str, float] = {}
    for table, share in parts:
        total = sum(table.values())
        for name, weight in table.items():
            merged[name] = merged.get(name, 0.0) + share * weight / total
    names = np.array(sorted(merged), dtype=object)
    probs = np.array([merged[n] for n in names])
    return NameTable(names, probs / probs.sum())


def _mena(kind: str) -> dict[str, float]:
    frame = pd.read_csv(DATA_DIR / "mena_names.csv")
    return {n: 1.0 for n in frame.loc[frame["kind"] == kind, "name"]}


@cache
def name_tables() -> dict[tuple[int, str], NameTable]:
    """(SPD 15 category index, 'last'|'male'|'female') → frequency-weighted names.

    US census weights (Faker en_US) for most groups; Spanish-language lists for Hispanic
    residents; romanised Chinese, Indian and Vietnamese lists for Asian residents; a short
    curated romanised list for MENA residents (Faker's Arabic lists are in Arabic script).
    """
    us = {kind: _faker_names("en_US", attr) for kind, attr in
          (("last", "last_names"), ("male", "first_names_male"), ("female", "first_names_female"))}
    hispanic = {"last": _faker_names("es_MX", "last_names") | _faker_names("es_CO", "last_names"),
                "male": _faker_names("es_MX", "first_names_male"),
                "female": _faker_names("es_MX", "first_names_female")}
    asian = {
        "last": [(_faker_names("zh_CN", "last_romanized_names"), 0.3), (_faker_names("zh_TW", "last_romanized_names"), 0.1),
                 (_faker_names("en_IN", "last_names"), 0.4), (_faker_names("vi_VN", "last_names"), 0.2)],
        "male": [(_faker_names("zh_TW", "first_romanized_names_male"), 0.2), (_faker_names("en_IN", "first_names_male"), 0.35),
                 (_faker_names("vi_VN", "first_names_male"), 0.1), (us["male"], 0.35)],
        "female": [(_faker_names("zh_TW", "first_romanized_names_female"), 0.2), (_faker_names("en_IN", "first_names_female"), 0.35),
                   (_faker_names("vi_VN", "first_names_female"), 0.1), (us["female"], 0.35)],
    }
    tables: dict[tuple[int, str], NameTable] = {}
    for kind in ("last", "male", "female"):
        for group in (AIAN, BLACK, NHPI, WHITE):
            tables[group, kind] = _mix((us[kind], 1.0))
        # US-born Hispanic children often get English first names; surnames stay Spanish.
        tables[HISPANIC, kind] = _mix((hispanic[kind], 1.0)) if kind == "last" else _mix((hispanic[kind], 0.6), (us[kind], 0.4))
        tables[ASIAN, kind] = _mix(*asian[kind])
        tables[MENA, kind] = _mix((_mena(kind), 1.0)) if kind == "last" else _mix((_mena(kind), 0.75), (us[kind], 0.25))
    return tables
