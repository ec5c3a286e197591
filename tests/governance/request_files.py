"""Request files for the governance tests: a small request approved by the board, written as YAML."""

from __future__ import annotations

from pathlib import Path

import yaml

from p20_platform.registry import agency


def request_yaml(number: str, elements: dict[str, list[str]], **overrides) -> dict:
    """A filed request's content: approved by the board, one researcher with a signed NDA."""
    content = {
        "number": number, "name": "Placement and juvenile cases (test)", "type": "initial",
        "date_received": "2026-01-05",
        "requestor": {"name": "A. Researcher", "organisation": "University of Connecticut"},
        "authorised_representative": "UConn research office",
        "purpose": "Test request: how many youth placed out of home later have a juvenile case.",
        "agencies": {code: {"legal_framework": agency(code).legal_framework, "elements": list(names)}
                     for code, names in elements.items()},
        "recipients": [{"name": "A. Researcher", "organisation": "University of Connecticut",
                        "state_employee": False, "nda_received": "2026-01-20"}],
        "board": {"decision": "approved", "date": "2026-01-21"},
        "destruction_date": "2099-12-31",
        "extract": True,
    }
    return content | overrides


def file_request(folder: Path, content: dict) -> Path:
    path = folder / f"{content['number']}.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path
