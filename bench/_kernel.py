# SPDX-License-Identifier: BSD-3-Clause
"""Generated kernel topologies of N devices and a fixed action cycle for the kernel benches."""

from __future__ import annotations

from devtrust.kernel import actions as act
from devtrust.kernel.boot import initial_state
from devtrust.kernel.core import step
from devtrust.kernel.state import Bar, DeviceSpec, DriverSpec, HostBridge, KernelState, Topology
from devtrust.kernel.variants import last_design

__all__ = ["DEVICES_PER_BRIDGE", "booted", "cycle_actions", "generated_topology", "link_actions"]

DEVICES_PER_BRIDGE = 64
_MIB = 1 << 20


def generated_topology(n: int) -> Topology:
    """``n`` TDISP functions (PF0 + PF1 per slot), 64 per host bridge, one built-in driver.

    Every device has one 2 MiB memory BAR at a distinct address; functions with
    an even index are PF0s (DOE, IDE, TEE), odd ones dependent functions.
    """
    bridges = tuple(HostBridge(f"pci{b:05x}:00", nr_streams=4)
                    for b in range((n + DEVICES_PER_BRIDGE - 1) // DEVICES_PER_BRIDGE))
    devices = []
    for i in range(n):
        bridge = bridges[i // DEVICES_PER_BRIDGE].name
        domain = bridge[3:8]
        slot, fn = divmod(i % DEVICES_PER_BRIDGE, 2)
        devices.append(DeviceSpec(
            name=f"{domain}:{slot + 1:02x}:00.{fn}", host_bridge=bridge, function=fn,
            is_pf0=fn == 0, has_doe=fn == 0,
            bars=(Bar(0, 0x4_0000_0000 + i * 4 * _MIB, 2 * _MIB),), driver="bench_drv"))
    return Topology(devices=tuple(devices), drivers=(DriverSpec("bench_drv", "bench_drv"),),
                    host_bridges=bridges, cc_guest=True)


def booted(n: int, mode: str = "devsec") -> KernelState:
    """Boot state of :func:`generated_topology` with one TSM of ``mode`` registered."""
    state = initial_state(generated_topology(n), last_design())
    state, _ = step(state, act.RegisterTsm(mode))
    return state


def cycle_actions(state: KernelState) -> tuple[act.Action, ...]:
    """Lock, accept, trust 1, trust 0, unlock the middle device: five state-changing steps
    that leave the device unlocked again (every round starts from the same state).

    The device sits in the middle of the topology so a linear scan pays on average.
    """
    name = state.topology.devices[len(state.topology.devices) // 2].name
    tsm = state.tsms[0].name
    return (act.Lock(name, tsm), act.Accept(name, "1"), act.SetTrust(name, "1"),
            act.SetTrust(name, "0"), act.Unlock(name, tsm))


def link_actions(state: KernelState) -> tuple[act.Action, ...]:
    """Connect and disconnect the PF0 in the middle (host side: SPDM, IDE stream, and a
    link context for every function of the slot)."""
    index = len(state.topology.devices) // 2
    name = state.topology.devices[index - index % 2].name
    tsm = state.tsms[0].name
    return (act.Connect(name, tsm), act.Disconnect(name, tsm))
