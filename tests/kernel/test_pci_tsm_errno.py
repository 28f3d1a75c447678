# SPDX-License-Identifier: BSD-3-Clause
"""Every errno of kernel-abi §3.9 and the §9.11 negative list, in kernel check order."""

from __future__ import annotations

import errno
import inspect
import re

import pytest

from devtrust.kernel import drivers, pci_tsm, sample_evidence, trust, tsm_registry
from devtrust.kernel.actions import (
    Accept,
    Connect,
    Disconnect,
    DriverBind,
    GuestReq,
    LoadModule,
    Lock,
    NeedsProvider,
    RegisterTsm,
    SetDriverOverride,
    TsmBind,
    Unlock,
)
from devtrust.kernel.core import plan, step
from devtrust.testing.kernel_helpers import devsec_state, run

PF0 = "10000:01:00.0"
PF1 = "10000:01:00.1"

# kernel-abi.md §3.9, transcribed: operation -> errnos in table (= check) order.
SPEC_TABLE = {
    pci_tsm.lock_check: ["EINVAL", "EBUSY", "ENXIO", "EBUSY"],
    pci_tsm.unlock_check: ["EINVAL", "EINVAL", "EBUSY"],
    pci_tsm.accept_check: ["EINVAL", "EINVAL", "EINVAL", "EBUSY"],
    pci_tsm.connect_check: ["EINVAL", "EBUSY", "ENXIO", "ENXIO"],
    pci_tsm.disconnect_check: ["ENXIO", "EINVAL"],
    pci_tsm.tsm_bind_check: ["EINVAL", "ENXIO", "EBUSY"],
    pci_tsm.guest_req_check: ["EINVAL", "ENXIO"],
    tsm_registry.register_check: ["EINVAL"],
    sample_evidence.sample_write_check: ["EFBIG", "EBUSY"],
}


def _return_errnos(fn: object) -> list[str]:
    doc = inspect.getdoc(fn) or ""
    section = doc.split("Return:", 1)[1]
    section = section.split("\n\n", 1)[0]
    return re.findall(r"\bE[A-Z]+\b", section)


def _is_subsequence(needle: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(x == y for y in it) for x in needle)


@pytest.mark.parametrize("fn", list(SPEC_TABLE), ids=lambda f: f.__name__)
def test_docstring_return_lists_follow_spec_order(fn: object) -> None:
    """STYLE 10: the Return: list contains the §3.9 errnos in the table's order."""
    doc = inspect.getdoc(fn) or ""
    assert "Context:" in doc and "Return:" in doc
    found = _return_errnos(fn)
    assert _is_subsequence(SPEC_TABLE[fn], found), (found, SPEC_TABLE[fn])


@pytest.mark.parametrize("fn", [trust.trust_check, trust.authorized_check, drivers.bind_check,
                                drivers.unbind_check, drivers.load_check,
                                tsm_registry.unregister_check, pci_tsm.unlock_locked,
                                pci_tsm.disconnect_locked])
def test_every_operation_documents_context(fn: object) -> None:
    assert "Context:" in (inspect.getdoc(fn) or "")


# ----------------------------------------------------------------- lock


@pytest.mark.parametrize(("value", "err"), [("foo", errno.EINVAL), ("tsm0", errno.ENXIO),
                                            ("tsm99", errno.ENXIO), ("", errno.EINVAL)])
def test_lock_bad_names(value: str, err: int) -> None:
    state = devsec_state()
    assert step(state, Lock(PF0, value))[1].errno == err


def test_lock_busy_when_connected_and_when_bound() -> None:
    state = devsec_state()
    connected, _ = run(state, Connect(PF0, "tsm0"))
    assert step(connected, Lock(PF0, "tsm1"))[1].errno == errno.EBUSY
    bound, _ = run(state, LoadModule("devsec_pci", "0"), SetDriverOverride(PF0, "devsec_pci"),
                   DriverBind("devsec_pci", PF0))
    assert step(bound, Lock(PF0, "tsm1"))[1].errno == errno.EBUSY


def test_lock_errno_pinned_when_several_fail() -> None:
    """Connected + bound + wrong TSM: the context check (EBUSY) comes before ENXIO."""
    state = devsec_state()
    state, _ = run(state, Connect(PF0, "tsm0"), LoadModule("devsec_pci", "0"),
                   SetDriverOverride(PF0, "devsec_pci"), DriverBind("devsec_pci", PF0))
    assert step(state, Lock(PF0, "tsm0"))[1].errno == errno.EBUSY
    assert step(state, Lock(PF0, "garbage"))[1].errno == errno.EINVAL
    # Bound but unconnected with a wrong TSM: ENXIO comes before the bound check.
    state = devsec_state()
    state, _ = run(state, LoadModule("devsec_pci", "0"), SetDriverOverride(PF0, "devsec_pci"),
                   DriverBind("devsec_pci", PF0))
    assert step(state, Lock(PF0, "tsm0"))[1].errno == errno.ENXIO
    assert step(state, Lock(PF0, "tsm1"))[1].errno == errno.EBUSY


def test_lock_provider_error_is_returned_unchanged() -> None:
    state = devsec_state()
    new, result = step(state, Lock(PF0, "tsm1", reply=errno.ENOMEM))
    assert result.errno == errno.ENOMEM and new == state


def test_lock_plans_provider_call() -> None:
    assert plan(devsec_state(), Lock(PF0, "tsm1")) == NeedsProvider("lock", PF0, "tsm1")


# ----------------------------------------------------------------- accept


@pytest.mark.parametrize("value", ["0", "n", "off", "maybe", ""])
def test_accept_false_or_garbage_is_einval(value: str) -> None:
    state, _ = run(devsec_state(), Lock(PF0, "tsm1"))
    assert step(state, Accept(PF0, value))[1].errno == errno.EINVAL


def test_accept_without_lock_is_einval() -> None:
    assert step(devsec_state(), Accept(PF0, "1"))[1].errno == errno.EINVAL


def test_accept_on_link_context_is_einval() -> None:
    state, _ = run(devsec_state(), Connect(PF0, "tsm0"))
    assert step(state, Accept(PF0, "1"))[1].errno == errno.EINVAL


def test_accept_while_bound_is_ebusy_and_false_wins_over_bound() -> None:
    state, _ = run(devsec_state(), Lock(PF0, "tsm1"), LoadModule("devsec_pci", "0"),
                   SetDriverOverride(PF0, "devsec_pci"), DriverBind("devsec_pci", PF0))
    assert step(state, Accept(PF0, "1"))[1].errno == errno.EBUSY
    assert step(state, Accept(PF0, "0"))[1].errno == errno.EINVAL


def test_accept_provider_error_no_side_effects() -> None:
    state, _ = run(devsec_state(), Lock(PF0, "tsm1"))
    new, result = step(state, Accept(PF0, "1", reply=errno.ENOMEM))
    assert result.errno == errno.ENOMEM and new == state


# ----------------------------------------------------------------- unlock


def test_unlock_errnos() -> None:
    state = devsec_state()
    assert step(state, Unlock(PF0, "tsm1"))[1].errno == errno.EINVAL
    locked, _ = run(state, Lock(PF0, "tsm1"))
    assert step(locked, Unlock(PF0, "tsm0"))[1].errno == errno.EINVAL
    assert step(locked, Unlock(PF0, "tsm1\n"))[1].errno == 0
    bound, _ = run(locked, LoadModule("devsec_pci", "0"), SetDriverOverride(PF0, "devsec_pci"),
                   DriverBind("devsec_pci", PF0))
    assert step(bound, Unlock(PF0, "tsm1"))[1].errno == errno.EBUSY
    # Wrong name and bound: the name check comes first.
    assert step(bound, Unlock(PF0, "tsm0"))[1].errno == errno.EINVAL


# ----------------------------------------------------------------- connect / disconnect


def test_connect_errnos() -> None:
    state = devsec_state()
    assert step(state, Connect(PF0, "nope"))[1].errno == errno.EINVAL
    assert step(state, Connect(PF0, "tsm1"))[1].errno == errno.ENXIO
    assert step(state, Connect(PF0, "tsm7"))[1].errno == errno.ENXIO
    connected, _ = run(state, Connect(PF0, "tsm0"))
    assert step(connected, Connect(PF0, "tsm0"))[1].errno == errno.EBUSY
    locked, _ = run(state, Lock(PF0, "tsm1"))
    assert step(locked, Connect(PF0, "tsm0"))[1].errno == errno.EBUSY
    # EBUSY (context) is checked before ENXIO (wrong TSM).
    assert step(connected, Connect(PF0, "tsm1"))[1].errno == errno.EBUSY


def test_connect_probe_null_without_doe_is_enxio() -> None:
    from dataclasses import replace

    from devtrust.kernel.boot import devsec_topology, initial_state
    from devtrust.kernel.state import Topology
    from devtrust.kernel.variants import v2

    topo = devsec_topology()
    devices = (replace(topo.devices[0], has_doe=False), *topo.devices[1:])
    topo = Topology(devices, topo.drivers, topo.host_bridges, cc_guest=False)
    state, _ = run(initial_state(topo, v2()), RegisterTsm("link"))
    assert step(state, Connect(PF0, "tsm0"))[1].errno == errno.ENXIO


def test_connect_provider_error_and_stream_exhaustion() -> None:
    state = devsec_state()
    new, result = step(state, Connect(PF0, "tsm0", reply=errno.ENOMEM))
    assert result.errno == errno.ENOMEM and new == state


def test_connect_on_subfunction_attribute_absent() -> None:
    assert step(devsec_state(), Connect(PF1, "tsm0"))[1].errno == errno.ENOENT


def test_disconnect_errnos() -> None:
    state = devsec_state()
    assert step(state, Disconnect(PF0, "tsm0"))[1].errno == errno.ENXIO
    connected, _ = run(state, Connect(PF0, "tsm0"))
    assert step(connected, Disconnect(PF0, "tsm1"))[1].errno == errno.EINVAL
    # No context wins over a wrong name.
    assert step(state, Disconnect(PF0, "bogus"))[1].errno == errno.ENXIO


# ----------------------------------------------------------------- bind / guest_req


def test_tsm_bind_errnos() -> None:
    state = devsec_state()
    assert step(state, TsmBind(PF0, None))[1].errno == errno.EINVAL
    assert step(state, TsmBind(PF0, 1))[1].errno == errno.EINVAL
    locked, _ = run(state, Lock(PF0, "tsm1"))
    assert step(locked, TsmBind(PF0, 1))[1].errno == errno.ENXIO
    bound, _ = run(state, Connect(PF0, "tsm0"), TsmBind(PF0, 1))
    assert step(bound, TsmBind(PF0, 1))[1].errno == 0
    assert step(bound, TsmBind(PF0, 2))[1].errno == errno.EBUSY


def test_guest_req_errnos() -> None:
    state = devsec_state()
    assert step(state, GuestReq(PF0, scope=5))[1].errno == errno.EINVAL
    assert step(state, GuestReq(PF0))[1].errno == errno.ENXIO
    connected, _ = run(state, Connect(PF0, "tsm0"))
    assert step(connected, GuestReq(PF0))[1].errno == errno.ENXIO
    bound, _ = run(connected, TsmBind(PF0, 1))
    assert step(bound, GuestReq(PF0))[1].errno == 0
    assert step(bound, GuestReq(PF0, reply=errno.EIO))[1].errno == errno.EIO


def test_register_tsm_neither_ops_kind_is_einval() -> None:
    assert step(devsec_state(), RegisterTsm("both"))[1].errno == errno.EINVAL
