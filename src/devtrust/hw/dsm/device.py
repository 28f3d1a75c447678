# SPDX-License-Identifier: BSD-3-Clause
"""A physical emulated device: PF0 hosts the DSM; every function (PF0 included) is a TDI.

The device owns the live state the responders share - TDI state machines, IDE key slots,
the current BAR placement and command register of each function, the running firmware's
measurements - and the hardware events that move locked TDIs to ERROR (protocols.md §2.8):

* a security-relevant config write while locked (clearing MSE/BME, a BAR or expansion-ROM
  write, BIST, MSI-X control with MSI-X locked);
* FLR (a PF0/PF FLR also hits its VFs); IDE keys lost; the SPDM session the TDI was locked
  over ending; a firmware update on a device without runtime update.

Everything that happens is appended to :attr:`events` for the platform to poll.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from devtrust.hw.dsm.behaviour import DsmBehaviour
from devtrust.hw.dsm.events import EventLog, HwEventKind
from devtrust.hw.dsm.ide_keys import IdeKeyTable
from devtrust.hw.dsm.ide_km_responder import IdeKmResponder
from devtrust.hw.dsm.report_builder import build_report
from devtrust.hw.dsm.tdi import LockParams, Tdi
from devtrust.hw.dsm.tdisp_responder import TdispResponder
from devtrust.hw.measurements import MeasurementSet
from devtrust.hw.pci import Bdf, PciFunction
from devtrust.hw.rng import Drbg
from devtrust.hw.topology import Device
from devtrust.wire.tdisp.base import LockFlags
from devtrust.wire.tdisp.header import FunctionId, TdiState

if TYPE_CHECKING:
    from devtrust.hw.dsm.spdm_responder import SpdmResponder
    from devtrust.hw.dsm.transport import DoeMailbox

__all__ = ["CMD_BUS_MASTER", "CMD_MEMORY", "DsmDevice"]

CMD_MEMORY = 0x0002
CMD_BUS_MASTER = 0x0004
_BAR_FIRST, _BAR_END = 0x10, 0x28
_ROM_BAR, _BIST = 0x30, 0x0F
_DEVCTL = 0x48  # PCIe capability at 0x40 + Device Control (8)
_DEVCTL_FLR = 0x8000
_MSIX_CONTROL = 0x82  # MSI-X capability at 0x80 + Message Control (2)


class DsmDevice:
    """One device of the topology with its DSM (mutable emulated hardware).

    ``functions`` maps requester IDs to the *current* :class:`PciFunction` (BAR moves
    replace it); ``command`` holds each function's command register. The SPDM responder
    is attached by :mod:`devtrust.hw.dsm.build` once keys and measurements exist.
    """

    def __init__(self, device: Device, *, drbg: Drbg, measurements: MeasurementSet,
                 behaviour: DsmBehaviour | None = None, runtime_update: bool = False) -> None:
        self.name = device.name
        self.host_bridge = device.host_bridge
        self.pf0_bdf = device.pf0.bdf
        self.behaviour = behaviour or DsmBehaviour()
        self.events = EventLog()
        self.measurements = measurements
        self.runtime_update = runtime_update
        self.functions: dict[int, PciFunction] = {
            f.bdf.requester_id: f for f in device.all_functions}
        self.command: dict[int, int] = {
            rid: CMD_MEMORY | CMD_BUS_MASTER for rid in self.functions}
        self.tdis: dict[int, Tdi] = {
            rid: Tdi(FunctionId.from_requester_id(rid))
            for rid, f in self.functions.items() if f.is_tdi}
        self.ide = IdeKeyTable()
        pf0 = device.pf0.bdf
        self.idekm = IdeKmResponder(self.ide, bus=pf0.bus, dev_func=pf0.devfn,
                                    segment=pf0.domain & 0xFF)
        self.tdisp = TdispResponder(
            self.tdis, drbg=drbg.child("tdisp-nonce"), keys_ready=self._keys_ready,
            config_valid=self._config_valid, report_for=self._report_for,
            behaviour=self.behaviour)
        self.tdisp.on_step = self._on_step
        self.on_session_end: Callable[[int], None] | None = None
        # Set by devtrust.hw.dsm.build: the SPDM responder and PF0's DOE mailbox.
        self.spdm: SpdmResponder
        self.mailbox: DoeMailbox

    # -- lookups ----------------------------------------------------------------------------
    def bdf_of(self, requester_id: int) -> Bdf:
        return self.functions[requester_id].bdf

    def tdi(self, bdf: Bdf | str) -> Tdi:
        return self.tdis[_rid(bdf)]

    def tdi_state(self, bdf: Bdf | str) -> TdiState:
        return self.tdi(bdf).state

    # -- responder callbacks ---------------------------------------------------------------
    def _keys_ready(self, stream_id: int, session_id: int) -> bool:
        return self.ide.is_secure(stream_id, session_id)

    def _config_valid(self, fid: FunctionId) -> bool:
        # The device refuses to lock a function whose memory decoding is off (its BARs
        # would be meaningless); every other configuration of the model is supported.
        return bool(self.command[fid.requester_id] & CMD_MEMORY)

    def _report_for(self, fid: FunctionId, params: LockParams) -> bytes:
        return build_report(self.functions[fid.requester_id], params,
                            self.behaviour.report_flaws)

    def _on_step(self, step: str, tdi: Tdi) -> None:
        for action in self.behaviour.step_actions(step):
            action(self, tdi)

    # -- hardware events ----------------------------------------------------------------------
    def _error(self, tdi: Tdi, why: str) -> None:
        if tdi.do_error():
            self.events.emit(HwEventKind.TDI_STATE, str(self.bdf_of(tdi.function_id.requester_id)),
                             why, TdiState.ERROR)

    def force_error(self, bdf: Bdf | str, why: str = "device fault") -> None:
        """An unrecoverable device-internal condition on one TDI (§2.8 last bullets)."""
        self._error(self.tdi(bdf), why)

    def config_write(self, bdf: Bdf | str, offset: int, value: int, size: int = 4) -> None:
        """A configuration write from the host; security-relevant writes while locked send
        the TDI to ERROR (unless the device ignores them, a catalogue fault)."""
        rid = _rid(bdf)
        fn = self.functions[rid]
        self.events.emit(HwEventKind.CONFIG_WRITE, str(fn.bdf),
                         f"offset 0x{offset:03x} size {size} value 0x{value:x}")
        relevant = False
        if offset == 0x04:
            old, new = self.command[rid], value & 0xFFFF
            self.command[rid] = new
            relevant = bool(old & ~new & (CMD_MEMORY | CMD_BUS_MASTER))
        elif _BAR_FIRST <= offset < _BAR_END:
            self._write_bar(rid, (offset - _BAR_FIRST) // 4, value)
            relevant = True
        elif offset in (_ROM_BAR, _BIST):
            relevant = True
        elif offset == _MSIX_CONTROL:
            tdi = self.tdis.get(rid)
            relevant = bool(tdi and tdi.lock and tdi.lock.flags & LockFlags.LOCK_MSIX)
        elif offset == _DEVCTL and value & _DEVCTL_FLR:
            self.flr(fn.bdf)
            return
        tdi = self.tdis.get(rid)
        if relevant and tdi is not None and tdi.is_locked and not self.behaviour.ignores_config:
            self._error(tdi, f"config write at 0x{offset:03x} while locked")

    def _write_bar(self, rid: int, register: int, value: int) -> None:
        fn = self.functions[rid]
        for bar in fn.bars:
            if register in bar.registers:
                low = bar.address & 0xFFFF_FFFF
                high = bar.address >> 32
                if register == bar.index:
                    low = value & ~0xF & 0xFFFF_FFFF
                else:
                    high = value & 0xFFFF_FFFF
                address = ((high << 32) | low) & ~(bar.size - 1)
                bars = tuple(b.placed(address) if b is bar else b for b in fn.bars)
                self.functions[rid] = replace(fn, bars=bars)
                return

    def move_bar(self, bdf: Bdf | str, index: int, address: int) -> None:
        """Host reprograms BAR ``index`` to ``address`` (low dword, then high if 64-bit)."""
        fn = self.functions[_rid(bdf)]
        bar = fn.bar(index)
        if bar is None:
            raise KeyError(f"{fn.bdf} has no BAR{index}")
        self.config_write(bdf, _BAR_FIRST + 4 * index, address & 0xFFFF_FFFF)
        if bar.is_64bit:
            self.config_write(bdf, _BAR_FIRST + 4 * (index + 1), address >> 32)

    def clear_command_bits(self, bdf: Bdf | str, bits: int = CMD_BUS_MASTER) -> None:
        self.config_write(bdf, 0x04, self.command[_rid(bdf)] & ~bits, 2)

    def flr(self, bdf: Bdf | str) -> None:
        """Function Level Reset: the TDI (and, for a PF, its VFs) go to ERROR if locked.

        Sessions and IDE streams survive (§2.8); STOP is needed to reach CONFIG_UNLOCKED.
        """
        target = self.functions[_rid(bdf)]
        self.events.emit(HwEventKind.FLR, str(target.bdf))
        for rid, fn in self.functions.items():
            if rid == target.bdf.requester_id or (fn.is_vf and fn.pf_bdf == target.bdf):
                tdi = self.tdis.get(rid)
                if tdi is not None:
                    self._error(tdi, "function level reset")

    def lose_ide_keys(self, stream_id: int | None = None) -> None:
        """IDE key loss: streams go Insecure; TDIs locked on them enter ERROR."""
        lost = self.ide.lose(stream_id)
        self.events.emit(HwEventKind.IDE_KEYS_LOST, str(self.pf0_bdf),
                         f"streams {list(lost)}")
        self._streams_insecure(lost)

    def _streams_insecure(self, streams: tuple[int, ...] | list[int]) -> None:
        for tdi in self.tdis.values():
            if tdi.lock is not None and tdi.lock.stream_id in streams:
                self._error(tdi, f"IDE stream {tdi.lock.stream_id} insecure")

    def session_ended(self, session_id: int, lost: bool = True) -> None:
        """The SPDM session terminated: its keys go, TDIs locked over it enter ERROR.

        ``lost`` is False for an END_SESSION the requester asked for (no SESSION_LOST
        event then; the TDI_STATE events of TDIs still locked over it are emitted anyway).
        """
        if lost:
            self.events.emit(HwEventKind.SESSION_LOST, str(self.pf0_bdf),
                             f"session 0x{session_id:08x}")
        self._streams_insecure(list(self.idekm.session_ended(session_id)))
        for tdi in self.tdis.values():
            if tdi.lock is not None and tdi.lock.session_id == session_id:
                self._error(tdi, "SPDM session ended")

    def firmware_update(self, new: MeasurementSet) -> bool:
        """Install new firmware; False (refused) while a TDI is locked with NO_FW_UPDATE.

        Without runtime update support the device terminates its sessions and streams and
        locked TDIs enter ERROR (§2.8); with it, the measurements simply change.
        """
        if any(t.is_locked and t.lock and t.lock.flags & LockFlags.NO_FW_UPDATE
               for t in self.tdis.values()) and not self.behaviour.ignores_no_fw_update:
            return False
        self.measurements = new
        self.events.emit(HwEventKind.FIRMWARE_UPDATED, str(self.pf0_bdf),
                         f"version {new.firmware_version} svn {new.svn}")
        if not self.runtime_update and not self.behaviour.ignores_no_fw_update:
            if self.on_session_end is not None:
                self.on_session_end(-1)
            for tdi in self.tdis.values():
                self._error(tdi, "firmware update without runtime-update support")
        return True

    def reset(self) -> None:
        """Conventional reset: every TDI to CONFIG_UNLOCKED, keys and sessions scrubbed."""
        self.events.emit(HwEventKind.RESET, str(self.pf0_bdf))
        self.ide.lose()
        self.idekm.owner_session = None
        if self.on_session_end is not None:
            self.on_session_end(-1)
        for tdi in self.tdis.values():
            tdi.do_reset()


def _rid(bdf: Bdf | str) -> int:
    return (Bdf.parse(bdf) if isinstance(bdf, str) else bdf).requester_id
