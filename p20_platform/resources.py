"""Dagster resources, configured in one place: where the data home is.

Every store (landing, archive, hub, warehouse, reports) derives from the data home, so one
setting points a whole deployment, or a test, at its data.
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from p20_platform.settings import Paths, paths


class DataHome(ConfigurableResource):
    """The platform's data home; empty means `P20_HOME` (default ./data), read when a run starts."""

    home: str | None = Field(default=None, description="Path of the data home; empty: $P20_HOME or ./data")

    @property
    def paths(self) -> Paths:
        return paths(self.home)


RESOURCES = {"data_home": DataHome()}
