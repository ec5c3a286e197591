"""Record linkage: the Data Integration Hub's master person index.

One entry point per use: `link_files` for loose matching files (the `p20 link` command),
`cluster_records` for a standardised record table with any strategy; the Dagster assets keep
the index in the hub (see `p20_platform.linkage.hub`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from p20_platform.linkage.index import IdIssuer, assign_p20_ids
from p20_platform.linkage.matching_files import read_matching_files
from p20_platform.linkage.standardise import STANDARD_COLUMNS, standardise_records
from p20_platform.settings import Paths

STRATEGIES: tuple[str, ...] = ("deterministic", "probabilistic", "pet-keys", "pet-bloom")

__all__ = ["STANDARD_COLUMNS", "STRATEGIES", "cluster_records", "link_files", "read_matching_files",
           "standardise_records"]


def cluster_records(records: pd.DataFrame, strategy: str, *, home: Paths | None = None,
                    model: dict | None = None) -> pd.DataFrame:
    """Standardised records -> DataFrame[record_id, cluster_id] with the named strategy.

    `model` is a saved probabilistic model (trained on `records` when None); `home` is the data home
    where the PET strategies look for their key (the environment's when None).
    """
    if strategy == "deterministic":
        from p20_platform.linkage.deterministic import link_deterministic

        return link_deterministic(records)
    if strategy == "probabilistic":
        from p20_platform.linkage.probabilistic import link_probabilistic

        return link_probabilistic(records, model)
    if strategy in ("pet-keys", "pet-bloom"):
        from p20_platform.linkage.pet_key import load_pet_key

        key = load_pet_key(home)
        if strategy == "pet-keys":
            from p20_platform.linkage.pet import link_pet_keys

            return link_pet_keys(records, key)
        from p20_platform.linkage.bloom import link_pet_bloom

        return link_pet_bloom(records, key)
    raise ValueError(f"unknown linkage strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def link_files(paths: Sequence[Path], strategy: str = "probabilistic") -> pd.DataFrame:
    """Link P20 WIN matching files into the matrix of fake IDs: DataFrame[file, FakeID, p20_id].

    Stateless: ids are fresh for each call (no index to keep them stable across calls).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown linkage strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    records = standardise_records(read_matching_files([Path(p) for p in paths]))
    clusters = cluster_records(records, strategy)
    ids, _ = assign_p20_ids(clusters, prior=None, issuer=IdIssuer.new())
    crosswalk = records[["record_id", "source_file", "FakeID"]].merge(ids, on="record_id", validate="1:1")
    return (crosswalk.rename(columns={"source_file": "file"})[["file", "FakeID", "p20_id"]]
            .sort_values(["file", "FakeID"], ignore_index=True))
