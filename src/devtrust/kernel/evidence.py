# SPDX-License-Identifier: BSD-3-Clause
"""The evidence source the ``pci-tsm`` dump server reads (kernel-abi §5.8, §6.2).

:func:`evidence_of` answers ``(has_tsm_context, evidence)`` for a device name,
or None for an unknown device, matching
``devtrust.kernel.netlink.evidence_dump.EvidenceSource``.
"""

from __future__ import annotations

from collections.abc import Callable

from devtrust.kernel.state import KernelState
from devtrust.wire.evidence import EvidenceSet

__all__ = ["evidence_of", "evidence_source"]


def evidence_of(state: KernelState, name: str) -> tuple[bool, EvidenceSet | None] | None:
    """``pci_dev::tsm`` and its ``evidence`` (generation 0 means "no evidence")."""
    if state.topology.device(name) is None:
        return None
    ctx = state.dev(name).ctx
    if ctx is None:
        return (False, None)
    return (True, ctx.evidence)


def evidence_source(state: KernelState) -> Callable[[str], tuple[bool, EvidenceSet | None] | None]:
    """A lookup bound to one state, for ``evidence_dump`` (re-bind after every step)."""
    return lambda name: evidence_of(state, name)
