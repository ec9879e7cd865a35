from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lookup.http.csv_safety import FORMULA_START, spreadsheet_cell


def test_formula_cells_become_text() -> None:
    assert spreadsheet_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert spreadsheet_cell("+1 571") == "'+1 571"
    assert spreadsheet_cell("-2") == "'-2"
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_cell("\tx") == "'\tx"


def test_plain_values_pass_unchanged() -> None:
    assert spreadsheet_cell("Jane Doe") == "Jane Doe"
    assert spreadsheet_cell(7) == "7"
    assert spreadsheet_cell(None) == ""


@given(st.text())
def test_no_cell_starts_a_formula(text: str) -> None:
    cell = spreadsheet_cell(text)
    assert not cell.startswith(FORMULA_START)
    assert cell.endswith(text)
