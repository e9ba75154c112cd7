"""CSV that spreadsheets open safely and correctly in the viewer's language.

Safely: a text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is a
formula to Excel and LibreOffice (a lead's ``source`` comes from the internet), so it gets a
leading apostrophe and is shown as text. Numbers stay numbers.

Correctly: German, Dutch and French Excel split on semicolons and read a decimal comma; they
read UTF-8 only with a byte-order mark.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str


COMMA = Dialect(",", ".")
SEMICOLON = Dialect(";", ",")
# Languages whose Excel uses ";" as list separator and "," as decimal mark.
SEMICOLON_LANGUAGES = {"de", "nl", "fr"}


def dialect_for(language: str | None) -> Dialect:
    base = (language or "").split("-")[0].lower()
    return SEMICOLON if base in SEMICOLON_LANGUAGES else COMMA


def cell(value: Any, dialect: Dialect = COMMA) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, Decimal)):
        return str(value).replace(".", dialect.decimal)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(rows: Iterable[Mapping[str, Any]], *, dialect: Dialect = COMMA) -> str:
    rows = list(rows)
    out = io.StringIO()
    if rows:
        writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n")
        header = list(rows[0])
        writer.writerow([cell(name, dialect) for name in header])
        for row in rows:
            writer.writerow([cell(row.get(name), dialect) for name in header])
    return out.getvalue()


def csv_download(rows: Iterable[Mapping[str, Any]], *, language: str | None) -> bytes:
    """The bytes of a CSV file for a person: their language's dialect, UTF-8 with BOM."""
    return (BOM + csv_text(rows, dialect=dialect_for(language))).encode("utf-8")
