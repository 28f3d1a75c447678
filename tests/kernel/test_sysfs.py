# SPDX-License-Identifier: BSD-3-Clause
"""Virtual sysfs: visibility (§3.4, §9.11 #7), reads (#6), errnos, TSM removal (#8)."""

from __future__ import annotations

import errno

import pytest

from devtrust.kernel.actions import (
    Accept,
    DriverUnbind,
    LoadModule,
    Lock,
    RegisterTsm,
    UnregisterTsm,
)
from devtrust.kernel.boot import devsec_topology, initial_state
from devtrust.kernel.core import step
from devtrust.kernel.sysfs import (
    raise_for,
    sysfs_action,
    sysfs_exists,
    sysfs_listdir,
    sysfs_read,
    sysfs_write,
)
from devtrust.kernel.variants import last_design, v2
from devtrust.testing.kernel_helpers import ccvm_state, devsec_state, run

PF0 = "10000:01:00.0"
PF1 = "10000:01:00.1"
T = f"/sys/bus/pci/devices/{PF0}/tsm/"


def _errno(state: object, path: str) -> int:
    with pytest.raises(OSError) as exc:
        sysfs_read(state, path)  # type: ignore[arg-type]
    return exc.value.errno  # type: ignore[return-value]


def test_devsec_attributes_follow_tsm_registration() -> None:
    state = initial_state(devsec_topology(), v2())
    assert not sysfs_exists(state, f"{T}lock")
    assert not sysfs_exists(state, f"/sys/bus/pci/devices/{PF0}/tsm")
    state, _ = run(state, RegisterTsm("devsec"))
    assert sysfs_listdir(state, f"/sys/bus/pci/devices/{PF0}/tsm") == ("lock", "unlock", "accept")
    assert not sysfs_exists(state, f"{T}connect")
    state, _ = run(state, UnregisterTsm("tsm0"))
    assert _errno(state, f"{T}lock") == errno.ENOENT


def test_devsec_attributes_need_tee_capability() -> None:
    state = ccvm_state()
    assert sysfs_exists(state, "/sys/bus/pci/devices/0000:01:00.0/tsm/lock")
    assert not sysfs_exists(state, "/sys/bus/pci/devices/0000:00:04.0/tsm/lock")
    _s, result = sysfs_write(state, "/sys/bus/pci/devices/0000:00:04.0/tsm/lock", "tsm0")
    assert result.errno == errno.ENOENT


def test_reads_through_the_lifecycle() -> None:
    state = devsec_state()
    assert sysfs_read(state, f"{T}lock") == "\n"
    assert sysfs_read(state, f"{T}accept") == "0\n"
    state, _ = run(state, Lock(PF0, "tsm1"))
    assert sysfs_read(state, f"{T}lock") == "tsm1\n"
    state, _ = run(state, Accept(PF0, "1"))
    assert sysfs_read(state, f"{T}accept") == "1\n"
    state, result = sysfs_write(state, f"{T}unlock", "tsm1")
    assert result.errno == 0
    assert sysfs_read(state, f"{T}lock") == "\n" and sysfs_read(state, f"{T}accept") == "0\n"


def test_write_only_and_read_only_are_eacces() -> None:
    state = devsec_state()
    assert _errno(state, f"{T}unlock") == errno.EACCES
    assert _errno(state, f"{T}disconnect") == errno.EACCES
    assert sysfs_write(state, f"{T}dsm", "x")[1].errno == errno.EACCES
    assert sysfs_write(state, "/proc/iomem", "x")[1].errno == errno.EACCES
    assert sysfs_write(state, "/sys/class/tsm/tsm0/pci_mode", "x")[1].errno == errno.EACCES


def test_unknown_paths_are_enoent_and_bind_unknown_device_enodev() -> None:
    state = devsec_state()
    assert _errno(state, "/sys/bus/pci/devices/ffff:00:00.0/tsm/lock") == errno.ENOENT
    assert _errno(state, "/sys/class/tsm/tsm9/pci_mode") == errno.ENOENT
    assert _errno(state, f"/sys/bus/pci/devices/{PF0}/trust") == errno.ENOENT   # v2
    # The driver directory exists only once its module is loaded.
    assert sysfs_write(state, "/sys/bus/pci/drivers/devsec_pci/bind", PF0)[1].errno \
        == errno.ENOENT
    state, _ = run(state, LoadModule("devsec_pci", "0"))
    assert sysfs_write(state, "/sys/bus/pci/drivers/devsec_pci/bind", "ffff:00:00.0")[1].errno \
        == errno.ENODEV
    assert sysfs_write(state, "/sys/bus/pci/drivers/devsec_pci/bind", PF0)[1].errno \
        == errno.ENODEV   # no driver_override, no id-table match
    assert isinstance(sysfs_action(state, "/sys/bus/pci/drivers/devsec_pci/unbind", PF0),
                      DriverUnbind)


def test_oserror_helper() -> None:
    raise_for(0)
    with pytest.raises(OSError) as exc:
        raise_for(errno.EBUSY, "/x")
    assert exc.value.errno == errno.EBUSY and exc.value.strerror == "Device or resource busy"


def test_module_parameters_and_trust_file() -> None:
    state = ccvm_state(last_design())
    assert sysfs_read(state, "/sys/module/module/parameters/modules_autoprobe") == "1\n"
    state, _ = sysfs_write(state, "/sys/module/module/parameters/modules_autoprobe", "0")
    assert sysfs_read(state, "/sys/module/module/parameters/modules_autoprobe") == "0\n"
    assert sysfs_read(state, "/sys/module/module/parameters/async_probe") == "0\n"
    assert sysfs_write(state, "/sys/bus/pci/drivers_autoprobe", "x")[1].errno == errno.EINVAL
    assert sysfs_read(state, "/sys/bus/pci/devices/0000:01:00.0/trust") == "0\n"
    state, result = sysfs_write(state, "/sys/bus/pci/devices/0000:01:00.0/trust", "1")
    assert result.errno == 0


def test_tsm_removal_unlocks_accepted_device() -> None:
    state, _ = run(devsec_state(), Lock(PF0, "tsm1"), Accept(PF0, "1"))
    state, result = step(state, UnregisterTsm("tsm1"))
    assert result.errno == 0
    assert state.dev(PF0).ctx is None and not state.dev(PF0).cc_accepted
    assert "PCI MMIO Encrypted" not in sysfs_read(state, "/proc/iomem")


def test_authenticated_alias_and_subfunction_dsm() -> None:
    state = devsec_state()
    assert sysfs_read(state, f"/sys/bus/pci/devices/{PF0}/authenticated") == "0\n"
    state, _ = sysfs_write(state, f"{T}connect", "tsm0")
    assert sysfs_read(state, f"/sys/bus/pci/devices/{PF0}/authenticated") == "1\n"
    assert sysfs_read(state, f"/sys/bus/pci/devices/{PF1}/tsm/dsm") == f"{PF0}\n"
