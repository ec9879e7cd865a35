"""CSV downloads of the OFM workspace: UTF-8, a header row, ISO dates, and every cell defused
like the audit export (lookup/csv_safety.py), because names and numbers come from import files
and the files are opened in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from flask import Response

from lookup.csv_safety import spreadsheet_cell


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
    return download(csv_lines(columns, rows), "text/csv; charset=utf-8", filename)
