"""The `p20` command line: the platform's domain functions without Dagster.

Each subcommand is a thin shell over a library function, so agencies and analysts can run
the same code the pipeline runs. Heavy imports happen inside the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from p20_platform.settings import Paths, paths


def _synth(args: argparse.Namespace) -> int:
    from p20_platform.synth import generate
    from p20_platform.unchanged import record_synth, synth_unchanged

    home = paths(args.out)
    arguments = {"persons": args.persons, "seed": args.seed, "bridge_rate": args.bridge_rate,
                 "demo_faults": args.demo_faults}
    if synth_unchanged(home, arguments):  # same seed, same bytes: rewriting them would only take time
        print(f"synthetic population: {args.persons:,} persons (seed {args.seed}) already in {home.home_dir} "
              f"with the same code and unchanged files: not regenerated")
        return 0
    result = generate(persons=args.persons, seed=args.seed, out=Path(args.out), progress=not args.quiet,
                      bridge_rate=args.bridge_rate)
    print(result.describe())
    if args.demo_faults:
        from p20_platform.synth.faults import add_demo_faults

        print("row-level faults planted for the demo (they will be quarantined):",
              *add_demo_faults(home, args.seed), sep="\n  ")
    record_synth(home, arguments)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from p20_platform.feeds import validate_files

    reports = validate_files([Path(f) for f in args.files])
    for report in reports:
        print(report.describe())
    return 0 if all(r.ok for r in reports) else 1


def _link(args: argparse.Namespace) -> int:
    from p20_platform.linkage import link_files

    crosswalk = link_files([Path(f) for f in args.files], strategy=args.strategy)
    crosswalk.to_csv(args.out, index=False)
    print(f"wrote {len(crosswalk)} rows, {crosswalk['p20_id'].nunique()} persons to {args.out}")
    return 0


def _materialize(args: argparse.Namespace) -> int:
    from p20_platform.feeds.archive import OpenStoreError
    from p20_platform.pipeline import materialize_all

    try:
        return 0 if materialize_all(paths(args.home), with_evaluation=args.with_evaluation, force=args.force) else 1
    except OpenStoreError as refused:
        print(f"p20: refusing to run: {refused}", file=sys.stderr)
        return 2


def _release_revision(args: argparse.Namespace) -> int:
    from p20_platform.report import read_build_info
    from p20_platform.report.dashboard import DASHBOARD_DIR, render_dashboard
    from p20_platform.report.publish import RevisionRefused, release_revision

    home = paths(args.home)
    try:
        entry = release_revision(home.reports, args.document, args.reason, args.by)
    except RevisionRefused as refused:
        print(f"p20 release-revision: {refused}", file=sys.stderr)
        return 1
    if args.document.startswith(f"{DASHBOARD_DIR}/"):  # the page shows the released years: this one changed
        print(f"rewrote {render_dashboard(home.reports, home.published, read_build_info(home))}")
    print(f"released {args.document} as release {entry['release']}; release {entry['revises']} stays published at "
          f"reports/{entry['previous_release_kept_at']}")
    return 0


def _confirm(args: argparse.Namespace) -> int:
    from p20_platform.feeds.confirm import ConfirmError, confirm_delivery

    try:
        delivery = confirm_delivery(paths(args.home), args.file, confirmed_by=args.by)
    except ConfirmError as error:
        print(f"p20: {error}", file=sys.stderr)
        return 1
    print(f"confirmed {delivery.file_name} ({delivery.rows_read} rows): the next `p20 materialize` loads it")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from p20_platform.backup import BackupError, backup
    from p20_platform.feeds.archive import OpenStoreError

    try:
        manifest = backup(paths(args.home), Path(args.out))
    except (BackupError, OpenStoreError) as error:
        print(f"p20: backup not taken: {error}", file=sys.stderr)
        return 1
    print(f"backup of {manifest['home']} written to {args.out}: {', '.join(manifest['files'])}, "
          f"{manifest['archive_files']} archived deliveries, {len(manifest['release_files'])} release file(s)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from p20_platform.backup import BackupError, restore
    from p20_platform.feeds.archive import OpenStoreError

    home = paths(args.home)
    try:
        manifest = restore(Path(args.backup), home)
    except (BackupError, OpenStoreError) as error:
        print(f"p20: not restored: {error}", file=sys.stderr)
        return 1
    print(f"restored the backup of {manifest['home']} taken {manifest['taken_at']} into {home.home_dir}; "
          f"`p20 materialize --home {home.home_dir}` rebuilds the marts and reports (the released ones kept as released)")
    return 0


def _pet_key(args: argparse.Namespace) -> int:
    from p20_platform.linkage.pet_key import PetKeyError, create_demo_key

    try:
        print(f"PET demo key created (owner-only): {create_demo_key(paths(args.home))}")
    except PetKeyError as kept:  # never replace a key: every encoding made with it would be orphaned
        print(f"PET key kept: {kept}")
    return 0


def _requests(args: argparse.Namespace) -> int:
    from p20_platform.governance.requests import RequestError, load_request, requests_folder
    from p20_platform.governance.standing_index import FILE_NAME, load_authority

    failed = 0
    for path in sorted(requests_folder().glob("[0-9][0-9][0-9].yaml")):
        try:
            request = load_request(path).request
            print(f"{request.number} {request.board.decision:9} {request.type:13} {request.name} "
                  f"({', '.join(request.agencies)})")
        except RequestError as error:
            failed += 1
            print(error)
    try:
        filed = load_authority()
    except RequestError as error:
        failed += 1
        print(error)
    else:
        if filed is None:
            print(f"standing index: NO AUTHORITY DECLARED ({FILE_NAME} is missing); the hub keeps identifiers "
                  "between builds under no decision")
        else:
            authority = filed.authority
            print(f"standing index: keep={str(authority.keep).lower()} under {authority.authority.body}, "
                  f"{authority.authority.reference} ({authority.authority.decision}, {authority.authority.date})"
                  f"{' [DEMO: no real authority]' if authority.demo else ''}")
    return 1 if failed else 0


def _approve(args: argparse.Namespace) -> int:
    from p20_platform.governance.requests import load_requests
    from p20_platform.governance.review import pending_build, record_approval

    filed = load_requests().get(args.request)
    if filed is None:
        print(f"no request {args.request} is filed; `p20 requests` lists them")
        return 1
    try:
        build = args.build or pending_build(paths(args.home), args.request)
        approval = record_approval(filed.request, args.agency, build, args.reviewer)
    except (KeyError, ValueError) as refused:
        print(f"not approved: {refused}")
        return 1
    print(f"request {args.request}: {approval.agency} approved build {approval.build[:12]} ({approval.reviewer})")
    return 0


def ui_environment(home: Paths) -> dict[str, str]:
    """The environment `p20 ui` runs `dg dev` in: the data home's Dagster instance, and this venv's
    executables first on PATH, because under `dg dev` dagster-dbt parses the dbt project on each
    load with the `dbt` it finds there (the venv is not activated under `make ui`)."""
    from p20_platform.pipeline import prepare_environment

    prepare_environment(home)
    return {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}


# How long `p20 ui` lets Dagster's processes stop after Ctrl-C or SIGTERM before it kills what is left.
UI_STOP_SECONDS = 10.0


def run_until_stopped(command: list[str], env: dict[str, str] | None = None,
                      stop_seconds: float = UI_STOP_SECONDS) -> int:
    """Run `command` in a process group of its own until it exits or this process is told to stop.

    `dg dev` starts `dagster dev`, which starts the webserver, the daemon and code servers, which start
    runs; a Ctrl-C reached only some of them and SIGTERM only the first, so the rest ran on for minutes.
    Here SIGINT, SIGTERM and SIGHUP are passed to the whole group; whatever is still running
    `stop_seconds` later is killed, so the command returns promptly and leaves no process behind.
    Returns the command's exit code, or 128 + the signal's number when stopped by one.
    """
    child = subprocess.Popen(command, env=env, process_group=0)
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        _signal_group(child.pid, signum)

    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, forward) for signum in stops}
    try:
        while child.poll() is None and not received:
            time.sleep(0.1)
        if received:
            print(f"p20: stopping ({signal.Signals(received[0]).name}); anything still running in "
                  f"{stop_seconds:.0f} s is killed", file=sys.stderr, flush=True)
        deadline = time.monotonic() + stop_seconds
        # the group outlives its leader while any member runs: wait for all of them, then kill the rest
        while (child.poll() is None or _signal_group(child.pid, 0)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _signal_group(child.pid, signal.SIGKILL):
            print(f"p20: killed what was still running after {stop_seconds:.0f} s", file=sys.stderr, flush=True)
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 + received[0] if received else code


def _signal_group(group: int, signum: int) -> bool:
    """Send `signum` to every process of `group`; False when none is left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # only a zombie leader is left (macOS reports it so)
        return False
    return True


def _ui(args: argparse.Namespace) -> int:
    dg = Path(sys.executable).with_name("dg")
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    port = ["--port", str(args.port)] if args.port else []
    return run_until_stopped([str(dg), "dev", "-w", str(workspace), *port], ui_environment(paths(args.home)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="p20", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser("synth", help="write a synthetic P20 population's deliveries and truth")
    synth.add_argument("--persons", type=int, default=20_000)
    synth.add_argument("--seed", type=int, default=2026)
    synth.add_argument("--out", default=str(paths().home_dir), help="data home to write landing/ and truth/ into")
    synth.add_argument("--bridge-rate", type=float, default=1.0,
                       help="multiplies the rate of DOL's DOB-bearing UI claims, the bridge that makes wages "
                            "linkable to youth (1 = documented default; about 3 halves the unlinkable share)")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.add_argument("--demo-faults", action="store_true", help="plant a few realistic bad rows to show quarantine")
    synth.set_defaults(run=_synth)

    validate = commands.add_parser("validate", help="check delivery files against their agency's contract")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(run=_validate)

    link = commands.add_parser("link", help="link P20 WIN matching files into a crosswalk of persons")
    link.add_argument("files", nargs="+")
    link.add_argument("--out", required=True, help="CSV to write: file,FakeID,p20_id")
    link.add_argument("--strategy", default="probabilistic",
                      choices=("deterministic", "probabilistic", "pet-keys", "pet-bloom"))
    link.set_defaults(run=_link)

    materialize = commands.add_parser("materialize", help="run the main job end to end through Dagster")
    materialize.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    materialize.add_argument("--with-evaluation", action="store_true",
                             help="also score every linkage strategy (on demand otherwise), before the reports")
    materialize.add_argument("--force", action="store_true",
                             help="build even when nothing is new since the last build (which is skipped otherwise)")
    materialize.set_defaults(run=_materialize)

    confirm = commands.add_parser("confirm", help="accept a delivery held for a sharp change in its row count")
    confirm.add_argument("file", help="the held file's name or its path under landing/")
    confirm.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who confirms (recorded)")
    confirm.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    confirm.set_defaults(run=_confirm)

    release = commands.add_parser("release-revision", help="publish a document's pending revision as its next "
                                                           "release (audited; refused if differencing would disclose)")
    release.add_argument("document", help="the document under reports/, e.g. annual/disconnected_youth_2025.html, or a "
                                                 "year of the dashboard, dashboard/disconnected_youth_2025.json")
    release.add_argument("--reason", required=True, help="why the release is revised (recorded in the ledger)")
    release.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who releases it (recorded)")
    release.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    release.set_defaults(run=_release_revision)

    backup = commands.add_parser("backup", help="snapshot both stores, the archive and the PET key consistently, "
                                 "and the released reports with their ledger")
    backup.add_argument("out", help="a new folder to write the backup into")
    backup.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    backup.set_defaults(run=_backup)

    restore = commands.add_parser("restore", help="restore a backup into a new, empty data home")
    restore.add_argument("backup", help="the folder `p20 backup` wrote")
    restore.add_argument("--home", default=None, help="data home to restore into (default: $P20_HOME or ./data)")
    restore.set_defaults(run=_restore)

    pet_key = commands.add_parser("pet-key", help="create a demo PET key under the data home if none exists")
    pet_key.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    pet_key.set_defaults(run=_pet_key)

    requests = commands.add_parser("requests", help="validate and list the filed data requests ($P20_REQUESTS)")
    requests.set_defaults(run=_requests)

    approve = commands.add_parser("approve", help="an agency reviewer approves the build a request will publish")
    approve.add_argument("request", help="request number, e.g. 000")
    approve.add_argument("--agency", required=True, help="the reviewing agency's code, e.g. DOL")
    approve.add_argument("--build", default=None, help="the build checksum (default: the build awaiting review)")
    approve.add_argument("--reviewer", default=os.environ.get("USER", "reviewer"), help="who approves")
    approve.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    approve.set_defaults(run=_approve)

    ui = commands.add_parser("ui", help="open the Dagster UI (dg dev) on the data home's run history")
    ui.add_argument("--home", default=None, help="data home (default: $P20_HOME or ./data)")
    ui.add_argument("--port", type=int, default=None, help="the UI's port (default: Dagster's, 3000)")
    ui.set_defaults(run=_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
