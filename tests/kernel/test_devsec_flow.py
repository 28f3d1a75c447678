# SPDX-License-Identifier: BSD-3-Clause
"""devsec.sh (kernel-abi §9.10) replayed against the virtual sysfs, both load orders."""

from __future__ import annotations

import errno

import pytest

from devtrust.kernel.actions import LoadModule, RegisterTsm, Result, UnloadModule, UnregisterTsm
from devtrust.kernel.boot import devsec_topology, initial_state
from devtrust.kernel.core import step
from devtrust.kernel.state import KernelState
from devtrust.kernel.sysfs import raise_for, sysfs_exists, sysfs_listdir, sysfs_read, sysfs_write
from devtrust.kernel.variants import v2

PF0S = ("10000:01:00.0", "10001:03:00.0")
PF1S = ("10000:01:00.1", "10001:03:00.1")
DEV = "/sys/bus/pci/devices/"
DRV = "/sys/bus/pci/drivers/devsec_pci"


class Sh:
    """A tiny shell over the model: write/read like the script does."""

    def __init__(self, state: KernelState) -> None:
        self.state = state

    def write(self, path: str, value: str) -> None:
        self.state, result = sysfs_write(self.state, path, value)
        raise_for(result.errno, path)

    def read(self, path: str) -> str:
        return sysfs_read(self.state, path).rstrip("\n")

    def do(self, action: object) -> Result:
        self.state, result = step(self.state, action)  # type: ignore[arg-type]
        return result


def _bridge(pf0: str) -> str:
    return "pci" + pf0.split(":")[0] + ":00"


def _validate_disconnected(sh: Sh, idx: int) -> None:
    pf0, pf1 = PF0S[idx], PF1S[idx]
    assert sh.read(f"{DEV}{pf0}/tsm/dsm") == ""
    assert sh.read(f"{DEV}{pf0}/tsm/bound") == ""
    for attr in ("dsm", "bound", "connect", "disconnect"):
        assert not sysfs_exists(sh.state, f"{DEV}{pf1}/tsm/{attr}")


def _ide_test(sh: Sh, idx: int, link: str) -> None:
    pf0, pf1 = PF0S[idx], PF1S[idx]
    hb = f"/sys/devices/{_bridge(pf0)}"
    assert sh.read(f"{hb}/available_secure_streams") == "4"
    _validate_disconnected(sh, idx)
    sh.write(f"{DEV}{pf0}/tsm/connect", link)
    assert sh.read(f"{hb}/available_secure_streams") == "3"
    assert sh.read(f"{DEV}{pf0}/tsm/connect") == link
    assert sh.read(f"{hb}/stream0.0.0") == pf0
    assert sh.read(f"/sys/class/tsm/{link}/{_bridge(pf0)}/stream0.0.0") == pf0
    assert sh.read(f"{DEV}{pf0}/tsm/dsm") == pf0
    assert sh.read(f"{DEV}{pf1}/tsm/dsm") == pf0
    for fn in (pf0, pf1):
        sh.write(f"/sys/class/tsm/{link}/device/tsm_bind", fn)
        assert sh.read(f"{DEV}{fn}/tsm/bound") == link
    for fn in (pf0, pf1):
        sh.write(f"/sys/class/tsm/{link}/device/tsm_unbind", fn)
        assert sh.read(f"{DEV}{fn}/tsm/bound") == ""
    for fn in (pf0, pf1):
        sh.write(f"/sys/class/tsm/{link}/device/tsm_bind", fn)
    sh.write(f"{DEV}{pf0}/tsm/disconnect", link)
    assert sh.read(f"{hb}/available_secure_streams") == "4"
    _validate_disconnected(sh, idx)
    assert sh.read(f"{DEV}{pf0}/tsm/connect") == ""
    assert not sysfs_exists(sh.state, f"{hb}/stream0.0.0")
    assert not sysfs_exists(sh.state, f"/sys/class/tsm/{link}/{_bridge(pf0)}/stream0.0.0")


def _tdisp_test(sh: Sh, idx: int, devsec: str) -> None:
    pf0 = PF0S[idx]
    sh.write(f"{DEV}{pf0}/driver_override", "devsec_pci")
    assert sh.do(LoadModule("devsec_pci", autoprobe="0")).errno == 0
    assert not sysfs_exists(sh.state, f"{DEV}{pf0}/driver")
    sh.write(f"{DRV}/bind", pf0)
    assert sh.read(f"{DEV}{pf0}/driver") == "devsec_pci"
    sh.write(f"{DRV}/unbind", pf0)
    line = next(ln for ln in sh.read("/proc/iomem").splitlines() if pf0 in ln)
    rng = line.split(" :")[0].strip()
    assert rng
    sh.write(f"{DEV}{pf0}/tsm/lock", devsec)
    sh.write(f"{DEV}{pf0}/tsm/accept", "1")
    assert any("PCI MMIO Encrypted" in ln for ln in sh.read("/proc/iomem").splitlines()
               if rng in ln)
    with pytest.raises(OSError) as exc:
        sh.write(f"{DRV}/bind", pf0)
    assert exc.value.errno == errno.EINVAL
    sh.write(f"{DEV}{pf0}/tsm/unlock", devsec)
    assert not any("PCI MMIO Encrypted" in ln for ln in sh.read("/proc/iomem").splitlines()
                   if rng in ln)
    assert sh.do(UnloadModule("devsec_pci")).errno == 0


@pytest.mark.parametrize("order", ["bus", "tsm"])
def test_devsec_sh(order: str) -> None:
    sh = Sh(initial_state(devsec_topology(), v2()))
    assert sh.do(RegisterTsm("link")).value == "tsm0"
    assert sh.do(RegisterTsm("devsec")).value == "tsm1"
    modes = {t: sh.read(f"/sys/class/tsm/{t}/pci_mode") for t in sysfs_listdir(sh.state,
                                                                                "/sys/class/tsm")}
    link = next(t for t, m in modes.items() if m == "link")
    devsec = next(t for t, m in modes.items() if m == "devsec")
    for pf0 in PF0S:
        assert sysfs_exists(sh.state, f"{DEV}{pf0}/tsm")
    # ide_multi_test
    for pf0 in PF0S:
        sh.write(f"{DEV}{pf0}/tsm/connect", link)
    for pf0 in PF0S:
        assert sh.read(f"/sys/devices/{_bridge(pf0)}/stream0.0.0") == pf0
        assert sh.read(f"/sys/class/tsm/{link}/{_bridge(pf0)}/stream0.0.0") == pf0
    for pf0 in PF0S:
        sh.write(f"{DEV}{pf0}/tsm/disconnect", link)
    _ide_test(sh, 0, link)
    _tdisp_test(sh, 0, devsec)
    sh.write(f"{DEV}{PF0S[0]}/tsm/connect", link)
    assert sh.read(f"{DEV}{PF0S[0]}/tsm/connect") == link
    if order == "bus":
        # TSMs depart while a device is connected: unregistration tears it down.
        sh.do(UnregisterTsm(devsec))
        sh.do(UnregisterTsm(link))
        assert sh.state.dev(PF0S[0]).ctx is None
        assert sh.read(f"/sys/devices/{_bridge(PF0S[0])}/available_secure_streams") == "4"
        assert not sysfs_exists(sh.state, f"{DEV}{PF0S[0]}/tsm")
    else:
        assert sh.state.used_streams(_bridge(PF0S[0])) == (0,)
