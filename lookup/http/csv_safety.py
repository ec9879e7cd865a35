"""Cells for CSV files a person opens in a spreadsheet (audit exports, seminar rosters), and the
streamed CSV download of the incident and OFM workspace exports (UTF-8, header row, ISO dates).

A cell starting with one of these characters is read as a formula (OWASP "CSV injection");
names, reasons and query text are typed by people, so every such cell gets a leading
apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Final

from flask import Response

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """`value` as CSV cell text that no spreadsheet evaluates; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_cell(value)


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def download(body: Iterable[str], mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_response(
    columns: Sequence[str], rows: Iterable[Sequence[object]], filename: str
) -> Response:
    # Flask adds `; charset=utf-8` to a text mimetype itself: naming it here would send it twice.
    return download(csv_lines(columns, rows), "text/csv", filename)
