"""Random count tables shaped like small-area report tables: many zeros and small counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from p20_platform.disclosure import CountTable

# Mix of empty, small (to suppress) and publishable cells, like counts by town or subgroup.
_KINDS = np.array([0, 1, 2])
_KIND_WEIGHTS = np.array([0.2, 0.35, 0.45])


def random_counts(rng: np.random.Generator, shape: tuple[int, ...], large: int = 200) -> np.ndarray:
    kinds = rng.choice(_KINDS, size=shape, p=_KIND_WEIGHTS)
    small = rng.integers(1, 11, size=shape)
    big = rng.integers(11, large, size=shape)
    return np.select([kinds == 0, kinds == 1], [0, small], big)


def long_table(counts: np.ndarray, dimensions: tuple[str, ...], *, name: str, measure: str = "n",
               sources: tuple[str, ...] = ()) -> CountTable:
    """A CountTable whose categories are '<dimension><index>'."""
    index = pd.MultiIndex.from_product([[f"{d}{i}" for i in range(size)] for d, size in zip(dimensions, counts.shape)],
                                       names=list(dimensions))
    cells = pd.Series(counts.ravel(), index=index, name=measure).reset_index()
    return CountTable(name=name, cells=cells, dimensions=dimensions, count=measure, sources=sources)


def linked_pair(rng: np.random.Generator, years: int, races: int, sexes: int) -> tuple[CountTable, CountTable]:
    """The same population by year x race and by year x sex: the two share their year totals."""
    counts = random_counts(rng, (years, races, sexes))
    return (long_table(counts.sum(axis=2), ("year", "race"), name="by_race"),
            long_table(counts.sum(axis=1), ("year", "sex"), name="by_sex"))
