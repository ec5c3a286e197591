"""The published documents from a real Dagster run: feeds -> index -> linkage evaluation -> dbt ->
published marts -> annual report and crossover brief, on the small synthetic population."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import materialize

from assets.marts import DBT_ASSETS
from assets.report import annual_report
from p20_platform.disclosure import TOTAL, DisclosureViolation, PublishedTable, audit, protect
from p20_platform.disclosure.tables import COMPLEMENTARY
from p20_platform.report import crossover as xo
from p20_platform.report import (LinkageNotRecorded, protect_annual_report, protect_crossover_brief,
                                 publish_annual_reports, read_build_info, read_linkage_quality, read_mart)
from p20_platform.report.linkage import SCORES
from p20_platform.report.disconnected import (ESTIMATE_TESTED, ESTIMATE_TESTED_STATEWIDE, INTERVAL, RESTS_ON_UNLINKABLE_WAGES, SEVERE_TESTED,
                                              STATUS_CATEGORY, WAGE_EVIDENCE, EstimateTested, breakdown_table)
from p20_platform.resources import DataHome
from p20_platform.settings import Paths, paths
from p20_platform.transform import PUBLISHED_DATABASE

TRACED = ("data-mart", "data-evaluation", "data-role")
REPO = Path(__file__).resolve().parents[2]


def _metadata(result, node: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()}


class NumberCollector(HTMLParser):
    """Every text node holding a digit or a published figure (e.g. '*'), with the attributes of the
    nearest traced ancestor."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str]] = []
        self.numbers: list[tuple[str, dict[str, str] | None]] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(dict(attrs))

    def handle_endtag(self, tag):
        if self.stack:  # parsing starts at <body>: the closing </html> has no opening here
            self.stack.pop()

    def handle_data(self, data):
        if any(c.isdigit() for c in data) or (self.stack and "data-kind" in self.stack[-1] and data.strip()):
            owner = next((a for a in reversed(self.stack) if any(k in a for k in TRACED)), None)
            self.numbers.append((data.strip(), owner))


def _numbers(path: Path) -> list[tuple[str, dict[str, str] | None]]:
    collector = NumberCollector()
    html = path.read_text()
    collector.feed(html[html.index("<body>"):])  # the <style> block holds CSS sizes, not published numbers
    return collector.numbers


def _documents(home: Paths) -> list[Path]:
    return sorted((home.reports / "annual").glob("*.html")) + [home.reports / "crossover" / "crossover_brief.html"]


def _column_value(row, expression: str) -> float:
    """A trace's column expression on a mart row: columns added with '+' or subtracted with '-'."""
    return sum(-row[column] if sign == "-" else row[column] for sign, column in re.findall(r"([+-]?)(\w+)", expression))


def _percent(numerator: float, denominator: float) -> str:
    exact = Decimal(int(numerator)) * 100 / Decimal(int(denominator))
    return f"{exact.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def test_the_run_publishes_both_documents_and_records_what_it_did(run):
    home, result = run
    assert result.success
    years = sorted(int(y) for y in read_mart(home, "disconnected_youth_counts")["report_year"].unique())
    latest = years[-1]
    annual = _metadata(result, "report__annual_report")
    assert annual["report_years"] == years and len(years) > 1 and annual["audit"].startswith("passed")
    assert annual["paths"] == [str(home.reports / "annual" / f"disconnected_youth_{y}.html") for y in years]
    assert annual["pdf"] == str(home.reports / "annual" / f"disconnected_youth_{latest}.pdf")
    assert annual["dashboard"] == str(home.published / "dashboard.html")
    assert annual["cells_shown"] > 0 and annual["cells_suppressed"] > 0
    brief = _metadata(result, "report__crossover_brief")
    assert brief["audit"].startswith("passed") and brief["cells_suppressed"] > 0
    for document in _documents(home):
        html = document.read_text()
        assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "http" not in html.replace(
            "http://www.w3.org/2000/svg", "")  # self-contained: no external resource
    assert "Methods" in (home.reports / "annual" / f"disconnected_youth_{latest}.html").read_text()


def test_every_dbt_test_runs_in_the_dagster_build(run):
    """Dagster runs `dbt build` in steps around the assets between dbt models, and a dbt test runs only in a step
    that builds its parents or their descendants (indirect selection `buildable`): a test whose parents fall in
    different steps would run in none (the eight staging town tests did, until the models named their seed)."""
    _, result = run
    evaluated = {evaluation.check_name for evaluation in result.get_asset_check_evaluations()}
    never_run = {key.name for dbt in DBT_ASSETS for key in dbt.check_keys} - evaluated
    assert not never_run


def test_every_number_in_the_documents_traces_to_a_mart_or_evaluation_value(run):
    home, result = run
    metadata = _metadata(result, "mpi__linkage_evaluation")
    with duckdb.connect(str(home.hub_db), read_only=True) as hub:  # what the documents cite: the hub's table
        evaluation = {f"{strategy}/{score}": value for strategy, score, value
                      in hub.execute("SELECT strategy, score, value FROM mpi.linkage_scores").fetchall()}
    assert evaluation and all(metadata[key] == value for key, value in evaluation.items())
    checked = 0
    with duckdb.connect(str(home.published / PUBLISHED_DATABASE), read_only=True) as marts:
        for document in _documents(home):
            for text, owner in _numbers(document):
                assert owner is not None, f"{document.name}: untraced number {text!r}"
                if "data-evaluation" in owner and text != "not scored":
                    assert owner["data-evaluation"] == "mpi.linkage_scores"
                    value = evaluation[owner["data-key"]]
                    assert text == f"{100 * value:.1f}%"
                elif "data-mart" in owner:
                    key = json.loads(owner["data-key"])  # a list value: the figure sums those rows
                    values = {column: v if isinstance(v, list) else [v] for column, v in key.items()}
                    where = " AND ".join(f"{column} IN ({', '.join('?' * len(v))})" for column, v in values.items())
                    rows = marts.execute(f"SELECT * FROM marts.{owner['data-mart']} WHERE {where}",
                                         [v for vs in values.values() for v in vs]).df()
                    assert len(rows) == max(len(v) for v in values.values()), (owner, text)
                    row = rows.select_dtypes("number").sum() if len(rows) > 1 else rows.iloc[0]
                    if text in ("*", "-"):  # suppressed or undefined: the row exists, no value is shown
                        continue
                    value = _column_value(row, owner["data-column"])
                    kind = owner["data-kind"]
                    if kind == "count":
                        assert int(text.replace(",", "")) == value
                    elif kind == "percent":
                        denominator = _column_value(row, owner["data-denominator"])
                        assert text == _percent(value, denominator)
                    elif kind == "change":
                        assert int(text.replace(",", "")) == value
                    else:
                        decimals = len(text.partition(".")[2])
                        assert abs(float(text) - value) <= 0.5 * 10 ** -decimals + 1e-9
                    checked += 1
    assert checked > 50


def test_no_count_from_1_to_10_is_shown_anywhere(run):
    home, _ = run
    shown = [(document.name, text) for document in _documents(home) for text, owner in _numbers(document)
             if owner and owner.get("data-kind") == "count"]
    shown = [(name, t.replace(",", "")) for name, t in shown]
    assert shown and all(t == "*" or t.isdigit() for _, t in shown)
    assert [s for s in shown if s[1].isdigit() and 1 <= int(s[1]) <= 10] == []
    suppressed = [s for s in shown if s[1] == "*"]
    assert suppressed  # the small population has small cells: they are hidden, not dropped


def test_the_published_tables_pass_the_audit_so_suppressed_cells_cannot_be_recovered(run):
    home, _ = run
    counts = read_mart(home, "disconnected_youth_counts")
    annual = protect_annual_report(counts, read_mart(home, "disconnected_youth_factors"),
                                   [int(counts["report_year"].max())])
    brief = protect_crossover_brief(read_mart(home, "crossover_youth_summary"))
    audited = {table.name for table in annual.published}
    assert {table.name for table in annual.unlinkable_wages.values()} <= audited  # the range is audited too
    for tables in (annual.published, brief.published):
        assert audit(tables).empty
        assert sum(int(t.cells["count"].isna().sum()) for t in tables) > 0


def test_the_brief_hides_fewer_of_the_counts_readers_compare_and_passes_the_audit(run):
    """Each group's child-welfare and crossover youth (its crossover rate) and the pathway counts
    are what the brief shows; complements go to the cells it never shows wherever the rules allow,
    so fewer shown counts are hidden than when complements are only the fewest cells."""
    home, _ = run
    summary = read_mart(home, "crossover_youth_summary")

    def hidden_shown_counts(tables: list[PublishedTable]) -> set[tuple]:
        return {(t.name, *cell) for t in tables
                for cell in t.cells.loc[(xo.featured_cells(t.cells, t.dimensions[0]) > 0) & t.cells["count"].isna()
                                        & (t.cells["status"] == COMPLEMENTARY), list(t.dimensions)].itertuples(index=False)}

    brief = protect_crossover_brief(summary).published
    fewest_cells = protect([dataclasses.replace(xo.grouping_table(summary, g), featured=None) for g in xo.GROUPINGS])
    assert audit(brief).empty
    assert len(hidden_shown_counts(brief)) < len(hidden_shown_counts(fewest_cells)), hidden_shown_counts(brief)
    every_count = pd.concat([t.cells for t in brief])["count"].dropna()
    assert not every_count.between(1, 10).any()


def test_the_brief_hides_its_key_comparisons_last(run):
    """All youth's, boys', Black and Hispanic youth's and placed youth's crossover counts rank above the
    other groups' (`KEY_GROUPS`): with the ranks the brief hides no more of them than when every shown
    count ranks alike, and it still passes the audit."""
    home, _ = run
    summary = read_mart(home, "crossover_youth_summary")

    def hidden_key_counts(tables: list[PublishedTable]) -> int:
        return sum(int(((xo.featured_cells(t.cells, t.dimensions[0]) == 2) & (t.cells["status"] == COMPLEMENTARY)).sum())
                   for t in tables)

    ranked = protect_crossover_brief(summary).published
    alike = protect([dataclasses.replace(xo.grouping_table(summary, g), featured=lambda t, g=g: xo.featured_cells(t, g) > 0)
                     for g in xo.GROUPINGS])
    assert audit(ranked).empty
    assert hidden_key_counts(ranked) <= hidden_key_counts(alike)


def test_the_report_refuses_to_publish_an_under_suppressed_table(run, tmp_path: Path):
    home, _ = run
    counts = read_mart(home, "disconnected_youth_counts")
    year = int(counts["report_year"].max())
    tables = protect_annual_report(counts, read_mart(home, "disconnected_youth_factors"), [year])
    raw = breakdown_table(counts[(counts["report_year"] == year) & counts["category_collected"]], year,
                          "town")
    protected = tables.breakdowns[(year, "town")]
    unsuppressed = PublishedTable(name=protected.name, measure=protected.measure, dimensions=protected.dimensions,
                                  policy=protected.policy, sources=protected.sources,
                                  cells=raw.with_margins().assign(count=lambda f: f["count"].astype("Int64"),
                                                                  status="shown"))
    tampered = dataclasses.replace(tables, breakdowns={**tables.breakdowns, (year, "town"): unsuppressed})
    with pytest.raises(DisclosureViolation, match="small count shown") as refused:
        publish_annual_reports(tampered, tmp_path, [], read_build_info(home))
    assert (refused.value.violations["table"] == protected.name).any()
    assert not any(tmp_path.rglob("*.html"))


def test_the_documents_read_the_scores_from_the_hub_and_fail_clearly_without_them(run, tmp_path):
    home, _ = run
    quality = read_linkage_quality(home)  # what the assets call: tables, no run metadata
    with duckdb.connect(str(home.hub_db), read_only=True) as hub:
        scores = hub.execute("SELECT strategy, score, value FROM mpi.linkage_scores").fetchall()
    assert [s.strategy for s in quality] == ["deterministic", "pet-keys"]
    assert {(s.strategy, name): f.value for s in quality for name, f in s.scores.items() if f.value is not None} \
        == {(strategy, score): value for strategy, score, value in scores if score in SCORES}

    copy = paths(tmp_path / "home")
    copy.home_dir.mkdir()
    shutil.copy(home.hub_db, copy.hub_db)
    with duckdb.connect(str(copy.hub_db)) as hub:
        hub.execute("DROP TABLE mpi.linkage_scores")
        rate = hub.execute("SELECT match_rate FROM mpi.builds ORDER BY built_at DESC LIMIT 1").fetchone()[0]
    # no evaluation (or one older than the index): the index's own match rate, the rest "not scored"
    [own] = read_linkage_quality(copy)
    assert own.scores["match_rate"].value == round(rate, 3) and own.scores["pairwise_recall"].text == "not scored"
    assert own.scores["match_rate"].source["data-evaluation"] == "mpi.builds"
    with duckdb.connect(str(copy.hub_db)) as hub:
        hub.execute("DROP TABLE mpi.builds")
    with pytest.raises(LinkageNotRecorded, match="mpi/linkage_evaluation"):
        read_linkage_quality(copy)
    shutil.copytree(home.published, copy.published, symlinks=True)
    result = materialize([annual_report], resources={"data_home": DataHome(home=str(copy.home_dir))}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "mpi/linkage_evaluation" in str(failure.event_specific_data.error)


class RoleCollector(HTMLParser):
    """The text and data-column of every number inside the elements with one data-role."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role
        self.depth = 0
        self.text: list[str] = []
        self.figures: list[tuple[str, str]] = []
        self._column: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if not self.depth and attributes.get("data-role") == self.role:
            self.depth = 1
        elif self.depth:
            self.depth += 1
            self._column = attributes.get("data-column")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            self._column = None

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
            if self._column:
                self.figures.append((self._column, data.strip()))


def test_the_headline_gives_the_disconnected_estimate_with_its_interval(run):
    """The headline boxes show the estimate and its 90% interval (not the observed count), each exactly
    as the protected estimate table publishes it; the sentence under them gives the observed count and
    how many youth have no visible job only because no wage record could be linked."""
    home, _ = run
    counts = read_mart(home, "disconnected_youth_counts")
    year = int(counts["report_year"].max())
    tables = protect_annual_report(counts, read_mart(home, "disconnected_youth_factors"), [year])
    html = (home.reports / "annual" / f"disconnected_youth_{year}.html").read_text()
    boxes = RoleCollector("estimate")
    boxes.feed(html)
    disconnected_box = boxes.figures[:3]
    assert [column for column, _ in disconnected_box] == ["disconnected_estimate", "disconnected_lower",
                                                          "disconnected_upper"]
    assert "90% interval" in " ".join(boxes.text)
    overall = counts[(counts["report_year"] == year) & (counts["dimension"] == "all")].iloc[0]
    published = tables.estimates[(year, "all")].cells.set_index(["dimension_value", INTERVAL])["count"]
    for (column, text), bound in zip(disconnected_box, ("estimate", "lower", "upper")):
        shown = published[(overall["dimension_value"], bound)]
        assert text == ("*" if pd.isna(shown) else f"{int(shown):,}"), column
        if text != "*":
            assert int(text.replace(",", "")) == overall[column]
    assert overall["disconnected_lower"] <= overall["disconnected_estimate"] <= overall["disconnected_upper"]
    assert overall["disconnected_estimate"] < overall["disconnected"]  # the gap is estimated, not counted as jobless
    share_box = [column for column, _ in boxes.figures[3:]]
    assert share_box == ["at_risk+disconnected_estimate", "at_risk+disconnected_lower", "at_risk+disconnected_upper"]

    observed = RoleCollector("observed")
    observed.feed(html)
    assert [column for column, _ in observed.figures] == ["disconnected"]  # the count the records show stays visible

    sentence = RoleCollector("range")
    sentence.feed(html)
    assert [column for column, _ in sentence.figures] == ["disconnected_unlinkable_wages", "disconnected"]
    assert "does not include every error in linking records" in " ".join("".join(sentence.text).split())
    wages = tables.unlinkable_wages[year].cells.set_index(["category", WAGE_EVIDENCE])["count"]
    for (column, text), shown in zip(sentence.figures, (wages[("disconnected", RESTS_ON_UNLINKABLE_WAGES)],
                                                        wages[("disconnected", TOTAL)])):
        assert text == ("*" if pd.isna(shown) else f"{int(shown):,}"), column
    assert overall["disconnected_unlinkable_wages"] > 0  # the small population has youth with no SSN anywhere


def test_the_continuum_is_on_the_estimate_and_adds_up_to_the_youth(run):
    """The continuum table shows the estimate (at risk as counted, the disconnected estimate split
    into its severe part and the rest, connected the others) beside the count from the records
    alone: its estimate column adds up to every youth and its disconnected rows to the headline's
    estimate, so a reader never meets two disconnected totals without their names."""
    home, _ = run
    counts = read_mart(home, "disconnected_youth_counts")
    year = int(counts["report_year"].max())
    html = (home.reports / "annual" / f"disconnected_youth_{year}.html").read_text()
    table = RoleCollector("continuum")
    table.feed(html)
    estimated, counted = table.figures[0::2], table.figures[1::2]
    assert [column for column, _ in counted] == list(STATUS_CATEGORY)
    assert [column for column, _ in estimated] == [
        "at_risk_off_track", "at_risk_other", "at_risk_severe", "disconnected_estimate-disconnected_severe_estimate",
        "disconnected_severe_estimate", "youth-at_risk-disconnected_estimate"]
    overall = counts[(counts["report_year"] == year) & (counts["dimension"] == "all")].iloc[0]
    moderate = overall["disconnected_estimate"] - overall["disconnected_severe_estimate"]
    expected = [overall["at_risk_off_track"], overall["at_risk_other"], overall["at_risk_severe"], moderate,
                overall["disconnected_severe_estimate"],
                overall["youth"] - overall["at_risk"] - overall["disconnected_estimate"]]
    assert sum(expected) == overall["youth"]
    for (column, text), value in zip(estimated, expected):
        assert text == "*" or int(text.replace(",", "")) == value, column  # small at-risk cells may be hidden
    assert "*" not in (estimated[3][1], estimated[4][1])  # the disconnected parts are large enough to show
    assert 0 < overall["disconnected_severe_lower"] <= overall["disconnected_severe_estimate"] <= overall["disconnected_severe_upper"]
    # the estimate moves youth out of the moderate status (jobs the records cannot see), not into it
    assert moderate < overall["disconnected_moderate"]
    tested = RoleCollector("severe-tested")
    tested.feed(html)
    text = " ".join("".join(tested.text).split())
    assert f"{SEVERE_TESTED.error_range} the true number" in text
    assert f" {SEVERE_TESTED.covered} of {SEVERE_TESTED.cells} tests" in text


def test_the_headline_says_loudly_how_far_off_the_estimate_was_in_tests(run):
    """Next to the estimate, not in Methods: in tests against known truth the estimate missed the
    true count by more than its interval allows, with the measured range from bench/results."""
    home, _ = run
    year = int(read_mart(home, "disconnected_youth_counts")["report_year"].max())
    html = (home.reports / "annual" / f"disconnected_youth_{year}.html").read_text()
    headline = html[html.index("<h2>Headline</h2>"):html.index("<h2>The continuum</h2>")]
    warning = RoleCollector("warning")
    warning.feed(headline)
    text = " ".join("".join(warning.text).split())
    tested = ESTIMATE_TESTED
    assert f"{tested.error_range} the true number" in text
    assert ("too narrow" in text) == tested.too_narrow and f" {tested.covered} of {tested.cells} tests" in text
    statewide = ESTIMATE_TESTED_STATEWIDE
    assert f"(1.2 million people) it was {statewide.error_range} the true number" in text
    assert f"{statewide.covered} of {statewide.cells} years" in text


def test_a_measured_range_reads_as_it_lies_around_the_truth():
    """A range with an end that rounds to 0% may lie on either side: it reads "within"."""
    assert EstimateTested(lowest_percent=0, highest_percent=1, covered=10, cells=10).error_range == "within 1% of"
    assert EstimateTested(lowest_percent=-3, highest_percent=0, covered=10, cells=10).error_range == "within 3% of"
    assert EstimateTested(lowest_percent=-2, highest_percent=5, covered=9, cells=10).error_range == "between 2% below and 5% above"
    assert EstimateTested(lowest_percent=-6, highest_percent=-1, covered=9, cells=10).error_range == "between 1% and 6% below"
    assert EstimateTested(lowest_percent=1, highest_percent=4, covered=9, cells=10).error_range == "between 1% and 4% above"


@pytest.mark.parametrize(("dimension", "tested", "results"), [
    ("all", ESTIMATE_TESTED, ("estimate.json", "estimate_demo.json")),
    ("severe", SEVERE_TESTED, ("estimate.json", "estimate_demo.json")),
    ("all", ESTIMATE_TESTED_STATEWIDE, ("estimate_statewide_1200000.json",))])
def test_the_stated_test_results_are_the_benchmarks(dimension, tested, results):
    """The figures the headline (and the continuum, for the severe part) states are the ones
    bench/results holds (yearly cells 2016-2025 of the seed sweep and of the demo population; of the
    statewide-size home), so a new benchmark run cannot leave the warning stale."""
    cells = [cell for name in results
             for cell in json.loads((REPO / "bench" / "results" / name).read_text())["cells"]
             if cell["dimension"] == dimension and 2016 <= cell["report_year"] <= 2025]
    errors = [cell["relative_difference"] for cell in cells]
    assert (round(100 * min(errors)), round(100 * max(errors))) == (tested.lowest_percent, tested.highest_percent)
    assert (sum(cell["covered"] for cell in cells), len(cells)) == (tested.covered, tested.cells)
