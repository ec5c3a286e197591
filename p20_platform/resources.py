"""Dagster resources, configured in one place: where the data home is, and what one run keeps.

Every store (landing, archive, hub, warehouse, reports) derives from the data home, so one
setting points a whole deployment, or a test, at its data.
"""

from __future__ import annotations

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field, PrivateAttr

from p20_platform.feeds.loaders import PartnerChecks
from p20_platform.run_control import PID_TAG, clear_leftovers, run_tags
from p20_platform.settings import Paths, paths


class DataHome(ConfigurableResource):
    """The platform's data home; empty means `P20_HOME` (default ./data), read when a run starts."""

    home: str | None = Field(default=None, description="Path of the data home; empty: $P20_HOME or ./data")
    _partner_checks: PartnerChecks = PrivateAttr(default_factory=PartnerChecks)

    @property
    def paths(self) -> Paths:
        return paths(self.home)

    @property
    def partner_checks(self) -> PartnerChecks:
        """This run's checks of analytical files made while loading their matching partners."""
        return self._partner_checks

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Tag the run with the process executing it, however it was started (`dagster dev`'s run worker,
        `dagster job execute`, a test), as `p20 materialize` tags its own: `run_control.clear_leftovers`
        can then tell a dead run from a live one by its process instead of waiting out a time limit.

        Then clear what dead runs left (`clear_leftovers`) before any step waits for the writers' pool: a run
        started from the UI or by a sensor clears a dead run as `p20 materialize` does, and says so. Each run
        starts with no partner checks kept."""
        self._partner_checks = PartnerChecks()
        run = context.run
        if context.instance is None or run is None:
            return
        if PID_TAG not in run.tags:
            context.instance.add_run_tags(run.run_id, run_tags())
        note = clear_leftovers(context.instance, self.paths).describe()
        if note:
            context.log.info(note)


RESOURCES = {"data_home": DataHome()}
