# SPDX-License-Identifier: BSD-3-Clause
"""Trust levels: EBUSY under a driver, ACKs, ceilings, STRICT vs RELAXED, auto-reset, V3, V10."""

from __future__ import annotations

import errno

import pytest

from devtrust.kernel.actions import (
    Accept,
    Connect,
    HwEvent,
    HwKind,
    IommuSync,
    LoadModule,
    Lock,
    NeedsProvider,
    RegisterTsm,
    SetAuthorized,
    SetTrust,
    Unlock,
    Validate,
)
from devtrust.kernel.core import plan, step
from devtrust.kernel.events import EventKind
from devtrust.kernel.invariants import check_state
from devtrust.kernel.levels import DmaScope, LevelSet, Provider, ceiling, parse_level
from devtrust.kernel.state import TdiState
from devtrust.kernel.sysfs import sysfs_read
from devtrust.kernel.variants import (
    EvidenceBinding,
    Variant,
    bare_metal,
    dan_b2,
    jason_strict,
    last_design,
)
from devtrust.testing.kernel_helpers import ccvm_state, devsec_state, run

NIC = "0000:01:00.0"
NIC1 = "0000:01:00.1"
DISK = "0000:00:04.0"


def test_ceilings_per_provider() -> None:
    assert ceiling(LevelSet.FIVE, Provider.SPDM) == 2
    assert ceiling(LevelSet.FIVE, Provider.LINK_TSM) == 3
    assert ceiling(LevelSet.FIVE, Provider.DEVSEC_TSM) == 4
    assert ceiling(LevelSet.FOUR, Provider.LINK_TSM) == 2
    assert ceiling(LevelSet.FOUR, Provider.DEVSEC_TSM) == 3


def test_parse_level_ints_and_names() -> None:
    assert parse_level(LevelSet.FIVE, "4\n", names=False) == 4
    assert parse_level(LevelSet.FIVE, "5", names=False) is None
    assert parse_level(LevelSet.FIVE, "TCB", names=False) is None
    assert parse_level(LevelSet.FIVE, "tcb", names=True) == 4
    assert parse_level(LevelSet.FOUR, "-1", names=False) is None


def test_trust_write_check_order() -> None:
    state = ccvm_state()
    assert step(state, SetTrust(NIC, "9"))[1].errno == errno.EINVAL
    state, _ = run(state, SetTrust(DISK, "1"))
    assert state.dev(DISK).driver == "virtio_pci"   # V9 (b): trust 1 autoprobes
    assert step(state, SetTrust(DISK, "2"))[1].errno == errno.EBUSY
    assert step(state, SetTrust(DISK, "9"))[1].errno == errno.EINVAL
    # No provider above DMA without a TSM context.
    assert step(state, SetTrust(NIC, "3"))[1].errno == errno.EPERM
    assert step(state, SetTrust(NIC, "4"))[1].errno == errno.EPERM


def test_tcb_requires_run_and_ack() -> None:
    state, _ = run(ccvm_state(), Lock(NIC, "tsm0"))
    assert step(state, SetTrust(NIC, "4"))[1].errno == errno.EINVAL   # LOCKED, not RUN
    state, _ = run(state, Accept(NIC, "1"))
    assert state.dev(NIC).tdi is TdiState.RUN
    assert state.dev(NIC).iommu is DmaScope.NONE   # RUN, but the IOMMU still blocks (B4)
    assert plan(state, SetTrust(NIC, "4")) == NeedsProvider("trust_ack", NIC, "tsm0", 4)
    refused, result = step(state, SetTrust(NIC, "4", reply=errno.EPERM))
    assert result.errno == errno.EPERM and refused == state
    state, result = step(state, SetTrust(NIC, "4"))
    assert result.errno == 0
    assert state.dev(NIC).iommu is DmaScope.PRIVATE and state.dev(NIC).cc_accepted
    assert [e.kind for e in result.events] == [EventKind.TRUST_CHANGE]
    assert not check_state(state) or {v.invariant for v in check_state(state)} <= {"S17"}


def test_relaxed_allows_low_trust_in_run_strict_refuses() -> None:
    relaxed, _ = run(ccvm_state(last_design()), Lock(NIC, "tsm0"), Accept(NIC, "1"),
                     SetTrust(NIC, "4"))
    low, result = step(relaxed, SetTrust(NIC, "1"))
    assert result.errno == 0 and low.dev(NIC).tdi is TdiState.RUN
    assert low.dev(NIC).iommu is DmaScope.STRICT_SHARED
    strict, _ = run(ccvm_state(jason_strict()), Lock(NIC, "tsm0"), Accept(NIC, "1"),
                    SetTrust(NIC, "3"))
    assert step(strict, SetTrust(NIC, "1"))[1].errno == errno.EINVAL


@pytest.mark.parametrize("kind", [HwKind.ERROR, HwKind.SPDM_LOSS, HwKind.IDE_LOSS,
                                  HwKind.FW_UPDATE])
def test_leaving_run_resets_and_notifies(kind: HwKind) -> None:
    state, _ = run(ccvm_state(), Lock(NIC, "tsm0"), Accept(NIC, "1"), SetTrust(NIC, "4"))
    state, result = step(state, HwEvent(NIC, kind))
    dev = state.dev(NIC)
    assert dev.tdi is TdiState.ERROR and dev.level == 0 and dev.iommu is DmaScope.NONE
    assert not dev.cc_accepted
    assert any(e.kind is EventKind.TRUST_CHANGE for e in result.events)


def test_leaving_run_while_bound_releases_driver() -> None:
    state, _ = run(ccvm_state(), Lock(NIC, "tsm0"), Accept(NIC, "1"), SetTrust(NIC, "4"),
                   LoadModule("mlx5_core", "1"))
    assert state.dev(NIC).driver == "mlx5_core"
    state, result = step(state, HwEvent(NIC, HwKind.ERROR))
    assert state.dev(NIC).driver is None
    assert [e.kind for e in result.events] == [EventKind.TRUST_CHANGE, EventKind.KOBJ_UNBIND]


def test_v2_does_not_reset_on_error() -> None:
    state, _ = run(devsec_state(), Lock("10000:01:00.0", "tsm1"), Accept("10000:01:00.0", "1"))
    state, result = step(state, HwEvent("10000:01:00.0", HwKind.ERROR))
    assert state.dev("10000:01:00.0").cc_accepted and result.events == ()
    assert {"S6", "S8"} <= {v.invariant for v in check_state(state)}


def test_unlock_from_run_drops_level() -> None:
    state, _ = run(ccvm_state(), Lock(NIC, "tsm0"), Accept(NIC, "1"), SetTrust(NIC, "4"))
    state, result = step(state, Unlock(NIC, "tsm0"))
    assert state.dev(NIC).level == 0 and state.dev(NIC).encrypted == ()
    assert any(e.kind is EventKind.TRUST_CHANGE for e in result.events)


def test_link_level_needs_ide_and_is_withdrawn() -> None:
    from devtrust.kernel.boot import devsec_topology, initial_state

    state = initial_state(devsec_topology(), last_design())
    state, _ = run(state, RegisterTsm("link"), Connect("10000:01:00.0", "tsm0"))
    assert plan(state, SetTrust("10000:01:00.0", "3")).op == "trust_ack"  # type: ignore[union-attr]
    state, _ = run(state, SetTrust("10000:01:00.0", "3"))
    assert step(state, SetTrust("10000:01:00.0", "4"))[1].errno == errno.EPERM
    lowered, result = step(state, HwEvent("10000:01:00.0", HwKind.IDE_LOSS))
    assert lowered.dev("10000:01:00.0").level == 2
    assert result.events and result.events[0].kind is EventKind.TRUST_CHANGE
    # V12 (a): no lowering; S9 and S22 then fail.
    kept = initial_state(devsec_topology(), bare_metal())
    kept, _ = run(kept, RegisterTsm("link"), Connect("10000:01:00.0", "tsm0"),
                  SetTrust("10000:01:00.0", "3"), IommuSync("10000:01:00.0"),
                  HwEvent("10000:01:00.0", HwKind.IDE_LOSS))
    assert kept.dev("10000:01:00.0").level == 3
    assert {"S9", "S22"} <= {v.invariant for v in check_state(kept)}


def test_b2_trust_write_drives_run() -> None:
    state, _ = run(ccvm_state(dan_b2()), Lock(NIC, "tsm0"))
    assert step(state, Accept(NIC, "1"))[1].errno == errno.ENOENT   # no tsm/accept under B2
    state, _ = run(state, Validate(NIC, 1))
    assert plan(state, SetTrust(NIC, "4")) == NeedsProvider("accept", NIC, "tsm0", 4)
    failed, result = step(state, SetTrust(NIC, "4", reply=errno.EIO))
    assert result.errno == errno.EIO and failed.dev(NIC).tdi is TdiState.LOCKED
    state, _ = run(state, SetTrust(NIC, "4"))
    dev = state.dev(NIC)
    assert dev.tdi is TdiState.RUN and dev.level == 4 and dev.iommu is DmaScope.PRIVATE


def test_t2_validate_binds_generation() -> None:
    state, _ = run(ccvm_state(dan_b2()), Lock(NIC, "tsm0"), Validate(NIC, 1),
                   HwEvent(NIC, HwKind.EVIDENCE_REFRESH))
    assert step(state, SetTrust(NIC, "4"))[1].errno == errno.ESTALE
    assert step(state, Validate(NIC, 1))[1].errno == errno.ESTALE
    state, _ = run(state, Validate(NIC, 2), SetTrust(NIC, "4"))
    assert state.dev(NIC).level == 4


def test_t1_generation_into_accept() -> None:
    variant = Variant(name="t1", evidence_binding=EvidenceBinding.GENERATION_INTO_ACCEPT)
    state, _ = run(ccvm_state(variant), Lock(NIC, "tsm0"))
    assert step(state, Accept(NIC, "1"))[1].errno == errno.EINVAL
    assert step(state, Accept(NIC, "1 generation=7"))[1].errno == errno.ESTALE
    assert step(state, Accept(NIC, "1 generation=1"))[1].errno == 0


def test_v6b_responder_lags_and_exposes_s5() -> None:
    state, _ = run(ccvm_state(bare_metal()), SetTrust(DISK, "2"))
    assert state.dev(DISK).iommu_pending
    state, _ = run(state, IommuSync(DISK), SetTrust(NIC1, "1"), IommuSync(NIC1))
    state, _ = run(state, SetTrust(NIC1, "0"))
    assert "S5" in {v.invariant for v in check_state(state)}


def test_cross_reflection_authorized() -> None:
    state = ccvm_state()
    assert sysfs_read(state, f"/sys/bus/pci/devices/{NIC}/authorized") == "0\n"
    state, _ = run(state, SetAuthorized(NIC, "1"))
    assert sysfs_read(state, f"/sys/bus/pci/devices/{NIC}/trust") == "1\n"
    state, _ = run(state, SetTrust(NIC, "0"), SetTrust(NIC, "2"))
    assert sysfs_read(state, f"/sys/bus/pci/devices/{NIC}/authorized") == "1\n"
    state, _ = run(state, SetAuthorized(NIC, "0"))
    assert state.dev(NIC).level == 0
    assert step(state, SetAuthorized(NIC, "bogus"))[1].errno == errno.EINVAL


def test_trust_binding_and_driver_module_trust() -> None:
    state, _ = run(ccvm_state(dan_b2()), Lock(NIC, "tsm0"), Validate(NIC, 1))
    state, result = step(state, LoadModule("mlx5_core", None, "4"))
    assert result.errno == 0
    dev = state.dev(NIC)
    assert dev.level == 4 and dev.tdi is TdiState.RUN and len(dev.encrypted) == 2
    assert dev.driver == "mlx5_core"   # module trust=4: RUN, then attach (Dan 03-24)
