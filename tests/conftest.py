"""Fixtures shared by every test package. Package-specific fixtures live beside their tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import launched_chromium, missing_axe, skip_or_fail


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per browser-test module (tests/browser.py)."""
    with launched_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def axe_available() -> None:
    """Skips (fails under CI=true) the module's tests when axe-core is not installed."""
    skip_or_fail(missing_axe())
