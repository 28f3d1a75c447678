# SPDX-License-Identifier: BSD-3-Clause
"""One exhaustive small-scope exploration per variant, shared by the check tests."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from devtrust.check import SMALL, CheckReport, check_variant
from devtrust.check.report import variant_named


@cache
def _small(name: str) -> CheckReport:
    return check_variant(variant_named(name), SMALL)


@pytest.fixture(scope="session")
def small_report() -> Callable[[str], CheckReport]:
    """``small_report(name)``: the cached report of preset ``name`` in the small scope."""
    return _small
