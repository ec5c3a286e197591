"""The agencies' published P20 WIN data dictionaries (one CSV per agency in `shared/p20win-data-dictionary/`).

They live beside the repository (`../shared`), as CI checks it out; `$P20_DICTIONARIES` points
elsewhere. Where they are absent, requests are checked against the feed contracts alone and the
requestors' dictionary says the agency's published dictionary was not available.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pandas as pd

FOLDER = Path("shared") / "p20win-data-dictionary"
COLUMNS = {"Program": "program", "Data Category": "category", "Data Element Name": "element",
           "Data Element Definition": "definition", "Data Type": "data_type", "Years Available": "years"}


def normalise(name: str) -> str:
    """Element names compared as the registry names them: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@cache
def dictionaries_folder() -> Path | None:
    """`$P20_DICTIONARIES`, else the nearest `shared/p20win-data-dictionary` above the repository."""
    if "P20_DICTIONARIES" in os.environ:
        return Path(os.environ["P20_DICTIONARIES"])
    for parent in Path(__file__).resolve().parents:
        if (parent / FOLDER).is_dir():
            return parent / FOLDER
    return None


@cache
def published_dictionary(code: str) -> pd.DataFrame:
    """One agency's published elements (empty when its dictionary is blank or not available).

    The blank templates DSS and OWS published keep the template's one example row from SDE: rows
    are kept only where the Agency column names the agency.
    """
    folder = dictionaries_folder()
    path = folder / f"{code}.csv" if folder else None
    if path is None or not path.exists():
        return pd.DataFrame(columns=list(COLUMNS.values()))
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    return rows[rows["Agency"].str.contains(code, case=False, regex=False)].rename(columns=COLUMNS)[list(COLUMNS.values())]


def dictionary_names(code: str) -> frozenset[str]:
    return frozenset(published_dictionary(code)["element"].map(normalise))
