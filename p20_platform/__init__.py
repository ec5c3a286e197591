"""p20-platform: a Dagster-orchestrated longitudinal data platform modelled on Connecticut's P20 WIN."""
