# SPDX-License-Identifier: BSD-3-Clause
"""The ``sometimes`` partners of the kernel invariants (STYLE 19) and the step-invariant names.

Each partner is a reachability goal that shows an invariant is not vacuous in
the explored space: S4 is only meaningful if private DMA ever opens, S8 only if
a device ever leaves RUN, and so on. Every S1..S24 has at least one partner
(S15 via the step invariant that names it). Predicates read kernel state
through the kernel's own public helpers; they decide nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from devtrust.check.model import Property, sometimes
from devtrust.kernel.actions import Action, HwEvent, HwKind, Result, Unlock, UnregisterTsm
from devtrust.kernel.dma import DmaOutcome, dma_map
from devtrust.kernel.invariants import STEP_INVARIANTS, Violation
from devtrust.kernel.iomem import MapMode, ioremap_mode
from devtrust.kernel.iommu import private_dma_allowed
from devtrust.kernel.levels import DmaScope, tcb_level
from devtrust.kernel.state import DeviceSpec, DeviceState, KernelState, TdiState
from devtrust.kernel.trust import link_assured
from devtrust.kernel.variants import Consistency, FlagRelation, RunDriver, Variant

__all__ = ["KNOWN", "PARTNERS", "not_applicable", "reachability", "step_violations"]

# The invariant names each kernel step invariant can report (read from
# devtrust.kernel.invariants; the "known-invariants" property fails if a step
# invariant ever reports a name missing here).
KNOWN: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "S3": ("S3", "S15", "I3"), "S7-strict": ("S7",), "S8-notify": ("S8",), "S23": ("S23",)})


def step_violations(pre: KernelState, action: Action, post: KernelState,
                    result: Result) -> tuple[Violation, ...]:
    out: list[Violation] = []
    for check in STEP_INVARIANTS.values():
        out.extend(check(pre, action, post, result))
    return tuple(out)


DevPred = Callable[[KernelState, DeviceSpec, DeviceState], bool]
EdgePred = Callable[[Action, DeviceState, DeviceState, int], bool]


def _any(pred: DevPred) -> Callable[[KernelState], bool]:
    def check(s: KernelState) -> bool:
        return any(pred(s, p, d) for p, d in zip(s.topology.devices, s.devices, strict=True))
    return check


def _edge(pred: EdgePred) -> Callable[[KernelState, Action, KernelState], bool]:
    def check(pre: KernelState, a: Action, post: KernelState) -> bool:
        return any(pred(a, d0, d1, tcb_level(pre.variant.levels))
                   for d0, d1 in zip(pre.devices, post.devices, strict=True))
    return check


def _top(s: KernelState) -> int:
    return tcb_level(s.variant.levels)


def _encrypted_map(s: KernelState, p: DeviceSpec, d: DeviceState) -> bool:
    return any(ioremap_mode(s, p.name, b.start, b.size) is MapMode.ENCRYPTED
               for b in p.bars if b.is_memory and b.size)


# name -> (description, partners, state predicate or None, edge predicate or None)
_GOALS: tuple[tuple[str, str, tuple[str, ...], DevPred | None, EdgePred | None], ...] = (
    ("driver-bound", "a driver binds to the TDISP device",
     ("S1", "S21"), lambda s, p, d: d.driver is not None, None),
    ("iommu-open", "the IOMMU lets the device DMA at all",
     ("S2", "S5"), lambda s, p, d: d.iommu is not DmaScope.NONE, None),
    ("level-changes", "a level changes (trust write, accept, reset)",
     ("S3", "S24"), None, lambda a, d0, d1, top: d0.level != d1.level),
    ("private-dma", "T=1 DMA to private memory is allowed",
     ("S4", "S5", "S7"), lambda s, p, d: private_dma_allowed(d), None),
    ("tcb-in-run", "the device is at TCB (v2: accepted) in RUN",
     ("S6", "S10", "S22", "I17"),
     lambda s, p, d: d.tdi is TdiState.RUN and (d.level == _top(s) or d.cc_accepted), None),
    ("run-below-tcb", "the device is RUN while its level is below TCB",
     ("S7",), lambda s, p, d: d.tdi is TdiState.RUN and d.level < _top(s), None),
    ("leaves-run", "the device leaves RUN (unlock, ERROR, link loss)",
     ("S8", "S23"), None, lambda a, d0, d1, top: d0.tdi is TdiState.RUN
     and d1.tdi is not TdiState.RUN),
    ("link-withdrawn", "link assurance is withdrawn from a device at level >= 2",
     ("S9",), None, lambda a, d0, d1, top: d0.level >= 2 and link_assured(d0)
     and not link_assured(d1)),
    ("dma-direct-private", "an accepted device's streaming DMA maps private memory directly",
     ("S11",), lambda s, p, d: d.cc_accepted and dma_map(s, d, coherent=False, decrypted=False)
     is DmaOutcome.DIRECT_PRIVATE, None),
    ("dma-bounced", "an unaccepted device's streaming DMA bounces through swiotlb",
     ("S11", "S19"), lambda s, p, d: not d.cc_accepted and dma_map(
         s, d, coherent=False, decrypted=False) is DmaOutcome.BOUNCE, None),
    ("accepted-run", "an accepted device runs (shared mappings must stay reachable)",
     ("S12",), lambda s, p, d: d.cc_accepted and d.tdi is TdiState.RUN, None),
    ("encrypted-ioremap", "an ioremap of the device's BAR maps encrypted",
     ("S13", "S14", "I35"), _encrypted_map, None),
    ("enters-run", "a LOCKED device enters RUN (accept or trust write, from unbound)",
     ("S15", "S6"), None, lambda a, d0, d1, top: d0.tdi is TdiState.LOCKED
     and d1.tdi is TdiState.RUN),
    ("unlock-after-accept", "an accepted device is unlocked",
     ("S16",), None, lambda a, d0, d1, top: isinstance(a, Unlock) and d0.cc_accepted
     and d1.ctx is None),
    ("run-validated", "RUN with the evidence generation userspace validated",
     ("S17",), lambda s, p, d: d.tdi is TdiState.RUN and d.accept_generation != 0
     and d.accept_generation == d.validated_generation, None),
    ("locked", "the interface is CONFIG_LOCKED",
     ("S18", "I3"), lambda s, p, d: d.tdi is TdiState.LOCKED, None),
    ("level-1-open", "the device sits at level 1 with DMA open",
     ("S19",), lambda s, p, d: d.level == 1 and d.iommu is not DmaScope.NONE, None),
    ("ats-on", "ATS is enabled", ("S20",), lambda s, p, d: d.ats, None),
    ("error-in-run", "a RUN device hits TDISP ERROR",
     ("S8",), None, lambda a, d0, d1, top: isinstance(a, HwEvent) and a.kind is HwKind.ERROR
     and d0.tdi is TdiState.RUN),
    ("authorized-trusted", "authorized reads 1 at a nonzero level",
     ("S24",), lambda s, p, d: d.authorized and d.level >= 1, None),
)

PARTNERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {g[0]: g[2] for g in _GOALS} | {"tsm-departs-with-context": ("I13",)})


def not_applicable(variant: Variant) -> Mapping[str, str]:
    """Goals a variant makes unreachable by design, each with the reason."""
    out: dict[str, str] = {}
    if not variant.has_trust_attr:
        out["run-below-tcb"] = "v2 derives the level from acceptance: RUN implies TCB"
    elif variant.run_driver is RunDriver.TRUST_WRITE and \
            variant.consistency is Consistency.STRICT:
        out["run-below-tcb"] = ("B2 + STRICT: only trust=TCB drives RUN and lowering while "
                                "RUN is refused")
    if variant.bug_bounce_unaccepted_truncated:
        out["dma-bounced"] = "D1 turns bouncing off (S11 and S19 report exactly that)"
    if variant.has_trust_attr and variant.flags is FlagRelation.MERGE_UNTRUSTED:
        out["authorized-trusted"] = "V13 (a): there is no authorized attribute"
    return MappingProxyType(out)


def reachability(variant: Variant, tsm_churn: bool) -> tuple[Property, ...]:
    """The ``sometimes`` partners that apply to ``variant`` and the explored scope."""
    skip = not_applicable(variant)
    out = [sometimes(name, _any(state) if state else None,
                     on_step=_edge(edge) if edge else None, description=desc,
                     partners=partners)
           for name, desc, partners, state, edge in _GOALS if name not in skip]
    if tsm_churn:
        out.append(sometimes(
            "tsm-departs-with-context", on_step=lambda pre, a, post: isinstance(
                a, UnregisterTsm) and any(d.ctx is not None and d.ctx.tsm == a.tsm
                                          for d in pre.devices),
            description="a TSM unregisters while it owns a device context", partners=("I13",)))
    return tuple(out)
