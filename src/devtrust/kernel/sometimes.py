# SPDX-License-Identifier: BSD-3-Clause
"""``sometimes`` partners of S1..S24 (STYLE 19): states where each property's antecedent holds.

A run (checker, stateful test) that never reaches one of these proves nothing
about the matching always-property; tests assert each is reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from devtrust.kernel.iommu import private_dma_allowed
from devtrust.kernel.levels import DmaScope, link_level, tcb_level
from devtrust.kernel.state import DeviceSpec, DeviceState, KernelState, TdiState

__all__ = ["SOMETIMES", "reached"]


def _top(s: KernelState) -> int:
    return tcb_level(s.variant.levels)


def _some(pred: Callable[[KernelState, DeviceSpec, DeviceState], bool]
          ) -> Callable[[KernelState], bool]:
    def check(state: KernelState) -> bool:
        return any(pred(state, p, d) for p, d in zip(state.topology.devices, state.devices,
                                                     strict=True))
    return check


SOMETIMES: Mapping[str, Callable[[KernelState], bool]] = MappingProxyType({
    "S1": _some(lambda s, p, d: d.level == 0 and s.module(p.driver or "") is not None),
    "S2": _some(lambda s, p, d: d.level == 0 and d.tdi is TdiState.ERROR),
    "S3": _some(lambda s, p, d: d.driver is not None and d.level >= 1),
    "S4": _some(lambda s, p, d: private_dma_allowed(d)),
    "S5": _some(lambda s, p, d: d.iommu is DmaScope.PRIVATE),
    "S6": _some(lambda s, p, d: d.level == _top(s)),
    "S7": _some(lambda s, p, d: d.tdi is TdiState.RUN and d.level < _top(s)),
    "S8": _some(lambda s, p, d: d.tdi is TdiState.ERROR),
    "S9": _some(lambda s, p, d: d.level == link_level(s.variant.levels)),
    "S10": _some(lambda s, p, d: d.acked >= 3),
    "S11": _some(lambda s, p, d: s.topology.cc_guest and d.cc_accepted),
    "S12": _some(lambda s, p, d: d.cc_accepted and d.tdi is TdiState.RUN),
    "S13": _some(lambda s, p, d: bool(d.encrypted)),
    "S14": _some(lambda s, p, d: bool(d.encrypted) and d.level < _top(s)),
    "S15": _some(lambda s, p, d: d.cc_accepted and d.driver is not None),
    "S16": _some(lambda s, p, d: d.tdi is TdiState.LOCKED and not d.encrypted),
    "S17": _some(lambda s, p, d: d.validated_generation > 0 and d.tdi is TdiState.RUN),
    "S18": _some(lambda s, p, d: d.tdi is TdiState.LOCKED),
    "S19": _some(lambda s, p, d: d.level == 1),
    "S20": _some(lambda s, p, d: d.ats),
    "S21": _some(lambda s, p, d: p.has_tee and d.tdi is TdiState.UNLOCKED and d.level >= 1
                 and d.driver is None),
    "S22": _some(lambda s, p, d: d.level >= 3),
    "S23": _some(lambda s, p, d: d.tdi is TdiState.RUN),
    "S24": _some(lambda s, p, d: s.variant.has_trust_attr and d.authorized),
})


def reached(state: KernelState) -> frozenset[str]:
    """The names of the sometimes-properties that hold in ``state``."""
    return frozenset(name for name, pred in SOMETIMES.items() if pred(state))
