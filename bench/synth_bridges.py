"""Synthetic truth and wage bridges at two linkability levels (`p20 synth --bridge-rate`).

For each level: the true disconnected and at-risk counts per report year, the true
at-risk-or-disconnected share, and the share of youth whose wages the index could ever find
(some delivered record carries a usable SSN and DOB; `p20_platform.synth.measure`). Level 1 is
the documented default; the second level is the one that about halves the unlinkable share of
youth aged 18 and over (measured: 3).

    .venv/bin/python -m bench.synth_bridges --persons 20000 --seed 2026
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench import command_line
from p20_platform.settings import paths
from p20_platform.synth import generate
from p20_platform.synth.measure import summary

LEVELS = (1.0, 3.0)


def run(persons: int, seed: int, levels: tuple[float, ...] = LEVELS) -> dict:
    results = {}
    for rate in levels:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            generate(persons=persons, seed=seed, out=Path(scratch), progress=False, bridge_rate=rate)
            results[f"bridge_rate_{rate:g}"] = {"bridge_rate": rate, **summary(paths(scratch)),
                                                "synth_seconds": round(time.perf_counter() - started, 1)}
    unlinkable = {key: 1 - level["youth_aged_18_plus_with_ssn_dob_bridge_share"] for key, level in results.items()}
    first, *rest = unlinkable
    return {
        "persons": persons, "seed": seed,
        "unlinkable_share_of_youth_aged_18_plus": {k: round(v, 4) for k, v in unlinkable.items()},
        "unlinkable_ratio_to_default": {k: round(unlinkable[k] / unlinkable[first], 3) for k in rest},
        "half_unlinkable_bridge_rate": levels[-1],
        "levels": results,
    }


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0], lambda args: run(args.persons, args.seed),
                        default_persons=20_000, result_name="synth_bridges.json")


if __name__ == "__main__":
    sys.exit(main())
