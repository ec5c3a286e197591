"""Linkage at scale: training time, rebuild with the saved model, peak memory, records per minute.

Generates a synthetic population in a subprocess (so its memory is not counted), then links all
agencies' matching files in this process. Target: a rebuild with the saved model links at least
1M records per minute. A rebuild is what the hub does with deliveries it already holds:
standardise, score, cluster; reading the delivery files is timed apart. Peak memory is recorded
after each stage (it only grows, so the stage where it jumps is the one that needed it).
`--reference-model` also writes the trained model as the package's reference model (used when
a caller's files are too few to train on); `--home` links an already generated population.

    .venv/bin/python -m bench.linkage --persons 1200000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import command_line, engine_result_name
from p20_platform.linkage import read_matching_files, standardise_records
from p20_platform.linkage.probabilistic import REFERENCE_MODEL_PATH, person_clusters, score_pairs, train_model
from p20_platform.linkage.truth_scores import linkable_recall, load_truth, match_rate, pairwise_scores
from p20_platform.settings import paths


def _peak_memory_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _timed(action, peaks: dict[str, int], stage: str):
    started = time.perf_counter()
    value = action()
    peaks[stage] = _peak_memory_mb()
    return value, time.perf_counter() - started


def _generate(home_dir: Path, persons: int, seed: int) -> None:
    subprocess.run([sys.executable, "-m", "p20_platform.cli", "synth", "--persons", str(persons), "--seed", str(seed),
                    "--out", str(home_dir), "--quiet"], check=True)


def run(persons: int, seed: int, write_reference_model: bool = False, home_dir: Path | None = None,
        engine: str = "duckdb") -> dict:
    os.environ["P20_ENGINE"] = engine
    peaks: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        generate_seconds = None
        if home_dir is None:
            home_dir = Path(scratch)
            _, generate_seconds = _timed(lambda: _generate(home_dir, persons, seed), peaks, "generate")
        home = paths(home_dir)
        files = sorted(home.landing.glob("*/*.matching"))
        raw, read_seconds = _timed(lambda: read_matching_files(files), peaks, "read")
        records, standardise_seconds = _timed(lambda: standardise_records(raw), peaks, "standardise")
        del raw
        model, train_seconds = _timed(lambda: train_model(records), peaks, "train")
        pairs, score_seconds = _timed(lambda: score_pairs(records, model), peaks, "score")
        clusters, cluster_seconds = _timed(
            lambda: person_clusters(records, pairs), peaks, "cluster")
        truth, _ = load_truth(home)
        scores = pairwise_scores(clusters, truth) | linkable_recall(clusters, records, truth)
    if write_reference_model:
        REFERENCE_MODEL_PATH.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    rebuild_seconds = standardise_seconds + score_seconds + cluster_seconds
    return {
        "persons": persons, "seed": seed, "engine": engine, "records": len(records), "scored_pairs": len(pairs),
        "generate_seconds": None if generate_seconds is None else round(generate_seconds, 1),
        "read_seconds": round(read_seconds, 1), "standardise_seconds": round(standardise_seconds, 1),
        "train_seconds": round(train_seconds, 1), "score_seconds": round(score_seconds, 1),
        "cluster_seconds": round(cluster_seconds, 1), "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_records_per_minute": round(len(records) / rebuild_seconds * 60),
        "peak_memory_mb": _peak_memory_mb(), "peak_memory_mb_after_stage": peaks,
        "match_rate": round(match_rate(clusters, records), 4),
        **{k: round(v, 5) if isinstance(v, float) else v
           for k, v in scores.items()},
    }


def _linkage_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reference-model", action="store_true", help="store the trained model as reference")
    parser.add_argument("--home", type=Path, help="link this generated population instead of generating one")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="where the pairs are scored (P20_ENGINE); training always runs on DuckDB")


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0],
                        lambda args: run(args.persons, args.seed, args.reference_model, args.home, args.engine),
                        default_persons=1_200_000, result_name=engine_result_name("linkage"),
                        add_arguments=_linkage_arguments)


if __name__ == "__main__":
    sys.exit(main())
