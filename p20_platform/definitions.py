"""The Dagster code location: the only module that imports `assets/` and `schedules/`.

Every asset, asset check, job, schedule and sensor defined at module level in the modules of
those packages is collected, so a new layer (e.g. `assets/mpi.py`) appears by adding its module,
not by editing here. Steps run in process: on two cores a process per step costs more than it
saves, and DuckDB's single writer serialises the work anyway.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from pathlib import Path
from types import ModuleType

from dagster import Definitions, PreviewWarning, in_process_executor, load_definitions_from_modules

import assets
import schedules
from p20_platform.resources import RESOURCES


def _modules(package: ModuleType) -> list[ModuleType]:
    """The modules in the package's own folder beside `p20_platform`.

    Not `package.__path__`: where an editable install made the package a namespace package, that
    path also takes in any same-named folder on sys.path (e.g. `tests/assets` under pytest).
    """
    folder = Path(__file__).resolve().parent.parent / package.__name__
    return [importlib.import_module(f"{package.__name__}.{info.name}") for info in pkgutil.iter_modules([str(folder)])]


def _collect() -> Definitions:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)  # the one loader that also collects sensors and jobs
        return load_definitions_from_modules(_modules(assets) + _modules(schedules))


defs = Definitions.merge(_collect(), Definitions(resources=RESOURCES, executor=in_process_executor))
