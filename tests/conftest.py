"""Fixtures shared by every test package. Package-specific fixtures live beside their tests."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests.browser import launched_chromium, missing_axe, skip_or_fail

# Timing is not behaviour: a loaded 2-core machine must not fail a property test on its speed.
# In CI the examples are derandomized, so a landing run is reproducible; local runs keep exploring.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per browser-test module (tests/browser.py)."""
    with launched_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def axe_available() -> None:
    """Skips (fails under CI=true) the module's tests when axe-core is not installed."""
    skip_or_fail(missing_axe())
