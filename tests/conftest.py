"""Fixtures shared by every test package. Package-specific fixtures live beside their tests."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests.browser import launched_chromium, missing_axe, skip_or_fail

# Timing is not behaviour: a loaded 2-core machine must not fail a property test on its speed.
# Every run, local or CI, is derandomized and keeps no example database: the examples are a
# function of the test alone, so no lucky draw and no example saved by an earlier run can make a
# fresh clone red. HYPOTHESIS_PROFILE=explore searches randomly (still without a database) when
# someone wants to look for new failures; what it finds becomes an explicit @example.
settings.register_profile("ci", deadline=None, derandomize=True, database=None)
settings.register_profile("explore", deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per browser-test module (tests/browser.py)."""
    with launched_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def axe_available() -> None:
    """Skips (fails under CI=true) the module's tests when axe-core is not installed."""
    skip_or_fail(missing_axe())
