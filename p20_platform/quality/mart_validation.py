"""Run the mart suites with Great Expectations and keep the results as a page people can read.

GX 1.x is called directly (ephemeral context, pandas data source, `validate` on a batch):
`dagster-ge` pins GX below 1.0. The page is rendered here rather than by GX data docs because
data docs print samples of unexpected values, and a value that failed `no_identifiers` may be
an SSN: the page and the check metadata carry counts only.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import (DataContextConfig, InMemoryStoreBackendDefaults,
                                                        ProgressBarsConfig)
from great_expectations.expectations.row_conditions import deserialize_row_condition

from p20_platform.quality.catalog import COUNTS, PERSON_YEAR
from p20_platform.quality.deliveries import write_index
from p20_platform.quality.suites import Suite, mart_suites
from p20_platform.settings import Paths

_KWARGS_SHOWN = ("column", "column_A", "column_B", "min_value", "max_value", "row_condition", "regex", "value_set")


@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict, reduced to what may be published: no sample values."""

    batch: str
    expectation: str
    arguments: str
    success: bool
    rows: int | None
    unexpected: int | None

    @property
    def label(self) -> str:
        return f"{self.batch}: {self.expectation}({self.arguments})"


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    mart: str
    outcomes: list[Outcome]

    @property
    def passed(self) -> bool:
        return all(outcome.success for outcome in self.outcomes)

    @property
    def failures(self) -> list[str]:
        return [outcome.label for outcome in self.outcomes if not outcome.success]

    def metadata(self) -> dict[str, object]:
        return {"expectations": len(self.outcomes), "failed": len(self.failures),
                "failed_expectations": self.failures}


def _context():
    """A GX context that lives in memory only and draws no progress bars into Dagster's logs."""
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
                               progress_bars=ProgressBarsConfig(globally=False))
    return gx.get_context(mode="ephemeral", project_config=config)


def _arguments(kwargs: Mapping[str, object]) -> str:
    """The arguments that tell expectations apart; a row condition as its expression, e.g. rule == x."""
    def shown(key: str, value: object) -> str:
        if key == "row_condition":
            return f"[{deserialize_row_condition(value)!r}]"
        return str(int(value)) if isinstance(value, float) and value.is_integer() else f"{value!r}"

    return ", ".join(f"{key}={shown(key, kwargs[key])}" for key in _KWARGS_SHOWN if key in kwargs)


def run_suites(suites: list[Suite]) -> list[SuiteResult]:
    """Validate every batch of every suite in one ephemeral GX context."""
    source = _context().data_sources.add_pandas("marts")
    results = []
    for suite in suites:
        outcomes = []
        for number, batch in enumerate(suite.batches):
            asset = source.add_dataframe_asset(f"{suite.name}_{number}_{batch.name}")
            gx_batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
                batch_parameters={"dataframe": batch.frame})
            validation = gx_batch.validate(gx.ExpectationSuite(name=f"{suite.mart}.{suite.name}",
                                                               expectations=batch.expectations),
                                           result_format="BASIC")
            outcomes += [Outcome(batch.name, result.expectation_config.type,
                                 _arguments(result.expectation_config.kwargs), bool(result.success),
                                 result.result.get("element_count"), result.result.get("unexpected_count"))
                         for result in validation.results]
        results.append(SuiteResult(suite.name, suite.mart, outcomes))
    return results


def read_marts(warehouse: Path, mart: str) -> dict[str, pd.DataFrame]:
    """The mart, and the person-year mart the counts are reconciled with, read from schema `marts`."""
    needed = [mart] if mart != COUNTS else [mart, PERSON_YEAR]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {table: connection.sql(f"SELECT * FROM marts.{table}").df() for table in needed}


def quality_page(results: list[SuiteResult], title: str) -> str:
    """A self-contained HTML page: one table per suite, failed expectations first."""
    sections = []
    for result in results:
        table = pd.DataFrame([{"result": "passed" if o.success else "FAILED", "batch": o.batch,
                               "expectation": o.expectation, "arguments": o.arguments,
                               "rows checked": _count(o.rows), "unexpected rows": _count(o.unexpected)}
                              for o in result.outcomes]).sort_values("result", key=lambda r: r == "passed",
                                                                      kind="stable")
        verdict = "PASSED" if result.passed else f"FAILED ({len(result.failures)} of {len(result.outcomes)})"
        sections.append(f"<h2>{html.escape(result.suite)}: {verdict}</h2>\n"
                        + table.to_html(index=False, na_rep="", border=0, classes="results"))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}</style></head><body>\n"
            f"<p><a href='index.html'>All data-quality pages</a></p><h1>{html.escape(title)}</h1><p>Validated {stamp} with Great Expectations {gx.__version__}. "
            "Counts only: no value from the data is shown.</p>\n" + "\n".join(sections) + "\n</body></html>\n")


def _count(value: object) -> str:
    """A row count as readers expect it (2,078); expectations on a whole table count no rows."""
    return "not applicable" if value is None or pd.isna(value) else f"{int(value):,}"


def quality_dir(home: Paths) -> Path:
    return home.reports / "quality"


def validate_mart(home: Paths, mart: str) -> tuple[list[SuiteResult], Path]:
    """Run one mart's suites on the warehouse and write `reports/quality/<mart>.html`."""
    results = run_suites(mart_suites(mart, read_marts(home.warehouse_db, mart)))
    page = quality_dir(home) / f"{mart}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(quality_page(results, f"Data quality: marts.{mart}"))
    write_index(page.parent, home.warehouse_db)
    return results, page
