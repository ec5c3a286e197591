"""The linkage quality the reports cite, read from what `mpi/linkage_evaluation` recorded.

The evaluation asset records flat per-strategy scores (`<strategy>/<score>`) and the list of
strategies (the index's own first) as materialization metadata; the reports show those
numbers, each traced to its metadata key. Scores are over records and record pairs, not
over people in a group, so they need no cell suppression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from p20_platform.report.figures import Figure

EVALUATION_ASSET = "mpi/linkage_evaluation"
SCORES = {"match_rate": "Records linked to another agency's record",
          "pairwise_precision": "Links that are correct", "pairwise_recall": "True links found",
          "cluster_precision": "Linked persons that are exactly one real person",
          "cluster_recall": "Real persons whose records were all joined"}
STRATEGY_LABELS = {"probabilistic": "Probabilistic (Splink)", "deterministic": "Deterministic rules",
                   "pet-keys": "PET: keyed-hash match keys", "pet-bloom": "PET: Bloom-filter encodings"}


@dataclass(frozen=True)
class StrategyScores:
    strategy: str
    label: str
    current: bool
    scores: Mapping[str, Figure]


def linkage_quality(metadata: Mapping[str, Any]) -> list[StrategyScores]:
    """Per-strategy scores from the evaluation's metadata (plain values); the index's strategy first."""
    strategies = list(metadata.get("strategies") or [])
    if not strategies:
        raise ValueError(f"{EVALUATION_ASSET} metadata names no strategies: {sorted(metadata)}")
    return [StrategyScores(strategy=s, label=STRATEGY_LABELS.get(s, s), current=i == 0,
                           scores={score: _score(s, score, metadata.get(f"{s}/{score}")) for score in SCORES})
            for i, s in enumerate(strategies)]


def _score(strategy: str, score: str, value: Any) -> Figure:
    source = {"data-evaluation": EVALUATION_ASSET, "data-key": f"{strategy}/{score}"}
    if value is None:
        return Figure(text="not scored", kind="score", value=None, source=source)
    return Figure(text=f"{100 * float(value):.1f}%", kind="score", value=float(value), source=source)
