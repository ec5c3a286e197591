"""A demo delivery that carries a few realistic row-level faults, so quarantine shows in the demo.

Real feeds arrive with the odd bad row: a date keyed as 30 February, a date in another format, a
code with a typo, a required date left empty. `add_demo_faults` plants a handful of such rows in
the delivered files after generation (the files stay well-formed: same header, same field
count), so the feeds quarantine them with the rule they break and load everything else. It runs
only when asked (`p20 synth --demo-faults`, which `make demo` uses): tests and benchmarks
generate clean deliveries. The ground truth is not changed; a quarantined row is simply missing
from the warehouse, as it would be in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from p20_platform.settings import Paths


@dataclass(frozen=True)
class Fault:
    agency: str
    content: str  # "matching" or "analytical"
    column: str
    rows: int
    description: str
    change: Callable[[str], str]


def _yyyymmdd_to_iso(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}"


FAULTS = (
    Fault("DMHAS", "analytical", "AdmissionDate", 3, "admission keyed as 30 February", lambda v: v[:4] + "0230"),
    Fault("DSS", "analytical", "EligibilityBeginDate", 2, "date sent as YYYY-MM-DD", _yyyymmdd_to_iso),
    Fault("DCF", "analytical", "SUBSTANTIATION", 2, "finding mistyped", lambda v: v[:-2] + v[-1]),
    Fault("DOC", "analytical", "LatestDOCAdmissionDate", 1, "required admission date left empty", lambda v: ""),
)


def add_demo_faults(home: Paths, seed: int) -> list[str]:
    """Plant `FAULTS` in the landing files under `home`; returns one line per fault planted."""
    rng = np.random.default_rng(seed)
    planted = []
    for fault in FAULTS:
        [path] = sorted((home.landing / fault.agency).glob(f"{fault.agency}.*.{fault.content}"))
        data = path.read_bytes()
        newline = b"\r\n" if b"\r\n" in data[:4096] else b"\n"
        lines = data.split(newline)
        header = lines[0].split(b"\t")
        column = header.index(fault.column.encode())
        candidates = [i for i, line in enumerate(lines[1:], start=1) if line and line.split(b"\t")[column]]
        for i in sorted(rng.choice(candidates, size=min(fault.rows, len(candidates)), replace=False).tolist()):
            fields = lines[i].split(b"\t")
            fields[column] = fault.change(fields[column].decode()).encode()
            lines[i] = b"\t".join(fields)
        path.write_bytes(newline.join(lines))
        rows = f"{fault.rows} row" + "s" * (fault.rows != 1)
        planted.append(f"{path.name}: {rows} with {fault.column} {fault.description}")
    return planted
