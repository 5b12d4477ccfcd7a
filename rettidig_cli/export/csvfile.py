"""A table (usually the agreements) as CSV for Excel. Every cell that a spreadsheet could read as
a formula is neutralised as OWASP recommends: a leading = + - @ tab or carriage return (also in
their full-width forms) gets a ' in front, and every cell is quoted. Written with a byte-order mark
so Danish Excel shows æ, ø and å."""

from __future__ import annotations

import csv
import io

from rettidig_cli.domain import privacy

SEPARATORS = {"semikolon": ";", "komma": ","}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value) -> str:
    raw = "" if value is None else str(value)
    text = privacy.printable(raw)
    # Checked before cleaning too (cleaning turns a leading carriage return into a line break), and
    # after any leading white space, line breaks included.
    if any(t.lstrip()[:1] in _FORMULA_START or t[:1] in _FORMULA_START for t in (raw, text) if t):
        return "'" + text
    return text


def table(columns: list[str], rows: list[list[str]], separator: str = ";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return "\ufeff" + buffer.getvalue()
