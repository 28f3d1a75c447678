# SPDX-License-Identifier: BSD-3-Clause
"""Planted kernel bugs the checker must catch (STYLE 22 quality tests).

Each test breaks one rule of the pure core with ``monkeypatch``, explores the
small scope under the last design state (which satisfies every invariant it
claims) and asserts the exact shortest counterexample. The replay program
reproduces the violation only while the bug is planted.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from devtrust.check import SMALL, KernelModel, Limits, explore, python_snippet
from devtrust.kernel import core, hwevents, pci_tsm, trust
from devtrust.kernel.actions import Accept, HwEvent, HwKind, Lock, SetTrust, Unlock
from devtrust.kernel.state import TdiState
from devtrust.kernel.variants import last_design

D = "0000:01:00.0"


def _plant(monkeypatch: pytest.MonkeyPatch, action: type, check: object) -> None:
    table = dict(core._TABLE)
    table[action] = (check, table[action][1])
    monkeypatch.setattr(core, "_TABLE", MappingProxyType(table))


def _explore(depth: int):  # type: ignore[no-untyped-def]
    model = KernelModel(last_design(), SMALL)
    return model, explore(model, fingerprint_of=model.fingerprint,
                          limits=Limits(max_depth=depth))


def test_missing_ebusy_when_bound_is_caught_as_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """trust writes skip the "driver bound -> EBUSY" check."""
    def trust_check_without_ebusy(state, a):  # type: ignore[no-untyped-def]
        unbound = state.with_device(a.device, replace(state.dev(a.device), driver=None))
        return trust.trust_check(unbound, a)

    _plant(monkeypatch, SetTrust, trust_check_without_ebusy)
    model, result = _explore(3)
    expected = (SetTrust(D, "1", run=False), SetTrust(D, "0", run=False))
    result.assert_discovery("S3", expected)
    trace = result.discovery("S3")
    assert trace is not None and trace.on_step
    snippet = python_snippet(model, trace, "S3")
    exec(snippet, {})
    monkeypatch.undo()
    with pytest.raises(AssertionError, match="S3 not violated"):
        exec(snippet, {})


def test_missing_trust_reset_on_leaving_run_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A TDISP ERROR moves the interface out of RUN but leaves level and IOMMU alone."""
    def leave_run_without_reset(state, name, dev, new_tdi, reason):  # type: ignore[no-untyped-def]
        return replace(dev, tdi=new_tdi), ()

    monkeypatch.setattr(hwevents, "leave_run_locked", leave_run_without_reset)
    _model, result = _explore(4)
    error = HwEvent(D, HwKind.ERROR)
    # Nobody is told the device left RUN (step invariant S8) ...
    result.assert_discovery("S8", (Lock(D, "tsm0"), Accept(D), error))
    assert result.discovery("S8").on_step  # type: ignore[union-attr]
    # ... and a TCB device keeps its level in ERROR.
    result.assert_discovery("S6", (Lock(D, "tsm0"), Accept(D), SetTrust(D, "4", run=False),
                                   error))
    assert not result.ok


def test_unlock_without_mmio_teardown_is_caught_as_s16(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlock forgets to remove the "PCI MMIO Encrypted" resources accept inserted."""
    monkeypatch.setattr(pci_tsm, "mmio_teardown", lambda dev, count=None: dev)
    _model, result = _explore(3)
    result.assert_discovery("S16", (Lock(D, "tsm0"), Accept(D), Unlock(D, "tsm0")))


def test_repeated_accept_is_stopped_by_the_mmio_conflict_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping "already accepted -> EBUSY" alone is not the D11 bug: mmio_setup refuses
    the overlapping second range, so no invariant fails (defence in depth, pinned)."""
    original = pci_tsm.accept_check

    def accept_check_twice(state, a):  # type: ignore[no-untyped-def]
        dev = state.dev(a.device)
        if dev.tdi is TdiState.RUN:   # judge as if the device were still LOCKED
            dev = replace(dev, tdi=TdiState.LOCKED, cc_accepted=False)
        return original(state.with_device(a.device, dev), a)

    _plant(monkeypatch, Accept, accept_check_twice)
    _model, result = _explore(4)
    for prop in ("S16", "STYLE11", "I35"):
        assert result.discovery(prop) is None
