"""PDFs of the published HTML documents, printed by headless Chromium.

The HTML is self-contained, so Chromium prints it exactly as a reader's browser shows it
(the templates carry print styles). Chromium comes from the system's packages (`make setup`
installs it when missing); without it no PDF is written and the caller says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from p20_platform.run_control import die_with_parent

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str | None:
    """The headless browser's executable, or None when none is installed."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def headless(executable: str, *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the browser headless on this machine's terms (no sandbox as root, no GPU, no first-run UI); it dies
    with this process, so a killed run leaves no browser behind."""
    return subprocess.run([executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-dev-shm-usage", *arguments], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=die_with_parent)


def print_pdf(html: Path, executable: str) -> Path:
    """`html` printed to a PDF beside it (written beside the old one and renamed over it)."""
    pdf = html.with_suffix(".pdf")
    scratch = html.with_suffix(".pdf.next")
    done = headless(executable, "--no-pdf-header-footer", f"--print-to-pdf={scratch}", html.resolve().as_uri())
    if done.returncode != 0 or not scratch.is_file() or scratch.stat().st_size == 0:
        scratch.unlink(missing_ok=True)
        raise RuntimeError(f"{executable} could not print {html} to PDF: {done.stderr.strip()[-500:]}")
    os.replace(scratch, pdf)
    return pdf
