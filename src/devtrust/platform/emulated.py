# SPDX-License-Identifier: BSD-3-Clause
"""The built-in emulated platform: the pure kernel core driving emulated hardware.

Every sysfs write goes through the kernel model exactly as a real write goes
through Linux: :func:`~devtrust.kernel.sysfs.sysfs_action` names the operation,
:func:`~devtrust.kernel.core.plan` runs the kernel's prechecks in kernel order,
and only when they pass is the TSM asked (real SPDM/TDISP traffic with real
signatures on the emulated device). The TSM's answer then goes back into
:func:`~devtrust.kernel.core.step`. Hardware events (TDISP ERROR, session or IDE
loss, firmware update) are polled from the devices after every operation and
fed to the kernel as :class:`~devtrust.kernel.actions.HwEvent` actions, so trust
drops happen before the caller can observe anything else.

Evidence is dumped through the real ``pci-tsm`` netlink byte stream (the
kernel-side dump server and the user-space client talk in nlmsghdr bytes).
"""

from __future__ import annotations

import errno
import os
from dataclasses import replace
from typing import Any

from devtrust.hw.dsm.events import HwEventKind
from devtrust.hw.machine import Machine
from devtrust.hw.pci import Bdf
from devtrust.hw.scenario_schema import Scenario
from devtrust.kernel import actions as act
from devtrust.kernel.access import cpu_mmio, device_dma
from devtrust.kernel.actions import Buffer
from devtrust.kernel.boot import initial_state
from devtrust.kernel.core import plan, step
from devtrust.kernel.events import Event
from devtrust.kernel.levels import tcb_level
from devtrust.kernel.netlink import DumpOptions
from devtrust.kernel.netlink.server import handle_request
from devtrust.kernel.state import KernelState, TsmMode
from devtrust.kernel.sysfs import sysfs_action, sysfs_exists, sysfs_listdir, sysfs_read
from devtrust.kernel.variants import Variant
from devtrust.platform.base import PCI_DEVICES, EvidenceDump, PlatformEvent
from devtrust.platform.hw_topology import PCI_ATTRIBUTES, kernel_topology, pci_attribute
from devtrust.platform.netlink_client import dump_evidence
from devtrust.platform.variants import platform_variant
from devtrust.wire.evidence import EvidenceSet, EvidenceType
from devtrust.wire.tdisp.header import TdiState

__all__ = ["REPORTING_OFFSET", "EmulatedPlatform"]

REPORTING_OFFSET = 1 << 40

_HW_TO_KERNEL = {
    HwEventKind.SESSION_LOST: act.HwKind.SPDM_LOSS,
    HwEventKind.IDE_KEYS_LOST: act.HwKind.IDE_LOSS,
    HwEventKind.FIRMWARE_UPDATED: act.HwKind.FW_UPDATE,
}


class EmulatedPlatform:
    """A Linux-shaped platform over the emulated hardware of one scenario."""

    name = "emulated"

    def __init__(self, scenario: Scenario | None = None, *, variant: Variant | None = None,
                 digest_mode: bool = False) -> None:
        self.machine = Machine.build(scenario, digest_mode=digest_mode)
        # A reporting offset aligned to every BAR keeps in-BAR offsets intact, which the
        # kernel's report parser requires (kernel-abi.md §7.4: aligned, or 0).
        self.machine.devsec.reporting_offset = REPORTING_OFFSET
        self.fleet = self.machine.fleet
        self.cc_guest = self.fleet.scenario.platform == "cc-guest"
        self.state: KernelState = initial_state(kernel_topology(self.fleet),
                                                variant or platform_variant(self.cc_guest))
        self._events: list[PlatformEvent] = []
        self._functions = {str(fn.bdf): fn for fn in self.fleet.topology.functions()}
        self._hw_tsm: dict[str, object] = {}
        if self.cc_guest:
            self._host_assigns_devices()
            self._register("devsec", self.machine.devsec)
        else:
            self._register("link", self.machine.link)
        self.machine.poll_events()  # host-side set-up events are not the guest's business

    # -- set-up -----------------------------------------------------------------------------
    def _host_assigns_devices(self) -> None:
        """Outside the guest: the VMM's link TSM connects every PF0 and binds every TDI."""
        link = self.machine.link
        for dev in self.fleet.topology.devices:
            if link.connect(dev.pf0.bdf) != 0:
                continue
            for fn in dev.tdis:
                link.bind(fn.bdf, fn.bdf.requester_id)

    def _register(self, mode: str, hw_tsm: object) -> None:
        before = {t.name for t in self.state.tsms}
        self._apply(act.RegisterTsm(mode))
        (name,) = {t.name for t in self.state.tsms} - before
        self._hw_tsm[name] = hw_tsm

    # -- the Platform interface ---------------------------------------------------------------
    def read(self, path: str) -> str:
        extra = self._pci_attr(path)
        if extra is not None:
            return extra if isinstance(extra, str) else extra.hex()
        return sysfs_read(self.state, path).rstrip("\n")

    def read_bytes(self, path: str) -> bytes:
        extra = self._pci_attr(path)
        if isinstance(extra, bytes):
            return extra
        return self.read(path).encode()

    def write(self, path: str, value: str) -> None:
        self.poll_hardware()
        found = sysfs_action(self.state, path, value)
        if isinstance(found, act.Result):
            _raise(found.errno, path)
            return
        self._apply(found)
        self.poll_hardware()

    def listdir(self, path: str) -> tuple[str, ...]:
        entries = sysfs_listdir(self.state, path)
        parts = path.rstrip("/").split("/")
        if path.startswith(PCI_DEVICES) and len(parts) == 6 and parts[5] in self._functions:
            entries = tuple(sorted({*entries, *PCI_ATTRIBUTES}))
        return entries

    def exists(self, path: str) -> bool:
        return self._pci_attr(path) is not None or sysfs_exists(self.state, path)

    def evidence_read(self, device: str, type_mask: int, *, digest: bool = False,
                      nonce: bytes | None = None) -> EvidenceDump:
        self.poll_hardware()

        def source(name: str) -> tuple[bool, EvidenceSet | None] | None:
            if self.state.topology.device(name) is None:
                return None
            ctx = self.state.dev(name).ctx
            return (ctx is not None, ctx.evidence if ctx is not None else None)

        options = DumpOptions(family_id=0x1D)

        def send(request: bytes) -> tuple[bytes, ...]:
            # The agent runs as root, as the kernel's GENL_ADMIN_PERM requires.
            return handle_request(request, source, is_admin=True, options=options)

        reply = dump_evidence(send, device, type_mask, digest=digest, nonce=nonce)
        ctx = self.state.dev(device).ctx if self.state.topology.device(device) else None
        generation = ctx.evidence.generation if ctx is not None else None
        return replace(reply, generation=generation)

    def poll_events(self) -> tuple[PlatformEvent, ...]:
        self.poll_hardware()
        out, self._events = tuple(self._events), []
        return out

    def lock_params(self, device: str) -> tuple[int, int] | None:
        """LOCK_INTERFACE flags and MMIO reporting offset the devsec TSM uses.

        The v2 ABI does not report them; platform TSMs do (SEV-TIO's TDI info
        carries the LOCK flags). The relying party needs them to judge the report.
        """
        del device
        if not self.cc_guest:
            return None
        devsec = self.machine.devsec
        return int(devsec.lock_flags), devsec.reporting_offset

    def validate(self, device: str, generation: int) -> None:
        """The proposed netlink "validate" command (V10 T2, Dan 03-24): record the
        evidence generation the relying party validated. Not in the v2 ABI."""
        self._apply(act.Validate(device, generation))

    # -- emulation controls (not part of Linux's ABI) ----------------------------------------
    def device_dma(self, device: str, *, private: bool, t_bit: bool) -> str:
        """The device attempts a DMA write to private or shared memory, with T=1 or T=0:
        "allowed", "blocked" (IOMMU) or "faulted" (TSM / secure IOMMU)."""
        self.poll_hardware()
        target = Buffer.PRIVATE if private else Buffer.SHARED
        return device_dma(self.state, device, target, t_bit).value

    def cpu_mmio(self, device: str, addr: int, *, t_bit: bool) -> str:
        """The CPU touches the device's MMIO at ``addr`` with T=1 or T=0."""
        self.poll_hardware()
        return cpu_mmio(self.state, device, addr, t_bit).value

    def poll_hardware(self) -> None:
        """Feed hardware events to the kernel and keep its evidence copy current."""
        for event in self.machine.poll_events():
            if self.state.topology.device(event.bdf) is None:
                continue
            kind = _HW_TO_KERNEL.get(event.kind)
            if event.kind is HwEventKind.TDI_STATE and event.state is TdiState.ERROR:
                kind = act.HwKind.ERROR
            if kind is not None:
                self._apply(act.HwEvent(event.bdf, kind), raise_errors=False)
        self._sync_evidence()

    def _sync_evidence(self) -> None:
        """A TSM that refreshed its evidence bumps the generation the kernel reports."""
        for name, hw_tsm in self._hw_tsm.items():
            for spec in self.state.topology.devices:
                ctx = self.state.dev(spec.name).ctx
                if ctx is None or ctx.tsm != name:
                    continue
                current = hw_tsm.evidence(spec.name)  # type: ignore[attr-defined]
                if current is not None and current.objects != ctx.evidence.objects:
                    self._apply(act.HwEvent(spec.name, act.HwKind.EVIDENCE_REFRESH,
                                            evidence=current), raise_errors=False)

    # -- provider calls -------------------------------------------------------------------------
    def _apply(self, action: act.Action, *, raise_errors: bool = True) -> act.Result:
        pre = plan(self.state, action)
        if isinstance(pre, act.Result):
            if pre.errno and raise_errors:
                _raise(pre.errno, type(action).__name__)
            if pre.errno:
                return pre
        elif isinstance(pre, act.NeedsProvider):
            action = self._provide(pre, action)
        self.state, result = step(self.state, action)
        self._events.extend(_platform_event(e) for e in result.events)
        if result.errno and raise_errors:
            _raise(result.errno, type(action).__name__)
        return result

    def _provide(self, need: act.NeedsProvider, action: Any) -> act.Action:
        """Perform the TSM operation the kernel asked for; return the action with its reply."""
        bdf = need.device
        link, devsec = self.machine.link, self.machine.devsec
        match need.op:
            case "connect":
                code = link.connect(bdf)
                ev = link.evidence(bdf) if code == 0 else None
                return replace(action, reply=code, evidence=ev or EvidenceSet())
            case "disconnect":
                return replace(action, reply=link.disconnect(bdf))
            case "lock":
                code = devsec.lock(bdf)
                ev = devsec.evidence(bdf) if code == 0 else None
                report = ev.get(EvidenceType.REPORT).data if ev else b""
                return replace(action, reply=code, evidence=ev or EvidenceSet(), report=report)
            case "unlock":
                return replace(action, reply=devsec.unlock(bdf))
            case "accept":
                code = devsec.accept(bdf)
                return replace(action, reply=code,
                               run=code == 0 and devsec.tdi_state(bdf) is TdiState.RUN)
            case "bind":
                return replace(action, reply=link.bind(bdf, Bdf.parse(bdf).requester_id))
            case "unbind":
                return replace(action, reply=link.unbind(bdf))
            case "guest_req":
                return replace(action, reply=0)
            case "trust_ack":
                return self._trust_ack(need, action)
        return replace(action, reply=errno.EOPNOTSUPP)

    def _trust_ack(self, need: act.NeedsProvider, action: Any) -> act.Action:
        """Trust ops: TCB needs the TDI in RUN (or, under B2, the write drives RUN)."""
        bdf = need.device
        devsec = self.machine.devsec
        level = need.level or 0
        tcb = tcb_level(self.state.variant.levels)
        if level >= tcb:
            state = devsec.tdi_state(bdf) if devsec.is_locked(bdf) else None
            if state is TdiState.CONFIG_LOCKED and need.op == "trust_ack" \
                    and self.state.variant.run_driver.value == "trust-write":
                code = devsec.accept(bdf)
                state = devsec.tdi_state(bdf) if code == 0 else state
            ok = state is TdiState.RUN
            return replace(action, reply=0 if ok else errno.EPERM, run=ok)
        # Link level: the link must be protected (IDE stream up through the link TSM).
        pf0 = self.fleet.topology.device_of(bdf).pf0.bdf
        ok = self.machine.link.is_connected(pf0)
        return replace(action, reply=0 if ok else errno.EPERM)

    # -- helpers ------------------------------------------------------------------------------
    def _pci_attr(self, path: str) -> str | bytes | None:
        parts = path.rstrip("/").split("/")
        if (path.startswith(PCI_DEVICES) and len(parts) == 7 and parts[5] in self._functions
                and parts[6] in PCI_ATTRIBUTES):
            return pci_attribute(self._functions[parts[5]], parts[6])
        return None

    @property
    def tsm_names(self) -> dict[str, str]:
        """Kernel TSM name -> mode ("link"/"devsec")."""
        return {t.name: ("link" if t.mode is TsmMode.LINK else "devsec") for t in self.state.tsms}


def _platform_event(event: Event) -> PlatformEvent:
    return PlatformEvent(event.device, event.kind.value, event.detail)


def _raise(code: int, what: str) -> None:
    raise OSError(code, os.strerror(code), what)
