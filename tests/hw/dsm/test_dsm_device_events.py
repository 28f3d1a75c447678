# SPDX-License-Identifier: BSD-3-Clause
"""Hardware events that force a locked TDI to ERROR (protocols.md §2.8), through the full
stack: link TSM session + IDE keys, devsec lock over the relay."""

from __future__ import annotations

import errno

import pytest
from dsm_rig import Platform, make_platform, measurement_set

from devtrust.hw.dsm.device import CMD_BUS_MASTER, CMD_MEMORY
from devtrust.hw.dsm.events import HwEventKind
from devtrust.wire.tdisp.header import TdiState


@pytest.fixture
def locked() -> Platform:
    p = make_platform()
    p.connect_bind_lock()
    p.dsm.events.drain("test")
    return p


def kinds(p: Platform) -> list[HwEventKind]:
    return [e.kind for e in p.dsm.events.drain("test")]


@pytest.mark.parametrize("bits", [CMD_BUS_MASTER, CMD_MEMORY])
def test_clearing_bme_or_mse_while_locked(locked: Platform, bits: int) -> None:
    locked.dsm.clear_command_bits(locked.pf0, bits)
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.ERROR
    assert kinds(locked) == [HwEventKind.CONFIG_WRITE, HwEventKind.TDI_STATE]
    assert locked.devsec.tdi_state(locked.pf0) is TdiState.ERROR


def test_bar_move_while_locked_then_relock_reports_new_address(locked: Platform) -> None:
    bar = locked.dsm.functions[locked.pf0.requester_id].bars[0]
    locked.dsm.move_bar(locked.pf0, 0, bar.address + bar.size)
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.ERROR
    assert locked.devsec.unlock(locked.pf0) == 0
    assert locked.devsec.lock(locked.pf0) == 0
    report = locked.devsec.evidence(locked.pf0).get(10).data  # type: ignore[union-attr]
    from devtrust.wire.tdisp.report import TdiReport
    first = TdiReport.decode(report).mmio_ranges[0]
    assert first.byte_start(0xD000_0000) == bar.address + bar.size


def test_harmless_config_write_keeps_state(locked: Platform) -> None:
    locked.dsm.config_write(locked.pf0, 0x0C, 0x10, 1)  # cache line size
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.CONFIG_LOCKED


def test_config_write_on_unlocked_function_is_harmless(locked: Platform) -> None:
    locked.dsm.clear_command_bits(locked.fn1, CMD_BUS_MASTER)
    assert locked.dsm.tdi_state(locked.fn1) is TdiState.CONFIG_UNLOCKED
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.CONFIG_LOCKED


def test_lock_refused_with_memory_decoding_off() -> None:
    p = make_platform()
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    p.dsm.clear_command_bits(p.pf0, CMD_MEMORY)
    assert p.devsec.lock(p.pf0) == errno.EINVAL  # INVALID_DEVICE_CONFIGURATION


def test_ide_key_loss(locked: Platform) -> None:
    assert locked.devsec.accept(locked.pf0) == 0
    locked.dsm.lose_ide_keys()
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.ERROR
    assert HwEventKind.IDE_KEYS_LOST in kinds(locked)
    # Re-lock needs keys: LOCK now fails INVALID_REQUEST (EINVAL) until reconnect.
    assert locked.devsec.unlock(locked.pf0) == 0
    assert locked.devsec.lock(locked.pf0) == errno.EINVAL


def test_session_end_errors_tdis_locked_over_it(locked: Platform) -> None:
    assert locked.link.disconnect(locked.pf0) == 0
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.ERROR
    assert locked.dsm.tdi_state(locked.fn1) is TdiState.CONFIG_UNLOCKED
    # An orderly END_SESSION is not a loss; the TDI's ERROR is reported.
    assert kinds(locked) == [HwEventKind.TDI_STATE]


def test_session_loss_is_an_event(locked: Platform) -> None:
    locked.dsm.spdm.drop_sessions()  # heartbeat timeout, say
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.ERROR
    assert HwEventKind.SESSION_LOST in kinds(locked)
    assert locked.devsec.tdi_state(locked.pf0) is None  # relay has no session any more


def test_flr_errors_the_tdi_but_keeps_session(locked: Platform) -> None:
    locked.dsm.config_write(locked.pf0, 0x48, 0x8000, 2)
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.ERROR
    assert HwEventKind.FLR in kinds(locked)
    assert locked.devsec.unlock(locked.pf0) == 0
    assert locked.devsec.lock(locked.pf0) == 0  # session and keys survived the FLR


def test_firmware_update_refused_while_no_fw_update_lock(locked: Platform) -> None:
    new = measurement_set("2.0.0", 4)
    assert locked.dsm.firmware_update(new) is False
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.CONFIG_LOCKED


def test_firmware_update_without_runtime_update() -> None:
    p = make_platform()
    p.devsec.lock_flags = p.devsec.lock_flags & ~1  # lock without NO_FW_UPDATE
    p.connect_bind_lock()
    before = p.dsm.measurements
    assert p.dsm.firmware_update(measurement_set("2.0.0", 4)) is True
    assert p.dsm.measurements != before
    assert p.dsm.tdi_state(p.pf0) is TdiState.ERROR
    assert not p.dsm.spdm.sessions  # sessions and streams terminated


def test_firmware_update_with_runtime_update() -> None:
    p = make_platform()
    p.devsec.lock_flags = p.devsec.lock_flags & ~1
    p.connect_bind_lock()
    p.dsm.runtime_update = True
    assert p.dsm.firmware_update(measurement_set("2.0.0", 4)) is True
    assert p.dsm.tdi_state(p.pf0) is TdiState.CONFIG_LOCKED
    assert p.link.refresh_evidence(p.pf0, b"rp-nonce") == 0


def test_reset_unlocks_everything(locked: Platform) -> None:
    locked.dsm.reset()
    assert locked.dsm.tdi_state(locked.pf0) is TdiState.CONFIG_UNLOCKED
    assert not locked.dsm.spdm.sessions and not locked.dsm.ide.slots
