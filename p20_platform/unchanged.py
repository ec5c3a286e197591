"""Whether `p20 materialize` has anything to do: a re-run with nothing new says so and stops.

A build is skipped when the instance's latest run is a `p20 materialize` build that succeeded and
nothing it was built from has changed since:

- no new delivery: every settled landing file's bytes are in the archive, which is how the landing
  sensor decides a file was loaded (schedules/sensors.py), and no held delivery was confirmed
  since (`p20 confirm` adds a row to `ops.confirmations`; the next load takes the file);
- the same code and configuration (`code_fingerprint`), the same PET key (`key_fingerprint`);
- the same scope: a build without the linkage evaluation does not stand in for one with it;
- its outputs are still there (`published/marts`, `reports/`).

Otherwise it rebuilds, and says why. A failed or stopped run, or any run since the build (from
the UI, a sensor or a schedule), is the latest run, so the next `p20 materialize` rebuilds.

What Dagster provides, and why the rest is written here:
- Run storage is Dagster's own: the latest run and its status come from the instance, and the
  build's inputs are recorded as tags on its run (`instance.add_run_tags`), visible in the UI.
- Deliveries: a feed's data version is the checksum of the delivery it holds, but a feed learns a
  delivery is new only by loading it; the sensor's rule (bytes not yet archived) answers without
  loading anything.
- Code: Dagster's code versions would mark assets stale, but they are strings set by hand on each
  of about 95 assets (dagster-dbt derives them for dbt models only, from their SQL); a forgotten
  bump would skip a needed rebuild without a word. So the code is fingerprinted by content: every
  file the code location, dbt and the requests read, plus the P20_* settings.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from p20_platform.feeds.archive import archive_path
from p20_platform.feeds.landing import scan_landing
from p20_platform.feeds.stores import connect, table_exists
from p20_platform.settings import Paths

_REPOSITORY = Path(__file__).resolve().parent.parent
# What a build reads besides its data: the library, the code location, dbt, the filed requests, the pins.
CODE_PATHS = ("p20_platform", "assets", "schedules", "requests", "dbt_project/models", "dbt_project/macros",
              "dbt_project/seeds", "dbt_project/tests", "dbt_project/dbt_project.yml", "dbt_project/profiles.yml",
              "workspace.yaml", "pyproject.toml", "requirements.lock")
# P20_* variables that do not change what a build makes (the home is the build's own; the key is fingerprinted apart).
_NOT_CONFIG = frozenset({"P20_HOME", "P20_PET_KEY", "P20_PET_KEY_FILE", "P20_LANDING_SETTLE_SECONDS"})
TAG_PREFIX = "p20/build_"
BUILD_TAG = "p20/materialize"


def _code_files(root: Path) -> Iterator[Path]:
    for name in CODE_PATHS:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(f for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts
                              and not any(part.startswith(".") for part in f.relative_to(root).parts))


def code_fingerprint(root: Path = _REPOSITORY) -> str:
    """A digest of every code and configuration file a build reads, and of the P20_* settings."""
    digest = hashlib.sha256()
    for file in _code_files(root):
        digest.update(f"{file.relative_to(root)}\0".encode() + hashlib.sha256(file.read_bytes()).digest())
    for name in sorted(n for n in os.environ if n.startswith("P20_") and n not in _NOT_CONFIG):
        digest.update(f"{name}={os.environ[name]}\0".encode())
    return digest.hexdigest()[:16]


def key_fingerprint(home: Paths) -> str:
    """A digest of the PET key (a one-way hash: the key cannot be recovered from it), or 'none'."""
    from p20_platform.linkage.pet_key import PetKeyError, load_pet_key

    try:
        key = load_pet_key(home)
    except (PetKeyError, OSError):
        return "none"
    return hashlib.sha256(b"p20 PET key fingerprint\0" + key).hexdigest()[:16]


def _confirmations(home: Paths) -> int:
    """How many held deliveries have been confirmed so far (0 before the first load)."""
    if not home.warehouse_db.exists():
        return 0
    with connect(home.warehouse_db, read_only=True) as warehouse:
        if not table_exists(warehouse, "ops", "confirmations"):
            return 0
        return warehouse.execute("SELECT count(*) FROM ops.confirmations").fetchall()[0][0]


@dataclass(frozen=True)
class BuildInputs:
    """What a build is made from, besides the deliveries themselves (recorded as tags on its run)."""

    code: str
    pet_key: str
    confirmations: int
    with_evaluation: bool

    @classmethod
    def now(cls, home: Paths, with_evaluation: bool) -> BuildInputs:
        return cls(code_fingerprint(), key_fingerprint(home), _confirmations(home), with_evaluation)

    def tags(self) -> dict[str, str]:
        return {BUILD_TAG: "true", f"{TAG_PREFIX}code": self.code, f"{TAG_PREFIX}pet_key": self.pet_key,
                f"{TAG_PREFIX}confirmations": str(self.confirmations),
                f"{TAG_PREFIX}with_evaluation": str(self.with_evaluation).lower()}


def record_build(instance, result, inputs: BuildInputs) -> None:
    """Tag a finished build's run with its inputs and what it made (a later re-run compares and quotes them)."""
    assets = {e.asset_key for e in result.get_asset_materialization_events() if e.asset_key is not None}
    summary = f"{len(assets)} assets and {len(result.get_asset_check_evaluations())} checks"
    instance.add_run_tags(result.run_id, {**inputs.tags(), f"{TAG_PREFIX}summary": summary})


def new_deliveries(home: Paths) -> list[str]:
    """Landing files whose bytes the archive does not hold: not loaded yet (the landing sensor's rule)."""
    arrivals, _ = scan_landing(home, None)
    return [a.relative_path for a in arrivals if not archive_path(home.archive, a.sha256).exists()]


def why_rebuild(instance, home: Paths, inputs: BuildInputs) -> str | None:
    """Why the platform must build (one line), or None when nothing changed since its last build."""
    [latest] = instance.get_run_records(limit=1) or [None]
    if latest is None:
        return "no earlier build"
    run, tags = latest.dagster_run, latest.dagster_run.tags
    if tags.get(BUILD_TAG) != "true":
        return f"the latest run ({run.job_name} {run.run_id[:8]}, {run.status.value.lower()}) was not a completed build"
    if not run.is_success:
        return f"the last build ({run.run_id[:8]}) did not succeed: {run.status.value.lower()}"
    recorded = {name.removeprefix(TAG_PREFIX): value for name, value in tags.items() if name.startswith(TAG_PREFIX)}
    current = {name.removeprefix(TAG_PREFIX): value for name, value in inputs.tags().items()
               if name.startswith(TAG_PREFIX)}
    if inputs.with_evaluation and recorded.get("with_evaluation") != "true":
        return "the last build did not include the linkage evaluation"
    changed = {"code": "the code or its configuration changed", "pet_key": "the PET key changed",
               "confirmations": "a held delivery was confirmed"}
    for name, reason in changed.items():
        if recorded.get(name) != current[name]:
            return f"{reason} since build {run.run_id[:8]}"
    missing = [str(p) for p in (home.published / "marts", home.reports) if not p.exists()]
    if missing:
        return f"outputs of build {run.run_id[:8]} are missing: {', '.join(missing)}"
    new = new_deliveries(home)
    if new:
        return f"{len(new)} new deliver{'y' if len(new) == 1 else 'ies'} in landing/: {', '.join(new[:3])}" + (
            ", ..." if len(new) > 3 else "")
    return None


def describe_skip(instance, home: Paths) -> str:
    """What a skipped re-run says: which build stands, what was not redone, where its outputs are."""
    latest = instance.get_run_records(limit=1)[0]
    run = latest.dagster_run
    ended = datetime.fromtimestamp(latest.end_time, UTC).strftime("%Y-%m-%d %H:%M UTC") if latest.end_time else "?"
    built = run.tags.get(f"{TAG_PREFIX}summary", "every asset and check")
    return "\n".join([
        f"nothing new since build {run.run_id} (succeeded {ended}): no new delivery in landing/, "
        "same code and configuration, same PET key, no held delivery confirmed",
        f"  skipped: loading, linkage, dbt, checks and reports ({built} in that build)",
        f"  published (analysts):     {home.published} unchanged",
        f"  reports:                  {home.reports} unchanged",
        "  next: `make ui` opens the Dagster UI on this run history; `p20 materialize --force` builds anyway",
    ])


# `p20 synth` records what it wrote in truth/ (evaluation-only, like the rest of that folder).
SYNTH_RECORD = "synth_record.json"


def _sha256(file: Path) -> str:
    with file.open("rb") as handle:  # in chunks: a statewide wage file is gigabytes
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _synth_files(home: Paths) -> list[Path]:
    return sorted(f for folder in (home.landing, home.truth) if folder.is_dir() for f in folder.rglob("*")
                  if f.is_file() and f.name != SYNTH_RECORD)


def synth_unchanged(home: Paths, arguments: dict) -> bool:
    """True when `home` holds exactly what `p20 synth` with these arguments and this code wrote there
    before: same arguments, same code fingerprint, every file it wrote present with the same bytes."""
    record_file = home.truth / SYNTH_RECORD
    if not record_file.is_file():
        return False
    record = json.loads(record_file.read_text())
    if record.get("arguments") != arguments or record.get("code") != code_fingerprint():
        return False
    root = home.home_dir
    return all((root / name).is_file() and _sha256(root / name) == sha for name, sha in record["files"].items())


def record_synth(home: Paths, arguments: dict) -> None:
    """Record the arguments, code fingerprint and every landing and truth file `p20 synth` just wrote."""
    files = {str(f.relative_to(home.home_dir)): _sha256(f) for f in _synth_files(home)}
    (home.truth / SYNTH_RECORD).write_text(json.dumps({"arguments": arguments, "code": code_fingerprint(),
                                                       "files": files}, indent=1) + "\n")
