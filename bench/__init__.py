"""Benchmarks: each module measures one part of the platform at scale and writes bench/results/."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).with_name("results")


def command_line(argv: list[str] | None, description: str, run: Callable[[argparse.Namespace], dict], *,
                 default_persons: int, result_name: str | Callable[[argparse.Namespace], str],
                 add_arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> int:
    """The shared `--persons/--seed` command line: run, print and store the result as JSON.

    `result_name` may hold any option's value (`{persons}`), or be made from the options by a function;
    `add_arguments` adds a benchmark's own options.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--persons", type=int, default=default_persons)
    parser.add_argument("--seed", type=int, default=2026)
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    name = result_name(args) if callable(result_name) else result_name.format(**vars(args))
    write_result(name, run(args))
    return 0


def engine_result_name(benchmark: str) -> Callable[[argparse.Namespace], str]:
    """`<benchmark>_<persons>.json` on the default engine, `<benchmark>_<engine>_<persons>.json` on another."""
    return lambda args: "_".join([benchmark, *([args.engine] if args.engine != "duckdb" else []), f"{args.persons}.json"])


def write_result(name: str, result: dict) -> None:
    """Print a benchmark's figures and store them as bench/results/<name>."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
