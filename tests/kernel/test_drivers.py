# SPDX-License-Identifier: BSD-3-Clause
"""Driver attach policy (§8, I52-I55) and boot defaults (V8)."""

from __future__ import annotations

import errno

import pytest

from devtrust.kernel.actions import (
    DriverBind,
    DriverUnbind,
    LoadModule,
    SetDriversAutoprobe,
    SetModulesAutoprobe,
    SetTrust,
    UnloadModule,
)
from devtrust.kernel.boot import cc_vm_topology, initial_state
from devtrust.kernel.core import step
from devtrust.kernel.variants import BootDefault, Variant, v2
from devtrust.testing.kernel_helpers import run

NIC = "0000:01:00.0"
DISK = "0000:00:04.0"


def test_builtin_autoprobes_at_boot_in_v2() -> None:
    state = initial_state(cc_vm_topology(), v2())
    assert state.dev(DISK).driver == "virtio_pci"
    assert state.dev(NIC).driver is None   # module not loaded


@pytest.mark.parametrize(("global_", "option", "bound"), [
    ("1", None, True), ("0", None, False), ("0", "1", True), ("1", "0", False),
    ("1", "maybe", True),   # a bad autoprobe= is ignored
])
def test_autoprobe_precedence(global_: str, option: str | None, bound: bool) -> None:
    state = initial_state(cc_vm_topology(), v2())
    state, _ = run(state, SetModulesAutoprobe(global_), LoadModule("mlx5_core", option))
    assert (state.dev(NIC).driver == "mlx5_core") is bound


def test_modules_autoprobe_captured_at_load() -> None:
    state = initial_state(cc_vm_topology(), v2())
    state, _ = run(state, LoadModule("mlx5_core"), SetModulesAutoprobe("0"))
    assert state.dev(NIC).driver == "mlx5_core"


def test_bus_autoprobe_gates_everything() -> None:
    state = initial_state(cc_vm_topology(), v2())
    state, _ = run(state, DriverUnbind("virtio_pci", DISK), SetDriversAutoprobe("0"),
                   LoadModule("mlx5_core", "1"))
    assert state.dev(NIC).driver is None


def test_explicit_bind_ignores_autoprobe_and_errnos() -> None:
    state = initial_state(cc_vm_topology(), v2())
    assert step(state, DriverBind("mlx5_core", NIC))[1].errno == errno.ENOENT
    state, _ = run(state, LoadModule("mlx5_core", "0"))
    assert step(state, DriverBind("mlx5_core", DISK))[1].errno == errno.ENODEV
    state, _ = run(state, DriverBind("mlx5_core", NIC))
    assert step(state, DriverBind("mlx5_core", NIC))[1].errno == errno.EBUSY
    assert step(state, DriverUnbind("virtio_pci", NIC))[1].errno == errno.ENODEV
    state, _ = run(state, UnloadModule("mlx5_core"))
    assert state.dev(NIC).driver is None
    assert step(state, UnloadModule("mlx5_core"))[1].errno == errno.ENOENT
    assert step(state, LoadModule("nosuch"))[1].errno == errno.ENOENT


def test_trust_zero_blocks_binding_and_raise_autoprobes() -> None:
    variant = Variant(name="zero")
    state = initial_state(cc_vm_topology(), variant)
    assert state.dev(DISK).driver is None          # built-in, but level 0
    state, _ = run(state, LoadModule("mlx5_core", "1"))
    assert state.dev(NIC).driver is None
    assert step(state, DriverBind("mlx5_core", NIC))[1].errno == errno.ENODEV
    state, _ = run(state, SetTrust(NIC, "1"))
    assert state.dev(NIC).driver == "mlx5_core" and not state.dev(NIC).auto_bound


@pytest.mark.parametrize(("boot", "nic", "disk"), [
    (BootDefault.ALL_ZERO, 0, 0), (BootDefault.CC_VM_ONE, 1, 1),
    (BootDefault.BUILTIN_TRUSTED, 0, 2), (BootDefault.PER_BUS_OPT_IN, 0, 1),
    (BootDefault.TRUST_ALL_WITHOUT_OPS, 0, 1),
])
def test_boot_defaults(boot: BootDefault, nic: int, disk: int) -> None:
    state = initial_state(cc_vm_topology(), Variant(name="b", boot_default=boot))
    assert state.dev(NIC).level == nic
    assert state.dev(DISK).level == disk
    assert (state.dev(DISK).driver == "virtio_pci") is (disk > 0)


def test_unbound_implies_zero() -> None:
    variant = Variant(name="v11b", boot_default=BootDefault.CC_VM_ONE, unbound_implies_zero=True)
    state = initial_state(cc_vm_topology(), variant)
    state, _ = run(state, DriverUnbind("virtio_pci", DISK))
    assert state.dev(DISK).level == 0
