"""Dagster assets, one module per layer; `p20_platform.definitions` collects them all."""
