# SPDX-License-Identifier: BSD-3-Clause
"""Regression tests for the two review bugs (kernel-abi §10.1, §10.2; S16, I23, I24)."""

from __future__ import annotations

import errno

from devtrust.kernel.actions import Accept, Lock, Unlock
from devtrust.kernel.core import step
from devtrust.kernel.invariants import check_state
from devtrust.kernel.iomem import ENCRYPTED_NAME, proc_iomem
from devtrust.kernel.sysfs import sysfs_read
from devtrust.kernel.variants import v2
from devtrust.testing.kernel_helpers import devsec_state, run

PF0 = "10000:01:00.0"
ACCEPT = f"/sys/bus/pci/devices/{PF0}/tsm/accept"
LOCK = f"/sys/bus/pci/devices/{PF0}/tsm/lock"


def _encrypted_lines(state: object) -> list[str]:
    return [ln for ln in proc_iomem(state).splitlines() if ENCRYPTED_NAME in ln]  # type: ignore[arg-type]


def test_double_accept_rejected_without_side_effects() -> None:
    state, _ = run(devsec_state(), Lock(PF0, "tsm1"), Accept(PF0, "1"))
    assert len(_encrypted_lines(state)) == 1
    again, result = step(state, Accept(PF0, "1"))
    assert result.errno == errno.EBUSY
    assert again == state
    state, _ = run(state, Unlock(PF0, "tsm1"))
    assert _encrypted_lines(state) == []
    assert sysfs_read(state, ACCEPT) == "0\n"
    assert not check_state(state)


def test_double_accept_bug_reproduced_by_flag() -> None:
    """Lai Yi 2026-04-10: lock, accept, accept, unlock leaves one stale resource."""
    state, _ = run(devsec_state(v2(bug_double_accept=True)), Lock(PF0, "tsm1"),
                   Accept(PF0, "1"), Accept(PF0, "1"))
    assert len(_encrypted_lines(state)) == 2
    assert "S16" in {v.invariant for v in check_state(state)}
    state, _ = run(state, Unlock(PF0, "tsm1"))
    stale = _encrypted_lines(state)
    assert len(stale) == 1 and "380002000000-3800021fffff" in stale[0]
    assert "S16" in {v.invariant for v in check_state(state)}


def test_unlock_of_never_accepted_device_is_safe() -> None:
    state, _ = run(devsec_state(), Lock(PF0, "tsm1"))
    state, result = step(state, Unlock(PF0, "tsm1"))
    assert result.errno == 0
    assert sysfs_read(state, LOCK) == "\n"
    assert sysfs_read(state, ACCEPT) == "0\n"
    assert not check_state(state)


def test_unlock_null_deref_reproduced_by_flag() -> None:
    state, _ = run(devsec_state(v2(bug_unlock_never_accepted=True)), Lock(PF0, "tsm1"))
    state, _ = step(state, Unlock(PF0, "tsm1"))
    found = {v.invariant for v in check_state(state)}
    assert "STYLE11" in found
