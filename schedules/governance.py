"""Destruction on deadline: every hour, destroy the matching inputs whose deadline falls before the next pass.

Hourly because the shortest deadline is 24 hours (CCIC data) and the asset destroys anything due
within two hours (`p20_platform.governance.destruction.MARGIN`), so no deadline falls between
passes; its `deadlines_met` check fails loudly when one is still at risk. Selected by key string,
like the report jobs, so this module does not import the assets.
"""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from schedules.schedules import TIMEZONE

destruction_job = define_asset_job(
    "destroy_matching_inputs", selection=AssetSelection.from_string('key:"governance/destruction"'),
    description="Destroy the matching inputs due under the data sharing agreements; certify each in the match log.")

destruction_schedule = ScheduleDefinition(
    name="destroy_matching_inputs", job=destruction_job, cron_schedule="0 * * * *", execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Hourly: matching inputs are destroyed 5 business days after the match (24 hours with CCIC data).")
