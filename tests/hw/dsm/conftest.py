# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for the DSM tests."""

from __future__ import annotations

import pytest
from dsm_rig import Rig, make_rig

from devtrust.hw.machine import Machine


@pytest.fixture
def rig() -> Rig:
    return make_rig()


@pytest.fixture(scope="session")
def machine() -> Machine:
    """The default scenario's hardware (built once; tests must leave it as they found it)."""
    return Machine.build()
