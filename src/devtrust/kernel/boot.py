# SPDX-License-Identifier: BSD-3-Clause
"""Initial states from an explicit topology table (STYLE 11) and two reference topologies.

:func:`initial_state` assigns each device its discovery level (V8), installs
the IOMMU domain for it before anything else (S2: blocked from attach), then
lets built-in drivers autoprobe as devices arrive.
"""

from __future__ import annotations

from dataclasses import replace

from devtrust.kernel import iommu
from devtrust.kernel.drivers import autoprobe_device
from devtrust.kernel.state import (
    Bar,
    DeviceSpec,
    DeviceState,
    DriverSpec,
    HostBridge,
    KernelState,
    Topology,
)
from devtrust.kernel.trust import boot_level
from devtrust.kernel.variants import Variant

__all__ = ["cc_vm_topology", "devsec_topology", "initial_state"]

_MIB = 1 << 20


def initial_state(topology: Topology, variant: Variant) -> KernelState:
    """The state right after boot: TSMs not yet registered, no modules loaded."""
    devices = []
    for spec in topology.devices:
        level = boot_level(variant, topology.cc_guest, spec)
        dev = DeviceState(level=level, authorized=True if not variant.has_trust_attr
                          else level >= 1)
        devices.append(replace(iommu.sync(variant, dev), iommu_pending=False))
    state = KernelState(topology=topology, variant=variant, devices=tuple(devices),
                        modules_autoprobe=topology.modules_autoprobe)
    for spec in topology.devices:
        state, _events = autoprobe_device(state, spec.name)
    return state


def devsec_topology() -> Topology:
    """The ``samples/devsec`` topology (§9.2): two host bridges, PF0 + PF1 each, 4 streams.

    Not a CC guest: the sample runs on an ordinary host, which is why the driver
    bind after accept fails (devsec.sh T9).
    """
    def fn(domain: str, bus: str, f: int, base: int) -> DeviceSpec:
        return DeviceSpec(
            name=f"{domain}:{bus}:00.{f}", host_bridge=_bridge(domain), function=f,
            is_pf0=f == 0, has_tee=True, has_ide=True, has_doe=f == 0,
            bars=(Bar(0, base + f * 2 * _MIB, 2 * _MIB),))

    devices = (fn("10000", "01", 0, 0x380002000000), fn("10000", "01", 1, 0x380002000000),
               fn("10001", "03", 0, 0x390002000000), fn("10001", "03", 1, 0x390002000000))
    return Topology(devices=devices,
                    drivers=(DriverSpec("devsec_pci", "devsec_pci"),),
                    host_bridges=(HostBridge(_bridge("10000")), HostBridge(_bridge("10001"))),
                    cc_guest=False)


def _bridge(domain: str) -> str:
    return f"pci{domain}:00"


def cc_vm_topology(*, swiotlb_force: bool = False) -> Topology:
    """A small confidential VM: a TDISP NIC (PF0 + PF1, module driver) and a virtio disk."""
    nic0 = DeviceSpec("0000:01:00.0", "pci0000:00", 0, True, True, True, True,
                      (Bar(0, 0xF000_0000, 2 * _MIB), Bar(2, 0xF020_0000, 64 * 1024)), "mlx5_core")
    nic1 = DeviceSpec("0000:01:00.1", "pci0000:00", 1, False, True, True, False,
                      (Bar(0, 0xF100_0000, 2 * _MIB),), "mlx5_core")
    disk = DeviceSpec("0000:00:04.0", "pci0000:00", 0, True, False, False, False,
                      (Bar(0, 0xFE00_0000, 16 * 1024),), "virtio_pci", on_opt_in_bus=False)
    return Topology(devices=(nic0, nic1, disk),
                    drivers=(DriverSpec("mlx5_core", "mlx5_core"), DriverSpec("virtio_pci")),
                    host_bridges=(HostBridge("pci0000:00"),), cc_guest=True,
                    swiotlb_force=swiotlb_force)
