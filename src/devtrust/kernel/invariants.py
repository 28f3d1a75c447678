# SPDX-License-Identifier: BSD-3-Clause
"""S1..S24 (trust-model.md §10) and kernel-abi §11 invariants as executable predicates.

State invariants take a :class:`KernelState`; step invariants take
``(pre, action, post, result)``. Each returns the violations it finds (empty
when it holds). :func:`expected_violations` is the table of invariants a
variant genuinely violates (the finding, not a test escape): the stateful tests
assert that nothing outside it is ever observed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from devtrust.kernel.access import AccessOutcome, device_dma
from devtrust.kernel.actions import Accept, Buffer, HwEvent, Result, SetTrust, Unlock
from devtrust.kernel.dma import DmaOutcome, dma_map, is_swiotlb_force_bounce
from devtrust.kernel.events import EventKind
from devtrust.kernel.iomem import MapMode, ioremap_mode
from devtrust.kernel.iommu import private_dma_allowed
from devtrust.kernel.levels import DmaScope, ceiling, link_level, permissions, tcb_level
from devtrust.kernel.parse import kstrtobool
from devtrust.kernel.state import ContextKind, DeviceSpec, DeviceState, KernelState, TdiState
from devtrust.kernel.trust import link_assured, provider
from devtrust.kernel.variants import (
    AttachGate,
    BootDefault,
    Consistency,
    DmaGranularity,
    EvidenceBinding,
    FlagRelation,
    RunDriver,
    Unblock,
    Variant,
)

__all__ = ["STATE_INVARIANTS", "STEP_INVARIANTS", "Violation", "check_state", "check_step",
           "expected_violations"]


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    device: str
    detail: str


DevPred = Callable[[KernelState, DeviceSpec, DeviceState], str | None]


def _per_device(name: str, pred: DevPred) -> Callable[[KernelState], tuple[Violation, ...]]:
    def check(state: KernelState) -> tuple[Violation, ...]:
        out = []
        for spec, dev in zip(state.topology.devices, state.devices, strict=True):
            why = pred(state, spec, dev)
            if why:
                out.append(Violation(name, spec.name, why))
        return tuple(out)
    check.__name__ = name
    return check


def _top(s: KernelState) -> int:
    return tcb_level(s.variant.levels)


def _s1(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.level == 0 and (d.driver is not None or d.probed_at_zero):
        return f"level 0 but bound to {d.driver}"
    return None


def _s2(_s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.level == 0 and (d.iommu is not DmaScope.NONE or d.ats):
        return f"level 0 but IOMMU domain {d.iommu.name}"
    return None


def _s4(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if private_dma_allowed(d) and not (d.level == _top(s) and d.tdi is TdiState.RUN):
        return f"private DMA open at level {d.level} in {d.tdi.value}"
    return None


def _s5(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    perms = permissions(s.variant.levels, d.level)
    if d.iommu > perms.dma or (d.ats and not perms.ats):
        return f"granted {d.iommu.name}/ats={d.ats} exceeds level {d.level}"
    return None


def _s6(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.level == _top(s) and s.variant.has_trust_attr and d.tdi is not TdiState.RUN:
        return f"level TCB in {d.tdi.value}"
    if not s.variant.has_trust_attr and d.cc_accepted and d.tdi is not TdiState.RUN:
        return f"cc_accepted in {d.tdi.value}"
    return None


def _s7(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.tdi is TdiState.RUN and d.level < _top(s) and d.iommu is DmaScope.PRIVATE:
        return f"RUN at level {d.level} yet the IOMMU opens private memory"
    return None


def _s8(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.tdi is not TdiState.RUN and d.iommu is DmaScope.PRIVATE:
        return f"left RUN ({d.tdi.value}) with private DMA still open"
    if d.tdi is not TdiState.RUN and (d.cc_accepted or d.level == _top(s)):
        return f"left RUN ({d.tdi.value}) at level {d.level}, accepted={d.cc_accepted}"
    return None


def _s9(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.level == link_level(s.variant.levels) and not link_assured(d):
        return "level Link without link security"
    return None


def _s10(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if s.variant.has_trust_attr and permissions(s.variant.levels, d.level).needs_ack \
            and d.acked < d.level:
        return f"level {d.level} without a trust-ops ACK"
    return None


def _s11(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if not s.topology.cc_guest or d.iommu is DmaScope.NONE:
        return None
    stream = dma_map(s, d, coherent=False, decrypted=False)
    coherent = dma_map(s, d, coherent=True, decrypted=False)
    if not d.cc_accepted and (stream is not DmaOutcome.BOUNCE
                              or coherent is not DmaOutcome.DIRECT_SHARED):
        return f"unaccepted device: streaming {stream.value}, coherent {coherent.value}"
    if d.cc_accepted and not s.topology.swiotlb_force and stream is DmaOutcome.BOUNCE:
        return "accepted device still bounced"
    return None


def _s12(s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    if not (s.topology.cc_guest and d.tdi is TdiState.RUN and d.cc_accepted):
        return None
    shared = dma_map(s, d, coherent=False, decrypted=True)
    if shared is DmaOutcome.DIRECT_PRIVATE:
        return "shared mapping handed out as private"
    if device_dma(s, p.name, Buffer.SHARED, False) is not AccessOutcome.ALLOWED:
        return "RUN device cannot reach shared memory"
    return None


def _s13(s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    for bar in p.bars:
        if not (bar.is_memory and bar.size):
            continue
        touches = any(a <= bar.end and bar.start <= b for dd in s.devices for a, b in dd.encrypted)
        if touches and ioremap_mode(s, p.name, bar.start, bar.size) is MapMode.PLAIN:
            return f"BAR{bar.index} touches an encrypted range but maps plain"
    return None


def _s14(s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    if d.level >= _top(s):
        return None
    for start, end in d.encrypted:
        if ioremap_mode(s, p.name, start, end - start + 1) is MapMode.ENCRYPTED:
            return f"encrypted ioremap allowed at level {d.level}"
    return None


def _s16(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if len(set(d.encrypted)) != len(d.encrypted):
        return f"duplicate encrypted resources {d.encrypted}"
    if d.encrypted and (d.ctx is None or d.ctx.kind is not ContextKind.DEVSEC):
        return "encrypted resources without a devsec context"
    return None


def _s17(_s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    # Judged at the RUN transition: validating refreshed evidence later is not a violation.
    if d.tdi is TdiState.RUN and d.accept_generation and \
            d.accept_generation != d.accept_validated:
        return (f"RUN granted at evidence generation {d.accept_generation}, validated "
                f"{d.accept_validated}")
    return None


def _s18(s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    if d.tdi is TdiState.LOCKED and any(
            device_dma(s, p.name, t, True) is not AccessOutcome.FAULTED for t in Buffer):
        return "LOCKED interface's T=1 DMA not faulted"
    return None


def _s19(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.level == 1 and (d.ats or d.iommu > DmaScope.STRICT_SHARED):
        return f"level 1 with {d.iommu.name} ats={d.ats}"
    if d.level == 1 and s.topology.cc_guest and not is_swiotlb_force_bounce(s, d):
        return "level 1 in a CC guest not bounced"
    return None


def _s20(_s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    return f"ATS on at level {d.level}" if d.ats and d.level < 2 else None


def _s21(s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    if s.topology.cc_guest and p.has_tee and d.auto_bound and d.tdi is not TdiState.RUN:
        return "TDISP-capable device auto-bound in T=0"
    return None


def _s22(s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    if not s.variant.has_trust_attr:
        return None
    top = ceiling(s.variant.levels, provider(s, p.name))
    return f"level {d.level} above provider ceiling {top}" if d.level > top else None


def _s24(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    v = s.variant
    if v.has_trust_attr and v.flags is FlagRelation.CROSS_REFLECT and \
            d.authorized != (d.level >= 1):
        return f"authorized={d.authorized} at level {d.level}"
    return None


def _i13(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.ctx is not None and s.tsm(d.ctx.tsm) is None:
        return f"context owned by departed {d.ctx.tsm}"
    return None


def _i17(_s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.cc_accepted and (d.ctx is None or d.ctx.kind is not ContextKind.DEVSEC):
        return "accepted without a devsec context"
    return None


def _i35(_s: KernelState, p: DeviceSpec, d: DeviceState) -> str | None:
    for a, b in d.encrypted:
        if not any(bar.start <= a and b <= bar.end for bar in p.bars):
            return f"encrypted {a:#x}-{b:#x} outside the device's BARs"
    return None


def _i60(s: KernelState, _p: DeviceSpec, d: DeviceState) -> str | None:
    if d.ctx is not None and d.ctx.kind is ContextKind.FUNCTION:
        dsm = s.dev(d.ctx.dsm or "")
        if dsm.ctx is None or dsm.ctx.kind is not ContextKind.PF0:
            return "function context without a connected DSM"
    return None


def _i56(state: KernelState) -> tuple[Violation, ...]:
    """Stream accounting: the used set is exactly the PF0 contexts' streams."""
    out = []
    for bridge in state.topology.host_bridges:
        held = sorted(d.ctx.stream for p, d in zip(state.topology.devices, state.devices,
                                                   strict=True)
                      if p.host_bridge == bridge.name and d.ctx is not None
                      and d.ctx.stream is not None)
        if held != sorted(state.used_streams(bridge.name)):
            out.append(Violation("I56", bridge.name, f"streams {held} vs accounted "
                                 f"{state.used_streams(bridge.name)}"))
    return tuple(out)


def _transitions(state: KernelState) -> tuple[Violation, ...]:
    return tuple(Violation("STYLE11", "", v) for v in state.violations)


STATE_INVARIANTS: Mapping[str, Callable[[KernelState], tuple[Violation, ...]]] = MappingProxyType({
    "S1": _per_device("S1", _s1), "S2": _per_device("S2", _s2), "S4": _per_device("S4", _s4),
    "S5": _per_device("S5", _s5), "S6": _per_device("S6", _s6), "S7": _per_device("S7", _s7),
    "S8": _per_device("S8", _s8), "S9": _per_device("S9", _s9), "S10": _per_device("S10", _s10),
    "S11": _per_device("S11", _s11), "S12": _per_device("S12", _s12),
    "S13": _per_device("S13", _s13), "S14": _per_device("S14", _s14),
    "S16": _per_device("S16", _s16), "S17": _per_device("S17", _s17),
    "S18": _per_device("S18", _s18), "S19": _per_device("S19", _s19),
    "S20": _per_device("S20", _s20), "S21": _per_device("S21", _s21),
    "S22": _per_device("S22", _s22), "S24": _per_device("S24", _s24),
    "I13": _per_device("I13", _i13), "I17": _per_device("I17", _i17),
    "I35": _per_device("I35", _i35), "I56": _i56, "I60": _per_device("I60", _i60),
    "STYLE11": _transitions,
})


def _step_s3(pre: KernelState, a: object, post: KernelState, _r: Result) -> list[Violation]:
    """S3/I1/I3: level, acceptance and TSM context never change under a bound driver.

    Provider withdrawals are exempt: a hardware event, a disconnect or a TSM
    leaving must lower the level at once (S8, S9) whether or not a driver is bound.
    """
    if isinstance(a, HwEvent) or type(a).__name__ in ("Disconnect", "UnregisterTsm"):
        return []
    out = []
    for p, d0, d1 in zip(pre.topology.devices, pre.devices, post.devices, strict=True):
        if d0.driver is None or d1.driver is None:
            continue
        if d0.level != d1.level:
            out.append(Violation("S3", p.name, f"level {d0.level}->{d1.level} while bound"))
        if d0.cc_accepted != d1.cc_accepted:
            out.append(Violation("S15", p.name, "acceptance changed while bound"))
        devsec = any(c is not None and c.kind is ContextKind.DEVSEC for c in (d0.ctx, d1.ctx))
        if devsec and d0.ctx is not d1.ctx:
            out.append(Violation("I3", p.name, "TSM context changed while bound"))
    return out


def _step_s7(pre: KernelState, a: object, post: KernelState, r: Result) -> list[Violation]:
    """S7 (03-23 STRICT): a request below TCB while RUN fails."""
    if pre.variant.consistency is not Consistency.STRICT or not isinstance(a, SetTrust):
        return []
    d0, d1 = pre.dev(a.device), post.dev(a.device)
    if r.errno == 0 and d0.tdi is TdiState.RUN and d1.level < _top(pre) and d1.level != d0.level:
        return [Violation("S7", a.device, "set below TCB accepted while RUN")]
    return []


def _step_s8(pre: KernelState, a: object, post: KernelState, r: Result) -> list[Violation]:
    """S8: leaving RUN emits a notification (trust variants)."""
    if not pre.variant.has_trust_attr:
        return []
    out = []
    for p, d0, d1 in zip(pre.topology.devices, pre.devices, post.devices, strict=True):
        if d0.tdi is TdiState.RUN and d1.tdi is not TdiState.RUN and not any(
                e.kind is EventKind.TRUST_CHANGE and e.device == p.name for e in r.events):
            out.append(Violation("S8", p.name, "left RUN without a notification"))
    return out


def _step_s23(pre: KernelState, a: object, post: KernelState, r: Result) -> list[Violation]:
    """S23: no unaccept verb; RUN is left only by unlock or a hardware event."""
    out = []
    if isinstance(a, Accept) and kstrtobool(a.value) is False and r.errno == 0:
        out.append(Violation("S23", a.device, "accept false succeeded"))
    for p, d0, d1 in zip(pre.topology.devices, pre.devices, post.devices, strict=True):
        if d0.tdi is TdiState.RUN and d1.tdi is not TdiState.RUN and not isinstance(
                a, Unlock | HwEvent) and type(a).__name__ != "UnregisterTsm":
            out.append(Violation("S23", p.name, f"left RUN through {type(a).__name__}"))
    return out


STEP_INVARIANTS: Mapping[str, Callable[..., list[Violation]]] = MappingProxyType({
    "S3": _step_s3, "S7-strict": _step_s7, "S8-notify": _step_s8, "S23": _step_s23})


def check_state(state: KernelState) -> tuple[Violation, ...]:
    out: list[Violation] = []
    for check in STATE_INVARIANTS.values():
        out.extend(check(state))
    return tuple(out)


def check_step(pre: KernelState, action: object, post: KernelState,
               result: Result) -> tuple[Violation, ...]:
    out: list[Violation] = []
    for check in STEP_INVARIANTS.values():
        out.extend(check(pre, action, post, result))
    return tuple(out)


def expected_violations(variant: Variant) -> frozenset[str]:
    """Invariants the variant genuinely violates (docs/variants.md explains each).

    - I13 everywhere: TSM unregistration leaves a bound device's context (D15, v2 code).
    - S14 unless V7 (a): encrypted MMIO maps below TCB; S14 is only claimed under V7 (a).
    - S17 under T0: nothing binds accept to the validated evidence generation.
    - S21 with autoprobe gating or a nonzero boot default: TDISP devices auto-bind in T=0.
    - v2: no ERROR handling (S6, S8), bus callback keeps private DMA open (S4, S5, S7).
    - bus-callback unblock with RUN before TCB (V3 c + V5 a): S2, S4, S5, S7, S19.
    - V6 (b): the responder lags the published level (S1, S2, S4, S5, S7, S8, S19, S20).
    - V12 (a): link-security withdrawal leaves Link/TCB in place (S9, S22).
    - V14 (a): a RUN device is locked to private memory (S12).
    - the D1/D10/D11 bug flags: S11/S19; STYLE11; S16.
    """
    found = {"I13"}
    if not variant.refuse_encrypted_below_tcb:
        found.add("S14")
    if variant.evidence_binding is EvidenceBinding.NONE:
        found.add("S17")
    if variant.attach_gate is not AttachGate.TRUST_ZERO or \
            variant.boot_default is not BootDefault.ALL_ZERO:
        found.add("S21")
    if not variant.has_trust_attr:
        found |= {"S6", "S8"}
    if variant.unblock is Unblock.BUS_CALLBACK and variant.run_driver is not \
            RunDriver.TRUST_WRITE and variant.has_trust_attr:
        found |= {"S2", "S4", "S5", "S7", "S19"}
    if not variant.synchronous:
        # A lagging responder also keeps private DMA open below TCB while RUN (S7).
        found |= {"S2", "S4", "S5", "S7", "S8", "S19", "S20", "S1"}
    if not variant.lower_on_link_withdrawal and variant.has_trust_attr:
        found |= {"S9", "S22"}
    if variant.dma_granularity is DmaGranularity.PER_DEVICE:
        found.add("S12")
    if variant.bug_bounce_unaccepted_truncated:
        found |= {"S11", "S19"}
    if variant.bug_unlock_never_accepted:
        found.add("STYLE11")
    if variant.bug_double_accept:
        found |= {"S16", "STYLE11"}
    return frozenset(found)

