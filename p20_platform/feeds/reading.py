"""File-level checks and parsing: a delivery's bytes become a table of text, or the file is rejected.

Everything is read as text so leading zeros, SSNs and YYYYMMDD dates survive untouched; typing
happens later, after the contract has passed the row.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from p20_platform.feeds.naming import DeliveryRejected

_BOM = b"\xef\xbb\xbf"
_OTHER_DELIMITERS = {",": "commas", ";": "semicolons", "|": "pipes"}


def read_delivery(file_name: str, data: bytes, columns: tuple[str, ...]) -> pd.DataFrame:
    """Parse a tab-delimited delivery whose header must name exactly `columns` (any order).

    Raises DeliveryRejected for problems that make the whole file untrustworthy: empty, not
    UTF-8, NUL bytes, not tab-delimited, wrong header, ragged lines, or no line break after the
    last record (the contract: every line ends with a line break, so a file cut inside its last
    field is told apart from a complete one). Empty values become missing.
    """
    data = data.removeprefix(_BOM)
    if not data or data.isspace():
        raise DeliveryRejected(file_name, "the file is empty", "send the file again with its header row and records")
    _require_utf8(file_name, data)
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise DeliveryRejected(file_name, f"line {line} holds a NUL byte: the file is binary or corrupted",
                               "export the file again as plain tab-delimited UTF-8 text")
    header = _check_header(file_name, data, columns)
    if b"\n" not in data:  # a header cut before its line break: no CSV Arrow can read ("cannot infer columns")
        _reject_unterminated(file_name, data)
    ragged: list[object] = []

    def skip_ragged(row: object) -> str:
        ragged.append(row)
        return "skip"

    table = pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(block_size=1 << 24),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False,
                                          escape_char=False, invalid_row_handler=skip_ragged),
        # large_string is pandas' own text layout, so the columns convert without a copy: as `string` they were
        # cast value by value (7 s of a statewide wage file's 15 s read, and two copies of the text at once)
        convert_options=pa_csv.ConvertOptions(column_types={c: pa.large_string() for c in header},
                                              null_values=[""], strings_can_be_null=True),
    )
    if ragged:
        _reject_ragged(file_name, data, len(header))
    if not data.endswith(b"\n"):
        _reject_unterminated(file_name, data)
    if table.num_rows == 0:
        raise DeliveryRejected(file_name, "the file has a header but no records",
                               "send the file with its records; an empty delivery would replace good data")
    return pd.DataFrame({name: table.column(name).to_pandas() for name in columns}, copy=False)


def _reject_unterminated(file_name: str, data: bytes) -> None:
    lines = data.count(b"\n") + 1
    raise DeliveryRejected(file_name, f"the last line ({lines}) has no line break, so the file may be cut "
                           "short inside its last value (every line of a delivery ends with a line break)",
                           "send the complete file again, ending with a line break")


def _require_utf8(file_name: str, data: bytes) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DeliveryRejected(file_name, f"line {line} holds bytes that are not UTF-8 text",
                               "export the file as UTF-8 (not Latin-1 or Windows-1252)") from None


def _check_header(file_name: str, data: bytes, columns: tuple[str, ...]) -> list[str]:
    end = data.find(b"\n")  # not split(): that copies the whole file after the header
    header = (data if end < 0 else data[:end]).rstrip(b"\r").decode("utf-8").split("\t")
    layout = "\\t".join(columns)
    if len(header) == 1 and len(columns) > 1:
        used = [name for sep, name in _OTHER_DELIMITERS.items() if sep in header[0]]
        problem = f"the header is separated by {used[0]}, not tabs" if used else "the header has a single column"
        raise DeliveryRejected(file_name, f"{problem}: the file is not tab-delimited",
                               f"export it tab-delimited without quotes, header {layout}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    missing = [c for c in columns if c not in header]
    unexpected = [c for c in header if c not in columns]
    if duplicated or missing or unexpected:
        problems = [f"{label} {', '.join(names)}" for label, names in
                    (("missing columns", missing), ("unexpected columns", unexpected),
                     ("repeated columns", duplicated)) if names]
        raise DeliveryRejected(file_name, f"the header is not this agency's layout ({'; '.join(problems)})",
                               f"send exactly these tab-separated columns: {layout}")
    return header


def _reject_ragged(file_name: str, data: bytes, width: int) -> None:
    """Name the first line whose field count is wrong (never its content: it may hold PII)."""
    # Line breaks as the CSV reader counts them (str.splitlines would also break at \v, \f, \x1c-\x1e
    # and \u2028, which the reader keeps inside a value, and then find no bad line)
    lines = re.split(r"\r\n|\r|\n", data.decode("utf-8"))
    if lines and lines[-1] == "":
        lines.pop()
    bad = [(number, line.count("\t") + 1) for number, line in enumerate(lines, start=1)
           if line and line.count("\t") + 1 != width]
    number, fields = bad[0]
    if number == len(lines) and len(bad) == 1 and not data.endswith(b"\n"):
        raise DeliveryRejected(file_name, f"the last line ({number}) is cut short: {fields} of {width} fields and "
                               "no final line break, so the file looks truncated", "send the complete file again")
    raise DeliveryRejected(file_name, f"{len(bad)} line(s) have the wrong number of fields, first line {number} "
                           f"with {fields} instead of {width}",
                           "remove tabs and line breaks inside values and send the complete file")
