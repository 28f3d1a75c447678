# SPDX-License-Identifier: BSD-3-Clause
"""The real-kernel backend over a fake /sys tree: files are read and written as Linux's
attributes are, and the evidence dump goes to the real AF_NETLINK socket (on a kernel
without the pci-tsm family it fails cleanly, as it must)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from devtrust.agent.acceptance import AcceptanceAgent
from devtrust.appraise.engine import Appraiser
from devtrust.appraise.policy import DEFAULT_POLICY, load_policy
from devtrust.appraise.trust_store import TrustStore
from devtrust.platform.sysfs import SysfsPlatform

DEV = "0000:01:00.0"


def _fake_sys(root: Path) -> None:
    tsm = root / "sys/class/tsm/tsm0"
    tsm.mkdir(parents=True)
    (tsm / "pci_mode").write_text("devsec\n")
    dev = root / "sys/bus/pci/devices" / DEV
    (dev / "tsm").mkdir(parents=True)
    for name, text in (("vendor", "0x10de\n"), ("device", "0x2330\n"), ("class", "0x030200\n"),
                       ("revision", "0xa1\n"), ("subsystem_vendor", "0x10de\n"),
                       ("subsystem_device", "0x16c1\n"),
                       ("resource", "0x00000000c0000000 0x00000000c0ffffff 0x0000000000040200\n"
                        + "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" * 5)):
        (dev / name).write_text(text)
    (dev / "config").write_bytes(bytes(256))
    for attr in ("lock", "unlock", "accept"):
        (dev / "tsm" / attr).write_text("\n")


def test_reads_writes_and_discovery(tmp_path: Path) -> None:
    _fake_sys(tmp_path)
    platform = SysfsPlatform(str(tmp_path))
    assert platform.read("/sys/class/tsm/tsm0/pci_mode") == "devsec"
    platform.write(f"/sys/bus/pci/devices/{DEV}/tsm/lock", "tsm0")
    assert platform.read(f"/sys/bus/pci/devices/{DEV}/tsm/lock") == "tsm0"
    assert platform.read_bytes(f"/sys/bus/pci/devices/{DEV}/config") == bytes(256)
    assert platform.lock_params(DEV) is None


def test_agent_fails_closed_when_the_kernel_has_no_evidence_family(tmp_path: Path) -> None:
    _fake_sys(tmp_path)
    appraiser = Appraiser(load_policy(DEFAULT_POLICY), TrustStore.from_certificates())
    agent = AcceptanceAgent(SysfsPlatform(str(tmp_path)), appraiser,
                            clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
    (outcome,) = agent.run()
    assert outcome.device == DEV and outcome.result is None
    assert outcome.error.startswith("evidence dump failed")
    steps = [e.step for e in agent.journal.for_device(DEV)]
    assert steps[:1] == ["lock"] and "accept" not in steps
