"""Agency review before dissemination: a published document waits for every agency whose data it uses.

A publication asset builds documents (its materialization lists their `paths`); the build is named
by a checksum of those files, so an approval covers exactly the bytes the reviewer saw and a
rebuild with other numbers needs approving again. Approvals are files beside the requests
(`approvals/<REQUEST>.yaml`, appended to by `p20 approve REQUEST --agency DOL`); `build: any` is a
standing approval of every build (the synthetic demo's, so `make demo` ends with a report).
Once every agency has approved the build, dissemination copies it to `published/requests/<REQUEST>/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from p20_platform.governance.requests import DataRequest, requests_folder
from p20_platform.registry import agency
from p20_platform.settings import Paths

ANY_BUILD = "any"


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agency: str
    build: str = Field(description="the approved build's checksum, or 'any' for a standing approval")
    reviewer: str
    approved_at: dt.datetime


def build_id(documents: Sequence[Path]) -> str:
    """A checksum over the documents' names and bytes: what a reviewer approves."""
    digest = hashlib.sha256()
    for path in sorted(map(Path, documents)):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def approvals_path(number: str, folder: Path | None = None) -> Path:
    return (folder or requests_folder()) / "approvals" / f"{number}.yaml"


def approvals(number: str, folder: Path | None = None) -> list[Approval]:
    path = approvals_path(number, folder)
    if not path.exists():
        return []
    return [Approval.model_validate(entry) for entry in (yaml.safe_load(path.read_text()) or {}).get("approvals", [])]


def record_approval(request: DataRequest, agency_code: str, build: str, reviewer: str,
                    folder: Path | None = None, now: dt.datetime | None = None) -> Approval:
    """Append one agency's approval of a build to the request's approvals file."""
    code = agency(agency_code).code
    if code not in request.agencies:
        raise ValueError(f"request {request.number} uses no {code} data; its agencies: {', '.join(request.agencies)}")
    approval = Approval(agency=code, build=build, reviewer=reviewer,
                        approved_at=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None))
    path = approvals_path(request.number, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [a.model_dump(mode="json") for a in approvals(request.number, folder)] + [approval.model_dump(mode="json")]
    path.write_text(yaml.safe_dump({"request": request.number, "approvals": entries}, sort_keys=False))
    return approval


@dataclass(frozen=True)
class Review:
    """Where one build stands: which agencies approved it and which it still waits for."""

    request: str
    build: str
    approved_by: tuple[str, ...]
    waiting_for: tuple[str, ...]

    @property
    def cleared(self) -> bool:
        return not self.waiting_for

    def metadata(self) -> dict[str, object]:
        return {"request": self.request, "build": self.build, "approved_by": list(self.approved_by),
                "waiting_for": list(self.waiting_for)}


def review(request: DataRequest, build: str, folder: Path | None = None) -> Review:
    approving = {a.agency for a in approvals(request.number, folder) if a.build in (build, ANY_BUILD)}
    return Review(request.number, build, tuple(c for c in request.agencies if c in approving),
                  tuple(c for c in request.agencies if c not in approving))


def pending_path(paths: Paths, number: str) -> Path:
    return paths.reports / "pending_review" / f"{number}.json"


def record_pending(paths: Paths, number: str, build: str, documents: Sequence[Path]) -> None:
    """Note the build awaiting review, so `p20 approve` knows which build a reviewer approves."""
    target = pending_path(paths, number)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"request": number, "build": build, "documents": [str(d) for d in documents]}))


def pending_build(paths: Paths, number: str) -> str:
    target = pending_path(paths, number)
    if not target.exists():
        raise ValueError(f"request {number} has no build awaiting review; materialize its publication first")
    return json.loads(target.read_text())["build"]


def disseminate(paths: Paths, number: str, documents: Sequence[Path]) -> list[Path]:
    """Copy an approved build's documents to `published/requests/<REQUEST>/`."""
    target = paths.published / "requests" / number
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(document, target / Path(document).name)) for document in documents]
