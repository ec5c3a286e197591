"""Vectorised date helpers shared by the life-history and truth modules (numpy datetime64[D])."""

from __future__ import annotations

import numpy as np
import pandas as pd

LAST_DAY = np.datetime64("2025-12-31")  # histories end at the close of 2025 (delivery January 2026)


def dates(year, month=1, day=1) -> np.ndarray:
    """Vectorised date constructor; `day` may overflow into the next month on purpose."""
    year, month, day = (np.asarray(v, dtype=np.int64) for v in (year, month, day))
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    return months.astype("datetime64[D]") + (day - 1)


def year_of(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[Y]").astype(np.int64) + 1970


def ymd(d: np.ndarray) -> np.ndarray:
    """Dates as YYYYMMDD integers (NaT → a negative number)."""
    months = d.astype("datetime64[M]")
    month_index = months.astype(np.int64)
    return ((month_index // 12 + 1970) * 10000 + (month_index % 12 + 1) * 100
            + (d - months.astype("datetime64[D]")).astype(np.int64) + 1)


def age_on(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on a date."""
    return (ymd(on) - ymd(birth)) // 10000


def at_age(birth: np.ndarray, years: np.ndarray) -> np.ndarray:
    """The date a person reaches a (fractional) age."""
    return birth + np.round(np.asarray(years) * 365.25).astype(np.int64)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows for `counts[i]` events of item i: (item index per row, 0-based ordinal within item)."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def uniform_dates(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """One date uniformly in [low, high] per row."""
    span = np.maximum((high - low).astype(np.int64), 0)
    return low + (rng.random(len(span)) * (span + 1)).astype(np.int64)


def zero_padded(numbers: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as fixed-width digit strings with leading zeros (object array)."""
    return pd.Series(np.asarray(numbers, dtype=np.int64), dtype=np.int64).astype(str).str.zfill(width).to_numpy(dtype=object)
