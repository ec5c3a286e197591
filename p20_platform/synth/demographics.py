"""Each agency's own coding of a person's race, gender and town, generated from the crosswalk.

Raw race codes come from `p20_platform/data/race_crosswalk.csv`, the same table the
warehouse uses to map them back to SPD 15, so generation and interpretation cannot drift.
Rules: a category the agency does not collect (MENA) is recorded as White, as the 1997
standard agencies still use instructs; where ethnicity is a separate question, Hispanic
residents answer the race question too (mostly White, some Black, many leave it unknown);
a share of records carry the agency's "unknown" code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from p20_platform.registry import Agency, Element
from p20_platform.synth import reference as ref

RACE_UNKNOWN_SHARE = {"DCF": 0.06, "CCEH": 0.08, "DOC": 0.02, "DMHAS": 0.07, "DSS": 0.05, "OWS": 0.08}
DEFAULT_RACE_UNKNOWN_SHARE = 0.03
HISPANIC_RACE_ANSWER = {ref.SPD15[ref.WHITE]: 0.6, ref.SPD15[ref.BLACK]: 0.1, "Unknown": 0.3}
TOWN_DESCRIPTION = "Connecticut town of residence"


def _pick(rng: np.random.Generator, options: pd.DataFrame, categories: np.ndarray) -> np.ndarray:
    """For each person, one raw value whose crosswalk category is the person's (uniformly among them)."""
    out = np.full(len(categories), None, dtype=object)
    for category, values in options.groupby("spd15_category")["raw_value"]:
        rows = np.flatnonzero(categories == category)
        out[rows] = values.to_numpy()[rng.integers(0, len(values), len(rows))]
    return out


def race_columns(agency: Agency, spd15: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Raw race/ethnicity columns for one agency, one value per person."""
    if agency.race_coding == "none":
        return {}
    crosswalk = ref.race_crosswalk()
    crosswalk = crosswalk[crosswalk["agency"] == agency.code]
    n = len(spd15)
    recorded = pd.Series(spd15).replace(ref.UNCOLLECTED_RECORDED_AS).to_numpy(dtype=object)
    unknown = rng.random(n) < RACE_UNKNOWN_SHARE.get(agency.code, DEFAULT_RACE_UNKNOWN_SHARE)
    hispanic = recorded == ref.SPD15[ref.HISPANIC]
    answers = np.array(list(HISPANIC_RACE_ANSWER), dtype=object)
    race_answer = np.where(hispanic, answers[rng.choice(len(answers), n, p=list(HISPANIC_RACE_ANSWER.values()))],
                           recorded)
    race_answer = np.where(unknown, "Unknown", race_answer)
    hispanic_column = crosswalk.loc[crosswalk["spd15_category"] == ref.SPD15[ref.HISPANIC], "column"].unique()
    separate_ethnicity = len(agency.race_columns) > 1 and len(hispanic_column) == 1
    out: dict[str, np.ndarray] = {}
    for column in agency.race_columns:
        options = crosswalk[crosswalk["column"] == column]
        if agency.race_coding == "flags":
            category = options.loc[options["raw_value"] == "1", "spd15_category"].iloc[0]
            answer = hispanic if column in hispanic_column else (race_answer == category)
            out[column] = np.where(unknown & (column not in hispanic_column), 0, answer).astype(np.int8)
        elif separate_ethnicity and column in hispanic_column:
            no_category = options[options["spd15_category"] == ""]
            ethnicity = np.where(hispanic, ref.SPD15[ref.HISPANIC], "")
            ethnicity = np.where(unknown & ~hispanic & options["spd15_category"].eq("Unknown").any(), "Unknown", ethnicity)
            values = _pick(rng, options, ethnicity)
            fallback = no_category["raw_value"].iloc[0]
            out[column] = np.where(pd.isna(values), fallback, values)
        else:
            categories = race_answer if separate_ethnicity else np.where(unknown, "Unknown", recorded)
            out[column] = _pick(rng, options, categories)
    return out


def gender_value(element: Element, sex: np.ndarray) -> np.ndarray:
    """The agency's spelling of the person's sex: M/F, Male/Female or 1/2."""
    if element.allowed and "Male" in element.allowed:
        return np.where(sex == "M", "Male", "Female")
    if element.kind == "integer":
        return np.where(sex == "M", 1, 2)
    return sex


def demographic_columns(agency: Agency, persons: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per-person race, gender and town columns in the agency's own coding (indexed like `persons`)."""
    columns: dict[str, np.ndarray] = race_columns(agency, persons["race_spd15"].to_numpy(dtype=object), rng)
    sex = persons["sex"].to_numpy(dtype=object)
    for element in agency.analytical:
        if element.name in ("Gender", "Sex"):
            columns[element.name] = gender_value(element, sex)
        elif element.description == TOWN_DESCRIPTION:
            columns[element.name] = persons["town"].to_numpy(dtype=object)
    return pd.DataFrame(columns, index=persons.index)
