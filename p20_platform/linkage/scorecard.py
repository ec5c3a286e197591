"""The linkage evaluation of the current index, compared with other strategies, as a readable report.

The scores also go to the hub table `mpi.linkage_scores` (replaced by each evaluation): one row per
strategy and score, rates and counts over records and record pairs only. The documents read them
from there (p20_platform/report/linkage.py), never from run metadata.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from p20_platform.feeds.stores import connect, table_exists
from p20_platform.linkage import cluster_records
from p20_platform.linkage.hub import read_table, stored_model
from p20_platform.linkage.pet_key import PetKeyError
from p20_platform.linkage.truth_scores import Evaluation, evaluate, load_truth, render_markdown
from p20_platform.settings import Paths, paths

REPORT_NAME = "linkage_evaluation.md"
SCORES_TABLE = "linkage_scores"  # hub schema mpi, beside mpi.builds


@dataclass(frozen=True)
class EvaluationReport:
    path: Path
    evaluations: list[Evaluation]
    markdown: str
    not_evaluated: dict[str, str]  # strategy -> why it could not run here

    def metadata(self) -> dict[str, Any]:
        """Flat per-strategy scores (counts and rates only) plus the report path."""
        scores = {f"{e.strategy}/{name}": value for e in self.evaluations for name, value in e.summary.items()}
        return {**scores, "report": str(self.path), "strategies": [e.strategy for e in self.evaluations],
                "not_evaluated": self.not_evaluated}


def evaluate_index(home: Paths | None = None,
                   compare_with: list[str] | tuple[str, ...] = ("deterministic", "pet-keys", "pet-bloom")
                   ) -> EvaluationReport:
    """Score the index in the hub (and the same records under other strategies) and write the report.

    Scores against truth only where the home holds synthetic truth/; otherwise match rates only.
    A PET strategy needs the shared key; where none is configured it is reported as not
    evaluated instead of failing the whole evaluation.
    """
    store = home or paths()
    with connect(store.hub_db, read_only=True) as hub:
        records, crosswalk = read_table(hub, "mpi", "records"), read_table(hub, "mpi", "crosswalk")
        if records is None or crosswalk is None:
            raise ValueError("no master person index in the hub yet; materialize mpi/crosswalk first")
        # only what the match-weight distribution reads: the whole table is 41 columns (116 MB of
        # pandas at 0.1M persons, 17 MB for these three)
        pairs = (hub.execute("SELECT record_id_l, record_id_r, match_weight FROM mpi.pairs").df()
                 if table_exists(hub, "mpi", "pairs") else None)
        model = stored_model(hub)
    truth, persons = load_truth(store) if (store.truth / "records.parquet").exists() else (None, None)

    index_strategy = str(crosswalk["strategy"].iloc[0])
    index_clusters = crosswalk[["record_id", "p20_id"]].rename(columns={"p20_id": "cluster_id"})
    evaluations = [evaluate(index_strategy, index_clusters, records, truth, persons,
                            pairs=pairs if index_strategy == "probabilistic" else None)]
    not_evaluated: dict[str, str] = {}
    for strategy in dict.fromkeys(compare_with):
        if strategy == index_strategy:
            continue
        try:
            clusters = cluster_records(records, strategy, home=store, model=model)
        except PetKeyError as missing_key:
            not_evaluated[strategy] = str(missing_key)
            continue
        evaluations.append(evaluate(strategy, clusters, records, truth, persons))

    markdown = render_markdown(evaluations) + "".join(
        f"\nNot evaluated: {strategy} ({why})\n" for strategy, why in not_evaluated.items())
    store.reports.mkdir(parents=True, exist_ok=True)
    path = store.reports / REPORT_NAME
    path.write_text(markdown, encoding="utf-8")
    write_scores(store.hub_db, evaluations)
    return EvaluationReport(path, evaluations, markdown, not_evaluated)


def write_scores(hub_db: Path, evaluations: list[Evaluation]) -> None:
    """Replace `mpi.linkage_scores` with these evaluations' scores: strategy_order 0 is the index's own."""
    evaluated_at = dt.datetime.now(dt.UTC).isoformat()
    rows = [(evaluated_at, order, e.strategy, name, None if value is None else float(value))
            for order, e in enumerate(evaluations) for name, value in e.summary.items()]
    with connect(hub_db) as hub:
        hub.execute("CREATE SCHEMA IF NOT EXISTS mpi").fetchall()
        hub.execute(f"CREATE OR REPLACE TABLE mpi.{SCORES_TABLE} (evaluated_at VARCHAR, strategy_order INTEGER, "
                    "strategy VARCHAR, score VARCHAR, value DOUBLE)").fetchall()
        hub.executemany(f"INSERT INTO mpi.{SCORES_TABLE} VALUES (?, ?, ?, ?, ?)", rows)
