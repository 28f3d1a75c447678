# SPDX-License-Identifier: BSD-3-Clause
"""The pure kernel core: ``plan``, ``step`` and ``enabled_actions``.

``step(state, action) -> (state, Result)`` is the only way state changes. Every
operation is a (check, apply) pair; ``plan`` runs only the check and tells the
platform whether a provider (TSM, trust ops) must be consulted; ``step`` runs
the same check again and applies the reply carried by the action.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from devtrust.kernel import drivers, pci_tsm, trust, tsm_registry
from devtrust.kernel import iommu as iommu_mod
from devtrust.kernel.access import cpu_mmio, device_dma
from devtrust.kernel.actions import (
    Accept,
    Action,
    Connect,
    CpuMmio,
    DeviceDma,
    Disconnect,
    DmaMap,
    DriverBind,
    DriverUnbind,
    GuestReq,
    HwEvent,
    IommuSync,
    Ioremap,
    LoadModule,
    Lock,
    NeedsProvider,
    Ready,
    RegisterTsm,
    Result,
    SampleEvidenceWrite,
    SetAuthorized,
    SetDriverOverride,
    SetDriversAutoprobe,
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
from devtrust.kernel.dma import dma_map
from devtrust.kernel.enabled import enabled_actions
from devtrust.kernel.hwevents import hw_event_apply, hw_event_check
from devtrust.kernel.iomem import ioremap_mode
from devtrust.kernel.parse import kstrtobool
from devtrust.kernel.sample_evidence import sample_write_apply, sample_write_check
from devtrust.kernel.state import KernelState
from devtrust.kernel.variants import AttachGate, EvidenceBinding

__all__ = ["devices_of", "enabled_actions", "plan", "step"]

Check = int | NeedsProvider | Ready


def _ok(_state: KernelState, _a: Any) -> Check:
    return Ready()


def _norm(pre: Check) -> Check:
    if isinstance(pre, int) and pre == 0:
        return Ready()
    return pre


def _device_exists(state: KernelState, a: Any) -> bool:
    name = getattr(a, "device", None)
    return name is None or state.topology.device(name.strip()) is not None


# ---------------------------------------------------------------- small operations


def _trust_apply(state: KernelState, a: SetTrust, pre: Check) -> tuple[KernelState, Result]:
    assert isinstance(pre, NeedsProvider | Ready)
    before = state.dev(a.device).level
    dev, err, events = trust.trust_apply(state, a, pre)
    if err:
        return state, Result(err)
    state = state.with_device(a.device, dev)
    if (before == 0 < dev.level and state.variant.attach_gate is AttachGate.TRUST_ZERO):
        # V9 (b): trust becoming nonzero runs the normal autoprobe flow.
        state, more = drivers.autoprobe_device(state, a.device)
        events += more
    return state, Result(events=events)


def _authorized_check(state: KernelState, a: SetAuthorized) -> Check:
    err, equivalent = trust.authorized_check(state, a)
    if err or equivalent is None:
        return err if err else Ready()
    return trust.trust_check(state, equivalent)


def _authorized_apply(state: KernelState, a: SetAuthorized, pre: Check
                      ) -> tuple[KernelState, Result]:
    _err, equivalent = trust.authorized_check(state, a)
    if equivalent is not None:
        return _trust_apply(state, equivalent, pre)
    if not state.variant.has_trust_attr:
        value = bool(kstrtobool(a.value))
        dev = replace(state.dev(a.device), authorized=value, user_set=True)
        return state.with_device(a.device, dev), Result()
    return state, Result()


def _validate_check(state: KernelState, a: Validate) -> Check:
    """Netlink "validate" command (V10 T2).

    Context: ``pci_tsm_rwsem`` held for read (netlink).
    Return: EOPNOTSUPP (variant has no validate command), ENXIO (no TSM context),
    ESTALE (the generation is not the current one).
    """
    if state.variant.evidence_binding is not EvidenceBinding.VALIDATE_COMMAND:
        return errno.EOPNOTSUPP
    dev = state.dev(a.device)
    if dev.ctx is None:
        return errno.ENXIO
    if dev.ctx.evidence.generation != a.generation:
        return errno.ESTALE
    return Ready()


def _validate_apply(state: KernelState, a: Validate | UserValidate, _pre: Check
                    ) -> tuple[KernelState, Result]:
    dev = replace(state.dev(a.device), validated_generation=a.generation)
    return state.with_device(a.device, dev), Result()


def _override_apply(state: KernelState, a: SetDriverOverride, _pre: Check
                    ) -> tuple[KernelState, Result]:
    dev = replace(state.dev(a.device), driver_override=a.value.strip())
    return state.with_device(a.device, dev), Result()


def _bool_check(state: KernelState, a: SetDriversAutoprobe | SetModulesAutoprobe) -> Check:
    return errno.EINVAL if kstrtobool(a.value) is None else Ready()


def _drivers_autoprobe_apply(state: KernelState, a: SetDriversAutoprobe, _pre: Check
                             ) -> tuple[KernelState, Result]:
    return replace(state, drivers_autoprobe=bool(kstrtobool(a.value))), Result()


def _modules_autoprobe_apply(state: KernelState, a: SetModulesAutoprobe, _pre: Check
                             ) -> tuple[KernelState, Result]:
    return replace(state, modules_autoprobe=bool(kstrtobool(a.value))), Result()


def _sync_apply(state: KernelState, a: IommuSync, _pre: Check) -> tuple[KernelState, Result]:
    dev = iommu_mod.sync(state.variant, state.dev(a.device))
    return state.with_device(a.device, dev), Result()


def _query(fn: Callable[[KernelState, Any], str]) -> Callable[..., tuple[KernelState, Result]]:
    def apply(state: KernelState, a: Any, _pre: Check) -> tuple[KernelState, Result]:
        return state, Result(value=fn(state, a))
    return apply


def _pre_apply(fn: Callable[[KernelState, Any], tuple[KernelState, Result]]
               ) -> Callable[..., tuple[KernelState, Result]]:
    def apply(state: KernelState, a: Any, _pre: Check) -> tuple[KernelState, Result]:
        return fn(state, a)
    return apply


_TABLE: Mapping[type, tuple[Callable[..., Check], Callable[..., tuple[KernelState, Result]]]] = \
    MappingProxyType({
    Connect: (pci_tsm.connect_check, _pre_apply(pci_tsm.connect_apply)),
    Disconnect: (pci_tsm.disconnect_check, _pre_apply(pci_tsm.disconnect_apply)),
    Lock: (pci_tsm.lock_check, _pre_apply(pci_tsm.lock_apply)),
    Accept: (pci_tsm.accept_check, _pre_apply(pci_tsm.accept_apply)),
    Unlock: (pci_tsm.unlock_check, _pre_apply(pci_tsm.unlock_apply)),
    TsmBind: (pci_tsm.tsm_bind_check, _pre_apply(pci_tsm.tsm_bind_apply)),
    TsmUnbind: (_ok, _pre_apply(pci_tsm.tsm_unbind_apply)),
    GuestReq: (pci_tsm.guest_req_check, _pre_apply(pci_tsm.guest_req_apply)),
    SetTrust: (trust.trust_check, _trust_apply),
    SetAuthorized: (_authorized_check, _authorized_apply),
    Validate: (_validate_check, _validate_apply),
    UserValidate: (_ok, _validate_apply),
    DriverBind: (drivers.bind_check, drivers.bind_apply),
    DriverUnbind: (drivers.unbind_check, _pre_apply(drivers.unbind_apply)),
    SetDriverOverride: (_ok, _override_apply),
    SetDriversAutoprobe: (_bool_check, _drivers_autoprobe_apply),
    SetModulesAutoprobe: (_bool_check, _modules_autoprobe_apply),
    LoadModule: (drivers.load_check, _pre_apply(drivers.load_apply)),
    UnloadModule: (drivers.unload_check, _pre_apply(drivers.unload_apply)),
    RegisterTsm: (tsm_registry.register_check, _pre_apply(tsm_registry.register_apply)),
    UnregisterTsm: (tsm_registry.unregister_check, _pre_apply(tsm_registry.unregister_apply)),
    HwEvent: (hw_event_check, _pre_apply(hw_event_apply)),
    SampleEvidenceWrite: (sample_write_check, _pre_apply(sample_write_apply)),
    IommuSync: (_ok, _sync_apply),
    DmaMap: (_ok, _query(lambda s, a: dma_map(s, s.dev(a.device), coherent=a.coherent,
                                              decrypted=a.decrypted).value)),
    Ioremap: (_ok, _query(lambda s, a: ioremap_mode(s, a.device, a.start, a.size).value)),
    DeviceDma: (_ok, _query(lambda s, a: device_dma(s, a.device, a.target, a.t_bit).value)),
    CpuMmio: (_ok, _query(lambda s, a: cpu_mmio(s, a.device, a.addr, a.t_bit).value)),
})


def plan(state: KernelState, action: Action) -> Result | NeedsProvider | Ready:
    """Run the kernel's prechecks only.

    Returns a final :class:`Result` when a precheck fails, :class:`NeedsProvider`
    when the provider must be consulted (then call :func:`step` with its reply in
    the action), or :class:`Ready` when :func:`step` can run directly.
    """
    if not _device_exists(state, action):
        return Result(errno.ENODEV)
    check, _apply = _TABLE[type(action)]
    pre = _norm(check(state, action))
    if isinstance(pre, int):
        return Result(pre)
    return pre


def step(state: KernelState, action: Action) -> tuple[KernelState, Result]:
    """Apply one action: prechecks (as :func:`plan`), then the reply it carries."""
    if not _device_exists(state, action):
        return state, Result(errno.ENODEV)
    check, apply = _TABLE[type(action)]
    pre = _norm(check(state, action))
    if isinstance(pre, int):
        return state, Result(pre)
    return apply(state, action, pre)


def devices_of(state: KernelState) -> tuple[str, ...]:
    return tuple(d.name for d in state.topology.devices)
