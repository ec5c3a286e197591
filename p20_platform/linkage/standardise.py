"""Matching rows as delivered -> the standardised record table every linkage strategy reads.

Agencies send identifiers as free text with their own habits (accents, hyphens, placeholder
dates, dummy SSNs). Cleaning them once, here, means every strategy (deterministic, Splink,
PET) compares the same values, and an invalid value counts as missing instead of as evidence.
The work is one DuckDB query so a statewide rebuild standardises millions of rows in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pandas as pd

from p20_platform.registry import MATCHING_FIELDS

STANDARD_COLUMNS: tuple[str, ...] = (
    "record_id", "agency", "source_file", "FakeID", "first_name", "middle_name", "last_name",
    "dob", "gender", "ssn", "sasid", "high_school_code",
)

# Dates agencies type when the real one is unknown; any date before 1901-01-02 is treated the same.
PLACEHOLDER_DOBS: tuple[str, ...] = ("1900-01-01", "1901-01-01", "1899-12-31", "1800-01-01", "9999-12-31")
# Formats accepted for DOB: the P20 WIN format first, then two common exports (zero-padded only).
DOB_FORMATS: tuple[str, ...] = ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y")
_DOB_SHAPE = "[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4}"
# SSNs that are well-formed but publicly known to be fake (advertising, Woolworth wallet, tests).
KNOWN_FAKE_SSNS: tuple[str, ...] = ("123456789", "078051120", "219099999", "111223333", "987654321") + tuple(
    str(d) * 9 for d in range(10)
)
# Words that fill a name field when the name is not known.
PLACEHOLDER_NAMES: tuple[str, ...] = ("UNKNOWN", "UNK", "NONE", "NULL", "NA", "NFN", "NLN", "NMN", "BABY", "TEST")
# Letters that Unicode decomposition cannot fold to ASCII.
_UNFOLDABLE = {"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ß": "SS", "Ł": "L", "ł": "l",
               "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "ı": "i"}


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _folded_name_sql(column: str) -> str:
    """Upper-case ASCII letters separated by single spaces (possibly '' or a placeholder word).

    Folding non-ASCII letters is the costly part, so only names with a multi-byte character
    (byte length above character length) take it; for ASCII names it changes nothing.
    """
    folded = f'"{column}"'
    for letter, ascii_letters in _UNFOLDABLE.items():
        folded = f"replace({folded}, '{letter}', '{ascii_letters}')"
    ascii_only = f'CASE WHEN strlen("{column}") = length("{column}") THEN "{column}" ELSE strip_accents({folded}) END'
    # the second pattern turns every run of non-letters (spaces included) into one space
    return f"trim(regexp_replace(regexp_replace(upper({ascii_only}), '[''`´’.]', '', 'g'), '[^A-Z]+', ' ', 'g'))"


def _name_sql(cleaned: str) -> str:
    """A folded name, with placeholders and empties as NULL."""
    return f"CASE WHEN {cleaned} IN {_sql_list(PLACEHOLDER_NAMES)} OR {cleaned} = '' THEN NULL ELSE {cleaned} END"


def _parsed_dob_sql() -> str:
    formats = "[" + ", ".join(f"'{f}'" for f in DOB_FORMATS) + "]"
    return (f"CASE WHEN regexp_full_match(trim(\"DOB\"), '{_DOB_SHAPE}')"
            f" THEN CAST(try_strptime(trim(\"DOB\"), {formats}) AS DATE) END")


def _dob_sql(parsed: str, today: dt.date) -> str:
    iso = f"strftime({parsed}, '%Y-%m-%d')"
    return (
        f"CASE WHEN {parsed} IS NULL OR {parsed} > DATE '{today.isoformat()}' OR {parsed} < DATE '1901-01-02'"
        f" OR {iso} IN {_sql_list(PLACEHOLDER_DOBS)} THEN NULL ELSE {iso} END"
    )


def _ssn_sql(digits: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({digits}, '[0-9]{{9}}')"
        f" AND substr({digits}, 1, 3) NOT IN ('000', '666') AND substr({digits}, 1, 1) <> '9'"
        f" AND substr({digits}, 4, 2) <> '00' AND substr({digits}, 6, 4) <> '0000'"
        f" AND {digits} NOT IN {_sql_list(KNOWN_FAKE_SSNS)} THEN {digits} END"
    )


def _standardise_sql(today: dt.date) -> str:
    """Costly cleaning (regexes, date parsing) runs once per value in a materialised CTE; the
    validity rules then test the cleaned values (CASE branches would otherwise repeat it)."""
    return f"""
        WITH cleaned AS MATERIALIZED (
            SELECT
                source_file, agency, trim("FakeID") AS fake_id,
                {_folded_name_sql("FirstName")} AS first_name,
                {_folded_name_sql("MiddleName")} AS middle_name,
                {_folded_name_sql("LastName")} AS last_name,
                {_parsed_dob_sql()} AS dob,
                upper(trim("Gender")) AS gender,
                regexp_replace(trim("SSN"), '[ -]', '', 'g') AS ssn,
                trim("SASID") AS sasid,
                upper(trim("HighSchoolCode")) AS school
            FROM raw
        )
        SELECT
            source_file || '|' || fake_id AS record_id,
            agency,
            source_file,
            fake_id AS "FakeID",
            {_name_sql("first_name")} AS first_name,
            {_name_sql("middle_name")} AS middle_name,
            {_name_sql("last_name")} AS last_name,
            {_dob_sql("dob", today)} AS dob,
            CASE WHEN gender IN ('M', 'MALE') THEN 'M' WHEN gender IN ('F', 'FEMALE') THEN 'F' END AS gender,
            {_ssn_sql("ssn")} AS ssn,
            CASE WHEN regexp_full_match(sasid, '[0-9]{{1,10}}') AND NOT regexp_full_match(sasid, '0+')
                 THEN sasid END AS sasid,
            CASE WHEN regexp_full_match(school, '[0-9A-Z]{{6}}') THEN school END AS high_school_code
        FROM cleaned
    """


def cleaning_rules_fingerprint() -> str:
    """A checksum of the cleaning rules (the SQL, less today's date): records standardised under other
    rules must be linked again."""
    return hashlib.sha256(_standardise_sql(dt.date.min).encode()).hexdigest()[:16]


def standardise_records(raw: pd.DataFrame, *, today: dt.date | None = None) -> pd.DataFrame:
    """Standardise raw matching rows (text, any subset of the matching fields) into STANDARD_COLUMNS.

    `raw` must carry `FakeID`, `agency` and `source_file`; other matching fields may be absent
    (treated as missing). Raises ValueError on a missing/empty FakeID or a FakeID repeated within
    a file, because the crosswalk could not say which record it means.
    """
    required = {"FakeID", "agency", "source_file"}
    if missing := required - set(raw.columns):
        raise ValueError(f"matching rows lack required column(s) {sorted(missing)}")
    absent = [f for f in MATCHING_FIELDS if f not in raw.columns]
    raw = raw.assign(**{f: pd.Series(pd.NA, index=raw.index, dtype="string") for f in absent})
    raw = raw[[*MATCHING_FIELDS, "agency", "source_file"]].astype("string")

    connection = duckdb.connect()
    try:
        connection.register("raw", raw)
        # via Arrow: DuckDB's own pandas conversion of string columns is ~8x slower at scale
        records = connection.sql(_standardise_sql(today or dt.date.today())).to_arrow_table().to_pandas()
    finally:
        connection.close()

    _check_fake_ids(records)
    return records[list(STANDARD_COLUMNS)]


def _check_fake_ids(records: pd.DataFrame) -> None:
    empty = records["FakeID"].isna() | (records["FakeID"] == "")
    if empty.any():
        files = sorted(records.loc[empty, "source_file"].unique())
        raise ValueError(f"{int(empty.sum())} matching row(s) have no FakeID (files: {', '.join(files)}); "
                         "every row needs its file's one-time FakeID")
    repeated = records["record_id"].duplicated(keep=False)
    if repeated.any():
        files = sorted(records.loc[repeated, "source_file"].unique())
        raise ValueError(f"{int(repeated.sum())} matching row(s) share a FakeID within one file "
                         f"(files: {', '.join(files)}); FakeIDs must be unique per file")
