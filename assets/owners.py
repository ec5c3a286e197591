"""Who answers for each asset, as Dagster owners (shown on every asset's page and filterable in the UI).

P20 WIN's roles: each agency owns its feed; the Department of Labor, as the Data Integration Hub,
owns the master person index; the Office of Policy and Management, the Operating Group, owns the
transforms, marts and published documents.
"""

HUB = "team:DOL-data-integration-hub"
OPERATING_GROUP = "team:OPM-operating-group"


def agency_owner(code: str) -> str:
    """The team that owns an agency's deliveries."""
    return f"team:{code}"
