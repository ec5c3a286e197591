"""Where the platform keeps its data, resolved from the environment in one place.

Identity (the hub store), content (the warehouse) and published outputs live in separate
stores so each can get its own access rules, retention and destruction deadline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("data")


@dataclass(frozen=True)
class Paths:
    """All locations under one data home (`P20_HOME`, default `./data`)."""

    home: Path

    @property
    def landing(self) -> Path:
        """Where agencies drop deliveries: landing/<AGENCY>/<file>."""
        return self.home / "landing"

    @property
    def truth(self) -> Path:
        """Synthetic ground truth; read only by evaluation code and tests."""
        return self.home / "truth"

    @property
    def archive(self) -> Path:
        """Every delivery, unchanged, content-addressed by sha256."""
        return self.home / "archive"

    @property
    def hub_db(self) -> Path:
        """The Data Integration Hub's store: the only place identifiers live."""
        return self.home / "hub.duckdb"

    @property
    def warehouse_db(self) -> Path:
        """Analytical content keyed by pseudonymous ids; no identifiers."""
        return self.home / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        """Published, disclosure-checked outputs."""
        return self.home / "reports"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance (run history, event logs) that `make demo` and `make ui` share."""
        return self.home / "dagster"

    def agency_landing(self, agency_code: str) -> Path:
        return self.landing / agency_code


def data_home() -> Path:
    return Path(os.environ.get("P20_HOME", DEFAULT_HOME)).resolve()


def paths(home: str | os.PathLike[str] | None = None) -> Paths:
    return Paths(Path(home).resolve() if home is not None else data_home())
