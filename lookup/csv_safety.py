"""Cells for CSV files a person opens in a spreadsheet (audit exports, seminar rosters).

A cell starting with one of these characters is read as a formula (OWASP "CSV injection");
names, reasons and query text are typed by people, so every such cell gets a leading
apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

from typing import Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """`value` as CSV cell text that no spreadsheet evaluates; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
