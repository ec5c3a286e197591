"""Every page a reader or analyst opens, loaded in a real headless Chromium: no console error, no
uncaught exception; the dashboard's filters redraw its chart; the PDF prints real pages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from browser import Browser

from p20_platform.analyst_docs import write_data_dictionary, write_dbt_docs
from p20_platform.quality.deliveries import INDEX
from p20_platform.quality.mart_validation import quality_dir, validate_mart
from p20_platform.report.pdf import browser
from p20_platform.synth.faults import FAULTS
from p20_platform.transform import MART_TABLES, PUBLISHED_DATABASE

pytestmark = pytest.mark.skipif(browser() is None, reason="no headless Chromium (make setup installs it)")


@pytest.fixture(scope="module")
def chromium():
    session = Browser()
    try:
        with session.page() as page:
            yield page
    finally:
        session.close()


@pytest.fixture(scope="module")
def analyst_docs(run) -> tuple[Path, Path]:
    """The data dictionary and dbt's site, built while this process holds the warehouse open for
    writing and without P20_HOME: had dbt opened the warehouse, it would fail on the lock."""
    home, result = run
    assert result.success
    with pytest.MonkeyPatch.context() as environment, duckdb.connect(str(home.warehouse_db)):
        environment.delenv("P20_HOME", raising=False)
        dictionary = write_data_dictionary(home)
        docs, rebuilt = write_dbt_docs(home)
    assert rebuilt and write_dbt_docs(home) == (docs, False)  # unchanged project: not rebuilt
    return dictionary, docs


@pytest.fixture(scope="module")
def pages(run, analyst_docs) -> dict[str, Path]:
    home, result = run
    validate_mart(home, "disconnected_youth_factors")  # the mart check writes its page and the quality index
    annual = sorted((home.reports / "annual").glob("*.html"))
    dictionary, docs = analyst_docs
    return {"data dictionary": dictionary, "dbt docs": docs, "annual report (latest)": annual[-1], "annual report (earliest)": annual[0],
            "crossover brief": home.reports / "crossover" / "crossover_brief.html",
            "dashboard": home.published / "dashboard.html",
            "quality index": quality_dir(home) / INDEX,
            "quality page": quality_dir(home) / "disconnected_youth_factors.html"}


def test_every_page_loads_without_a_console_error(chromium, pages):
    for name, page in pages.items():
        chromium.errors.clear()
        chromium.open(page.as_uri(), settle=2 if name == "dbt docs" else 0.5)
        assert chromium.errors == [], name
        text = chromium.evaluate("document.body.innerText")
        assert len(text) > 500, name
        if name != "dbt docs":  # dbt's own site: its scripts are inlined, its text is dbt's
            assert chromium.evaluate("document.querySelector('h1').textContent.trim().length") > 0, name
            assert "None" not in text.split() and "nan" not in text.split(), name
            assert chromium.evaluate("document.querySelectorAll('script[src], link[href]').length") == 0, name


def test_the_documents_read_as_a_legislator_expects(chromium, pages):
    chromium.open(pages["annual report (latest)"].as_uri())
    text = chromium.evaluate("document.body.innerText")
    assert "Demonstration data." in text  # built from the synthetic population
    assert "Data as of" in text and "built" in text and "code version" in text
    assert "Other report years:" in text
    counts = chromium.evaluate("[...document.querySelectorAll('[data-kind=count]')].map(e => e.textContent)")
    assert counts and all(re.fullmatch(r"\*|\d{1,3}(,\d{3})*", c) for c in counts)  # 1,457, never 1457
    chromium.open(pages["crossover brief"].as_uri())
    methods = chromium.evaluate("document.body.innerText").split("Methods")[-1]
    assert "DCF" in methods and "CSSD" in methods
    assert not any(agency in methods for agency in ("DOL,", "OEC,", "OWS,"))


def test_a_filter_on_the_dashboard_changes_its_chart(chromium, pages, run):
    chromium.open(pages["dashboard"].as_uri())

    def chart() -> list[str]:
        return chromium.evaluate("[...document.querySelectorAll('#chart text')].map(e => e.textContent)")

    def choose(select: str, value: str) -> None:
        chromium.evaluate(f"(() => {{ const s = document.getElementById('{select}'); s.value = '{value}';"
                          f" s.dispatchEvent(new Event('change')); }})()")

    towns = chart()
    choose("breakdown", "age_band")
    bands = chart()
    assert bands != towns and {"14-17", "18-21", "22-26"} <= set(bands)
    earliest = chromium.evaluate("document.getElementById('year').options[document.getElementById('year')"
                                 ".options.length - 1].value")
    choose("year", earliest)
    assert chart() != bands
    assert chromium.errors == []

    # Only published cells: every count in the page's data is a shown count of the report or suppressed.
    data = json.loads(chromium.evaluate("document.getElementById('data').textContent"))
    values = [row[m]["value"] for b in data["breakdowns"].values() for rows in b["years"].values() for row in rows
              for m in ("youth", "at_risk", "disconnected", "disconnected_estimate")]
    assert None in values and all(v is None or v == 0 or v > 10 for v in values)
    # the estimate leads, with its interval, as in the report's headline
    assert chromium.evaluate("document.getElementById('measure').value") == "disconnected_estimate"
    latest = data["overall"][str(data["years"][-1])]
    assert " to " in latest["disconnected_estimate"]["text"]
    assert latest["disconnected_estimate"]["value"] < latest["disconnected"]["value"]


def test_the_quality_pages_show_the_quarantined_rows(chromium, pages):
    chromium.open(pages["quality index"].as_uri())
    text = chromium.evaluate("document.body.innerText")
    planted = {fault.agency for fault in FAULTS}
    flagged = chromium.evaluate("[...document.querySelectorAll('td.bad')].map(td => td.parentElement"
                                ".cells[0].textContent.split('.')[0])")
    assert planted <= set(flagged)
    assert "YYYYMMDD calendar date" in text
    chromium.open(pages["quality page"].as_uri())
    assert "rows 2078.0" not in chromium.evaluate("document.body.innerText")


def test_the_pdf_of_the_latest_report_has_real_pages(pages, tmp_path: Path):
    pdf = pages["annual report (latest)"].with_suffix(".pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) >= 2
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == 2 and all(i.stat().st_size > 5_000 for i in images)  # rendered text, not blank
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
                                   ).stdout.split())
    assert "At-risk and disconnected youth in Connecticut" in text and "Demonstration data." in text


def test_the_published_database_says_which_build_it_holds(run):
    home, _ = run
    with duckdb.connect(str(home.published / PUBLISHED_DATABASE), read_only=True) as published:
        built_at, code, vintage, deliveries, synthetic = published.execute(
            "SELECT built_at, code_version, data_vintage, deliveries, synthetic FROM marts.build_info").fetchone()
    assert synthetic and code and vintage is not None
    assert len(deliveries) == 30 and all(d.endswith((".matching", ".analytical")) for d in deliveries)


def test_the_data_dictionary_describes_every_column_of_every_published_table(run, analyst_docs, chromium):
    home, _ = run
    with duckdb.connect(str(home.published / PUBLISHED_DATABASE), read_only=True) as published:
        columns = published.execute("SELECT table_name, column_name FROM information_schema.columns "
                                    "WHERE table_schema = 'marts'").fetchall()
    chromium.open(analyst_docs[0].as_uri())
    described = chromium.evaluate(
        "[...document.querySelectorAll('h2')].flatMap(h => [...h.nextElementSibling.nextElementSibling"
        ".querySelectorAll('tbody tr')].map(r => [h.id, r.cells[0].textContent, r.cells[2].textContent]))")
    meaning = {(table, column): text for table, column, text in described}
    assert {table for table, _ in columns} == set(MART_TABLES) | {"build_info"}
    assert [c for c in columns if not meaning.get(c)] == []  # every column, with a meaning


def test_the_dbt_docs_show_the_marts_with_their_column_types(analyst_docs, chromium):
    chromium.open(analyst_docs[1].as_uri() + "#!/model/model.p20.disconnected_youth_counts", settle=2)
    text = chromium.evaluate("document.body.innerText")
    assert "disconnected_unlinkable_wages" in text and "BIGINT" in text.upper()
    assert chromium.errors == []


def test_the_duckdb_prompt_opens_the_published_copy(run):
    """ANALYSTS.md's command, as written: the CLI from requirements.lock reads the published copy."""
    home, _ = run
    prompt = Path(sys.executable).with_name("duckdb")
    done = subprocess.run([str(prompt), "-readonly", str(home.published / PUBLISHED_DATABASE), "-csv", "-c",
                           "SELECT count(*) FROM marts.disconnected_youth_counts"],
                          capture_output=True, text=True, check=True)
    assert int(done.stdout.split()[-1]) > 0
