"""Synth-only fixtures: a larger population for calibration and a high-noise one for rates."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_homes import shared_dir

CALIBRATION_PERSONS = 30_000
NOISY_PERSONS = 4_000


@pytest.fixture(scope="session")
def calibration_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough that the calibration targets are measured with a few points of precision. The directory (a Path; `paths()` of it is the Paths)."""
    from p20_platform.synth import generate

    return shared_dir(tmp_path_factory, "p20_calibration",
                      lambda home: generate(persons=CALIBRATION_PERSONS, seed=7, out=home, progress=False))


@pytest.fixture(scope="session")
def noisy_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """Every noise type at a rate high enough to measure on a few thousand records: (directory, its noise config);
    the directory is a Path (`paths()` of it is the Paths)."""
    from p20_platform.synth import NOISE_TYPES, NoiseConfig, generate

    config = NoiseConfig(rates={noise: 0.1 for noise in NOISE_TYPES} | {"compound_partial": 0.5},
                         agency_rates={"CCEH": {"typo_last": 0.25}},
                         fill_rates={"*": {"MiddleName": 0.6, "SSN": 0.8}, "DCF": {"SSN": 0.5}})
    home = shared_dir(tmp_path_factory, "p20_noisy",
                      lambda home: generate(persons=NOISY_PERSONS, seed=3, out=home, progress=False, noise=config))
    return home, config
