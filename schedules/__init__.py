"""Dagster jobs, schedules and sensors; `p20_platform.definitions` collects them all."""
