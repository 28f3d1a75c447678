# SPDX-License-Identifier: BSD-3-Clause
"""Kernel model state: an immutable topology plus small per-device and shared records.

:class:`Topology` is the static description (devices, drivers, host bridges); it
is built once and shared by every state. :class:`KernelState` holds one
:class:`DeviceState` per device in topology order, the TSM registry, loaded
modules, stream pools and global parameters. A step replaces one device entry
(:meth:`KernelState.with_device`) and maybe a small shared field; nothing is
deep-copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from devtrust.kernel.levels import DmaScope
from devtrust.kernel.variants import Variant
from devtrust.wire.evidence import EvidenceSet

__all__ = [
    "Bar",
    "ContextKind",
    "DeviceSpec",
    "DeviceState",
    "DriverSpec",
    "HostBridge",
    "KernelState",
    "TdiState",
    "Topology",
    "TsmContext",
    "TsmDev",
    "TsmMode",
]


class TdiState(Enum):
    """The device's TDISP interface state as the kernel sees it (hardware, not trust)."""

    UNLOCKED = "UNLOCKED"
    LOCKED = "LOCKED"
    RUN = "RUN"
    ERROR = "ERROR"


class TsmMode(Enum):
    LINK = "link"
    DEVSEC = "devsec"


class ContextKind(Enum):
    PF0 = "pf0"          # link context of the DSM (PF0)
    FUNCTION = "function"  # link context of a dependent function
    DEVSEC = "devsec"    # guest lock context


@dataclass(frozen=True, slots=True)
class Bar:
    index: int
    start: int
    size: int
    is_memory: bool = True

    @property
    def end(self) -> int:
        return self.start + self.size - 1


@dataclass(frozen=True, slots=True)
class HostBridge:
    name: str            # e.g. "pci10000:00"
    nr_streams: int = 4


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One PCI function as discovered (the explicit initial-state table, STYLE 11)."""

    name: str            # BDF, e.g. "10000:01:00.0"
    host_bridge: str
    function: int = 0
    is_pf0: bool = True
    has_tee: bool = True
    has_ide: bool = True
    has_doe: bool = True
    bars: tuple[Bar, ...] = ()
    driver: str | None = None   # the driver whose id table matches this device
    on_opt_in_bus: bool = True  # V8(d): the bus opted into trust-0 default

    @property
    def slot(self) -> str:
        return self.name.rsplit(".", 1)[0]


@dataclass(frozen=True, slots=True)
class DriverSpec:
    name: str
    module: str | None = None   # None = built-in


@dataclass(frozen=True, slots=True)
class Topology:
    devices: tuple[DeviceSpec, ...]
    drivers: tuple[DriverSpec, ...] = ()
    host_bridges: tuple[HostBridge, ...] = ()
    cc_guest: bool = True
    swiotlb_force: bool = False            # swiotlb=force on the command line
    modules_autoprobe: bool = True         # CONFIG_MODULES_AUTOPROBE
    index: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)
    #: slot -> indices of its functions in topology order (derived, like ``index``).
    slot_members: dict[str, tuple[int, ...]] = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        names = [d.name for d in self.devices]
        if len(set(names)) != len(names):
            raise ValueError("duplicate device name in topology")
        bridges = {h.name for h in self.host_bridges}
        for d in self.devices:
            if d.host_bridge not in bridges:
                raise ValueError(f"{d.name}: unknown host bridge {d.host_bridge}")
        self.index.update({n: i for i, n in enumerate(names)})
        members: dict[str, list[int]] = {}
        for i, d in enumerate(self.devices):
            members.setdefault(d.slot, []).append(i)
        self.slot_members.update({slot: tuple(ix) for slot, ix in members.items()})

    def device(self, name: str) -> DeviceSpec | None:
        i = self.index.get(name)
        return None if i is None else self.devices[i]

    def driver(self, name: str) -> DriverSpec | None:
        for drv in self.drivers:
            if drv.name == name:
                return drv
        return None


@dataclass(frozen=True, slots=True)
class TsmContext:
    """``struct pci_tsm``: the one TSM context a device may hold."""

    kind: ContextKind
    tsm: str
    dsm: str | None = None          # PCI name of the DSM (PF0) for link contexts
    kvm: int | None = None          # bound TDI's VM, link contexts only
    evidence: EvidenceSet = field(default_factory=EvidenceSet)
    report: bytes = b""
    stream: int | None = None       # IDE stream index on the host bridge (PF0 only)


@dataclass(frozen=True, slots=True)
class TsmDev:
    name: str
    mode: TsmMode


@dataclass(frozen=True, slots=True)
class DeviceState:
    """Per-device dynamic state. ``tdi`` is hardware, ``level`` is kernel trust."""

    tdi: TdiState = TdiState.UNLOCKED
    ctx: TsmContext | None = None
    cc_accepted: bool = False
    level: int = 0
    acked: int = 0                  # highest level the trust ops acknowledged
    authorized: bool = True         # v2 / V13(b) bus attribute
    driver: str | None = None
    auto_bound: bool = False        # bound by autoprobe without userspace consent (S21)
    user_set: bool = False          # userspace wrote trust/authorized since discovery
    probed_at_zero: bool = False    # a probe was attempted at level 0 (S1)
    driver_override: str = ""
    iommu: DmaScope = DmaScope.NONE  # domain actually installed
    ats: bool = False
    iommu_pending: bool = False     # V6(b): responder has not caught up yet
    encrypted: tuple[tuple[int, int], ...] = ()  # "PCI MMIO Encrypted" (start, end)
    link_secure: bool = False       # IDE up / SPDM session (link trust ops)
    validated_generation: int = 0   # generation the relying party validated
    accept_generation: int = 0      # generation current when RUN was granted
    accept_validated: int = 0       # generation userspace had validated at that moment


@dataclass(frozen=True, slots=True)
class KernelState:
    topology: Topology
    variant: Variant
    devices: tuple[DeviceState, ...]
    tsms: tuple[TsmDev, ...] = ()
    next_tsm_id: int = 0
    modules: tuple[tuple[str, bool, int | None], ...] = ()  # (module, autoprobe, trust=)
    modules_autoprobe: bool = True
    drivers_autoprobe: bool = True
    async_probe: bool = False
    streams: tuple[tuple[str, tuple[int, ...]], ...] = ()    # host bridge -> used stream ids
    violations: tuple[str, ...] = ()  # transition source-state violations (STYLE 11)
    sample_certs: bytes = b""         # samples/devsec simulated evidence store (§9.8)
    sample_transcript: bytes = b""

    def dev(self, name: str) -> DeviceState:
        return self.devices[self.topology.index[name]]

    def spec(self, name: str) -> DeviceSpec:
        return self.topology.devices[self.topology.index[name]]

    def with_device(self, name: str, dev: DeviceState) -> KernelState:
        # One list copy and one tuple build (the spine only; device records are shared).
        devices = list(self.devices)
        devices[self.topology.index[name]] = dev
        return replace(self, devices=tuple(devices))

    def tsm(self, name: str) -> TsmDev | None:
        for t in self.tsms:
            if t.name == name:
                return t
        return None

    def has_mode(self, mode: TsmMode) -> bool:
        return any(t.mode is mode for t in self.tsms)

    def module(self, name: str) -> tuple[str, bool, int | None] | None:
        for m in self.modules:
            if m[0] == name:
                return m
        return None

    def used_streams(self, bridge: str) -> tuple[int, ...]:
        for hb, used in self.streams:
            if hb == bridge:
                return used
        return ()

    def with_streams(self, bridge: str, used: tuple[int, ...]) -> KernelState:
        rest = tuple(s for s in self.streams if s[0] != bridge)
        new = (*rest, (bridge, tuple(sorted(used)))) if used else rest
        return replace(self, streams=tuple(sorted(new)))

    def violate(self, message: str) -> KernelState:
        return replace(self, violations=(*self.violations, message))
