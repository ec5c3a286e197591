"""The linkage quality the reports cite, read from the hub's tables of aggregate scores.

`mpi/linkage_evaluation` writes `mpi.linkage_scores` (one row per strategy and score, the index's
strategy first); every index build appends its own match rate to `mpi.builds`. The reports show
the evaluation's scores when it is at least as recent as the last build, otherwise the index's own
match rate (the other scores "not scored"); each figure is traced to its table and key. Scores are
over records and record pairs, not over people in a group, so they need no cell suppression.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from p20_platform.feeds.stores import connect, table_exists
from p20_platform.report.figures import Figure
from p20_platform.settings import Paths

EVALUATION_ASSET = "mpi/linkage_evaluation"
SCORES_TABLE = "mpi.linkage_scores"  # written by the evaluation (p20_platform/linkage/scorecard.py)
BUILDS_TABLE = "mpi.builds"  # one row per index build (p20_platform/linkage/hub.py)
SCORES = {"match_rate": "Records linked to another agency's record",
          "pairwise_precision": "Links that are correct", "pairwise_recall": "True links found",
          "cluster_precision": "Linked persons that are exactly one real person",
          "cluster_recall": "Real persons whose records were all joined"}
STRATEGY_LABELS = {"probabilistic": "Probabilistic (Splink)", "deterministic": "Deterministic rules",
                   "pet-keys": "PET: keyed-hash match keys", "pet-bloom": "PET: Bloom-filter encodings"}


class LinkageNotRecorded(ValueError):
    """Neither an index build nor a linkage evaluation is recorded in the hub yet."""


@dataclass(frozen=True)
class StrategyScores:
    strategy: str
    label: str
    current: bool
    scores: Mapping[str, Figure]


def read_linkage_quality(home: Paths) -> list[StrategyScores]:
    """Per-strategy scores for the documents, the index's strategy first (see the module docstring)."""
    evaluation, build = None, None
    if home.hub_db.exists():
        with connect(home.hub_db, read_only=True) as hub:
            if table_exists(hub, "mpi", "linkage_scores"):
                evaluation = hub.execute(f"SELECT evaluated_at, strategy_order, strategy, score, value "
                                         f"FROM {SCORES_TABLE} ORDER BY strategy_order, score").fetchall()
            if table_exists(hub, "mpi", "builds"):
                build = hub.execute(f"SELECT built_at, strategy, match_rate FROM {BUILDS_TABLE} "
                                    "ORDER BY built_at DESC LIMIT 1").fetchone()
    if evaluation and (build is None or _when(evaluation[0][0]) >= _when(build[0])):
        values: dict[str, dict[str, float | None]] = {}
        for _, _, strategy, score, value in evaluation:
            values.setdefault(strategy, {})[score] = value
        return linkage_quality(values, SCORES_TABLE)
    if build is None:
        raise LinkageNotRecorded(f"no {EVALUATION_ASSET} nor mpi/crosswalk build recorded yet: the reports cite the "
                                 f"linkage quality; materialize mpi/crosswalk (and {EVALUATION_ASSET} for all "
                                 "scores) first")
    _, strategy, rate = build
    return linkage_quality({strategy: {"match_rate": round(rate, 3)}}, BUILDS_TABLE)


def linkage_quality(values: Mapping[str, Mapping[str, float | None]], table: str) -> list[StrategyScores]:
    """Figures from {strategy: {score: value}} (strategies in order, the index's first) read from `table`."""
    if not values:
        raise LinkageNotRecorded(f"{table} names no strategies")
    return [StrategyScores(strategy=s, label=STRATEGY_LABELS.get(s, s), current=i == 0,
                           scores={score: _score(table, s, score, scores.get(score)) for score in SCORES})
            for i, (s, scores) in enumerate(values.items())]


def _when(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp)


def _score(table: str, strategy: str, score: str, value: float | None) -> Figure:
    source = {"data-evaluation": table, "data-key": f"{strategy}/{score}"}
    if value is None:
        return Figure(text="not scored", kind="score", value=None, source=source)
    return Figure(text=f"{100 * float(value):.1f}%", kind="score", value=float(value), source=source)
