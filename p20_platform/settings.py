"""Where the platform keeps its data, resolved from the environment in one place.

Identity (the hub store), content (the warehouse) and published outputs live in separate
stores so each can get its own access rules, retention and destruction deadline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("data")
# Where the heavy steps run: DuckDB in this process (the default), or Spark (linkage on Splink's
# Spark backend) for a state that outgrows one machine. P20_SPARK_MASTER picks the cluster
# (`local[*]` by default; `spark://host:7077`, `yarn`, `k8s://...`); everything else about the
# cluster comes from Spark's own configuration (SPARK_CONF_DIR/spark-defaults.conf).
ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[*]"


@dataclass(frozen=True)
class Paths:
    """All locations under one data home (`P20_HOME`, default `./data`)."""

    home_dir: Path

    @property
    def landing(self) -> Path:
        """Where agencies drop deliveries: landing/<AGENCY>/<file>."""
        return self.home_dir / "landing"

    @property
    def truth(self) -> Path:
        """Synthetic ground truth; read only by evaluation code and tests."""
        return self.home_dir / "truth"

    @property
    def archive(self) -> Path:
        """Every delivery, unchanged, content-addressed by sha256."""
        return self.home_dir / "archive"

    @property
    def hub_db(self) -> Path:
        """The Data Integration Hub's store: the only place identifiers live."""
        return self.home_dir / "hub.duckdb"

    @property
    def warehouse_db(self) -> Path:
        """Analytical content keyed by pseudonymous ids; no identifiers."""
        return self.home_dir / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        """Published, disclosure-checked outputs."""
        return self.home_dir / "reports"

    @property
    def published(self) -> Path:
        """Read-only copies for analysts and operators: the marts and the delivery manifest."""
        return self.home_dir / "published"

    @property
    def published_manifest(self) -> Path:
        """The delivery manifest as Parquet: what operators read instead of opening the warehouse."""
        return self.published / "deliveries.parquet"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance (run history, event logs) that `make demo` and `make ui` share."""
        return self.home_dir / "dagster"

    def agency_landing(self, agency_code: str) -> Path:
        return self.landing / agency_code


def data_home() -> Path:
    return Path(os.environ.get("P20_HOME", DEFAULT_HOME)).resolve()


def paths(home_dir: str | os.PathLike[str] | None = None) -> Paths:
    """The locations under `home_dir` (resolved), or under the environment's data home when None."""
    return Paths(Path(home_dir).resolve() if home_dir is not None else data_home())


def engine() -> str:
    """The engine named by `P20_ENGINE` (duckdb when unset); an unknown name is an error, not a fallback."""
    name = os.environ.get("P20_ENGINE", ENGINES[0]).strip().lower()
    if name not in ENGINES:
        raise ValueError(f"P20_ENGINE={name!r} is not an engine; choose one of {', '.join(ENGINES)}")
    return name


def spark_master() -> str:
    return os.environ.get("P20_SPARK_MASTER", DEFAULT_SPARK_MASTER)
