# SPDX-License-Identifier: BSD-3-Clause
"""Which ``tsm/`` attributes exist for a device (kernel-abi §3.4, §4.1; I60, I61).

Devsec attributes (lock, unlock, accept): at least one devsec TSM and the device
has TEE capability. Link attributes: at least one link TSM and (PF0 or a link
context): connect/disconnect on PF0 only, dsm on PF0 or a dependent function
with a context, bound when the PF0 (or the function's DSM) has TEE capability.
Under V3 (b) the trust write drives RUN and ``tsm/accept`` does not exist.
"""

from __future__ import annotations

from devtrust.kernel.state import ContextKind, KernelState, TsmMode
from devtrust.kernel.variants import RunDriver

__all__ = ["DEVSEC_ATTRS", "LINK_ATTRS", "tsm_attr_visible", "tsm_attrs"]

DEVSEC_ATTRS = ("lock", "unlock", "accept")
LINK_ATTRS = ("connect", "disconnect", "dsm", "bound")


def tsm_attr_visible(state: KernelState, name: str, attr: str) -> bool:
    spec = state.spec(name)
    dev = state.dev(name)
    if attr in DEVSEC_ATTRS:
        if attr == "accept" and state.variant.run_driver is RunDriver.TRUST_WRITE:
            return False
        return spec.has_tee and state.has_mode(TsmMode.DEVSEC)
    if attr not in LINK_ATTRS or not state.has_mode(TsmMode.LINK):
        return False
    is_fn = dev.ctx is not None and dev.ctx.kind is ContextKind.FUNCTION
    if attr in ("connect", "disconnect"):
        return spec.is_pf0
    if attr == "dsm":
        return spec.is_pf0 or is_fn
    # bound
    if spec.is_pf0:
        return spec.has_tee
    if is_fn and dev.ctx is not None and dev.ctx.dsm is not None:
        dsm = state.topology.device(dev.ctx.dsm)
        return dsm is not None and dsm.has_tee
    return False


def tsm_attrs(state: KernelState, name: str) -> tuple[str, ...]:
    """The visible ``tsm/`` attributes in listing order (empty: no ``tsm/`` directory)."""
    return tuple(a for a in (*LINK_ATTRS, *DEVSEC_ATTRS) if tsm_attr_visible(state, name, a))
