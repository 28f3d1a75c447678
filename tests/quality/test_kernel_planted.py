# SPDX-License-Identifier: BSD-3-Clause
"""Planted bugs the kernel state machine must catch (STYLE 22).

Each case runs the machine under a variant with a bug planted but judges it
against the expected-violation table of the variant without the bug.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, settings

import devtrust.testing.kernel_machine as km
from devtrust.kernel.boot import devsec_topology
from devtrust.kernel.invariants import expected_violations
from devtrust.kernel.state import Topology
from devtrust.kernel.variants import Variant, last_design, v2

pytestmark = pytest.mark.slow



PLANTED = [
    ("double-accept", v2(name="planted-d11", bug_double_accept=True), v2(), "S16"),
    ("unlock-null", v2(name="planted-d10", bug_unlock_never_accepted=True), v2(), "STYLE11"),
    ("no-auto-reset", replace(last_design(), name="planted-no-reset",
                              auto_reset_on_leave_run=False), last_design(), "S"),
]


def _one_device() -> Topology:
    t = devsec_topology()
    return Topology(t.devices[:1], t.drivers, t.host_bridges[:1], cc_guest=False)


@pytest.mark.parametrize(("name", "planted", "judge", "prefix"), PLANTED,
                         ids=[p[0] for p in PLANTED])
def test_planted_bug_is_caught(name: str, planted: Variant, judge: Variant, prefix: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(km, "expected_violations", lambda _v: expected_violations(judge))
    machine = km.kernel_machine(planted, _one_device(), queries=False)
    machine.TestCase.settings = settings(max_examples=400, stateful_step_count=30,
                                         deadline=None, database=None,
                                         suppress_health_check=list(HealthCheck))
    with pytest.raises(AssertionError, match=f"unexpected .*invariant='{prefix}"):
        machine.TestCase().runTest()
