# SPDX-License-Identifier: BSD-3-Clause
"""``enabled_actions(state)``: the checker's action alphabet, in a defined order (STYLE 9).

Provider replies are enumerated nondeterministically: success where the
hardware could succeed, and one plausible failure errno. Hardware events are
offered where they make sense. The order is topology order, then a fixed
per-device list, then global actions; it depends only on the state.
"""

from __future__ import annotations

import errno

from devtrust.kernel.actions import (
    Accept,
    Action,
    Buffer,
    Connect,
    CpuMmio,
    DeviceDma,
    Disconnect,
    DmaMap,
    DriverBind,
    DriverUnbind,
    HwEvent,
    HwKind,
    IommuSync,
    Ioremap,
    LoadModule,
    Lock,
    RegisterTsm,
    SetAuthorized,
    SetDriverOverride,
    SetModulesAutoprobe,
    SetTrust,
    TsmBind,
    TsmUnbind,
    UnloadModule,
    Unlock,
    UnregisterTsm,
    UserValidate,
    Validate,
)
from devtrust.kernel.hwevents import hw_event_check
from devtrust.kernel.levels import max_level
from devtrust.kernel.state import ContextKind, DeviceSpec, KernelState, TdiState, TsmMode
from devtrust.kernel.variants import AttachGate, EvidenceBinding, MmioSource
from devtrust.wire.tdisp.report import InterfaceInfo, MmioRange, RangeAttr, TdiReport

__all__ = [
    "enabled_actions",
    "honest_report",
]

_FAIL = errno.ENOMEM   # the plausible provider failure offered everywhere


def _device_actions(state: KernelState, name: str, *, queries: bool) -> list[Action]:
    spec = state.spec(name)
    dev = state.dev(name)
    variant = state.variant
    out: list[Action] = []
    links = [t.name for t in state.tsms if t.mode is TsmMode.LINK]
    devsecs = [t.name for t in state.tsms if t.mode is TsmMode.DEVSEC]
    for tsm in links:
        out += [Connect(name, tsm), Connect(name, tsm, reply=_FAIL)]
    if dev.ctx is not None:
        out += [Disconnect(name, dev.ctx.tsm), Unlock(name, dev.ctx.tsm)]
        if dev.ctx.kind is not ContextKind.DEVSEC:
            out += [TsmBind(name, 1), TsmUnbind(name)]
        gen = dev.ctx.evidence.generation
        out.append(UserValidate(name, gen))
        if variant.evidence_binding is EvidenceBinding.VALIDATE_COMMAND:
            out.append(Validate(name, gen))
    for tsm in devsecs:
        # Report-based encrypted MMIO needs the report an honest TSM publishes at LOCK.
        report = (honest_report(state.spec(name))
                  if variant.mmio_source is MmioSource.REPORT else b"")
        out += [Lock(name, tsm, reply=0 if dev.tdi is TdiState.UNLOCKED else errno.EIO,
                     report=report),
                Lock(name, tsm, reply=_FAIL)]
    gen_suffix = ""
    if variant.evidence_binding is EvidenceBinding.GENERATION_INTO_ACCEPT:
        gen_suffix = f" generation={dev.validated_generation}"
    run_ok = dev.tdi is TdiState.LOCKED
    # The v2 sample TSM accepts again on a RUN device (D11); real TSMs refuse.
    tsm_ok = run_ok or (dev.tdi is TdiState.RUN and variant.bug_double_accept)
    out += [Accept(name, "1" + gen_suffix, reply=0 if tsm_ok else errno.EIO, run=run_ok),
            Accept(name, "1" + gen_suffix, reply=_FAIL), Accept(name, "0")]
    if variant.has_trust_attr:
        for level in range(max_level(variant.levels) + 1):
            value = str(level) + (gen_suffix if level == max_level(variant.levels) else "")
            out += [SetTrust(name, value, run=run_ok), SetTrust(name, value, reply=errno.EPERM)]
    out += [SetAuthorized(name, "1"), SetAuthorized(name, "0")]
    for drv in state.topology.drivers:
        if dev.driver == drv.name:
            out.append(DriverUnbind(drv.name, name))
        else:
            out.append(DriverBind(drv.name, name))
    if not dev.driver_override and spec.driver is None and state.topology.drivers:
        out.append(SetDriverOverride(name, state.topology.drivers[0].name))
    for kind in HwKind:
        event = HwEvent(name, kind)
        if hw_event_check(state, event) == 0:
            out.append(event)
    if dev.iommu_pending:
        out.append(IommuSync(name))
    if queries:
        out += [DmaMap(name), DmaMap(name, coherent=True), DmaMap(name, decrypted=True),
                DeviceDma(name, Buffer.PRIVATE, True), DeviceDma(name, Buffer.SHARED, False)]
        for bar in spec.bars:
            out += [Ioremap(name, bar.start, bar.size), CpuMmio(name, bar.start, True),
                    CpuMmio(name, bar.start, False)]
    return out


def enabled_actions(state: KernelState, *, queries: bool = False) -> tuple[Action, ...]:
    """Every action worth trying in ``state``, deterministic order.

    ``queries`` adds the read-only DMA / ioremap / access probes.
    """
    out: list[Action] = []
    for spec in state.topology.devices:
        out += _device_actions(state, spec.name, queries=queries)
    for mode in ("link", "devsec"):
        if sum(t.mode.value == mode for t in state.tsms) < 1:
            out.append(RegisterTsm(mode))
    out += [UnregisterTsm(t.name) for t in state.tsms]
    modules = sorted({d.module for d in state.topology.drivers if d.module is not None})
    for module in modules:
        if state.module(module) is None:
            out += [LoadModule(module, "0"), LoadModule(module, "1")]
            if state.variant.attach_gate is AttachGate.MODULE_TRUST:
                out.append(LoadModule(module, None, str(max_level(state.variant.levels))))
        else:
            out.append(UnloadModule(module))
    out.append(SetModulesAutoprobe("0" if state.modules_autoprobe else "1"))
    return tuple(out)


def honest_report(spec: DeviceSpec) -> bytes:
    """The interface report an honest TSM publishes at LOCK: every memory BAR, whole,
    reporting offset 0 (so report-based encrypted MMIO can be set up at accept)."""
    ranges = tuple(MmioRange(bar.start >> 12, bar.size >> 12, RangeAttr(0), bar.index)
                   for bar in spec.bars if bar.is_memory)
    return TdiReport(InterfaceInfo(0), 0, 0, 0, ranges, b"").encode()
