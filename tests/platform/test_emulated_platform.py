# SPDX-License-Identifier: BSD-3-Clause
"""The emulated platform answers like Linux: paths, errnos, netlink evidence."""

from __future__ import annotations

import errno

import pytest

from devtrust.platform.base import PCI_DEVICES
from devtrust.platform.emulated import EmulatedPlatform
from devtrust.wire.evidence import EVIDENCE_TYPE_FLAG_MASK, EvidenceType
from devtrust.wire.tdisp.report import TdiReport

NIC = "0000:02:00.0"


@pytest.fixture(scope="module")
def platform() -> EmulatedPlatform:
    return EmulatedPlatform()


def _errno(fn, *args) -> int:
    with pytest.raises(OSError) as info:
        fn(*args)
    return info.value.errno


def test_guest_sees_only_the_devsec_tsm(platform: EmulatedPlatform) -> None:
    assert platform.tsm_names == {"tsm0": "devsec"}
    assert platform.read("/sys/class/tsm/tsm0/pci_mode") == "devsec"
    assert platform.exists(f"{PCI_DEVICES}/{NIC}/tsm/lock")
    assert not platform.exists(f"{PCI_DEVICES}/{NIC}/tsm/connect")


def test_standard_pci_attributes(platform: EmulatedPlatform) -> None:
    assert platform.read(f"{PCI_DEVICES}/{NIC}/vendor") == "0x1c2c"
    assert platform.read(f"{PCI_DEVICES}/{NIC}/class") == "0x020000"
    config = platform.read_bytes(f"{PCI_DEVICES}/{NIC}/config")
    assert len(config) == 4096 and config[:2] == b"\x2c\x1c"
    assert "resource" in platform.listdir(f"{PCI_DEVICES}/{NIC}")


def test_kernel_errnos_reach_the_caller(platform: EmulatedPlatform) -> None:
    tsm = f"{PCI_DEVICES}/{NIC}/tsm"
    assert _errno(platform.write, f"{tsm}/lock", "garbage") == errno.EINVAL
    assert _errno(platform.write, f"{tsm}/lock", "tsm99") == errno.ENXIO
    assert _errno(platform.write, f"{tsm}/accept", "1") == errno.EINVAL   # not locked
    assert _errno(platform.write, f"{tsm}/unlock", "tsm0") == errno.EINVAL
    assert _errno(platform.evidence_read, NIC, EVIDENCE_TYPE_FLAG_MASK) == errno.ENXIO
    assert _errno(platform.evidence_read, "0000:99:00.0", 1) == errno.ENODEV


def test_lock_publishes_real_evidence_over_netlink() -> None:
    platform = EmulatedPlatform()
    platform.write(f"{PCI_DEVICES}/{NIC}/tsm/lock", "tsm0")
    assert platform.read(f"{PCI_DEVICES}/{NIC}/tsm/lock") == "tsm0"
    dump = platform.evidence_read(NIC, EVIDENCE_TYPE_FLAG_MASK)
    assert dump.generation is not None and dump.generation >= 1
    report = TdiReport.decode(dump.get(EvidenceType.REPORT))
    assert report.mmio_ranges
    assert dump.get(EvidenceType.CERT0)[:2] != b"" and dump.get(EvidenceType.VCA)
    # Accept moves the TDI to RUN and marks "PCI MMIO Encrypted" ranges from the report.
    platform.write(f"{PCI_DEVICES}/{NIC}/tsm/accept", "1")
    assert platform.read(f"{PCI_DEVICES}/{NIC}/tsm/accept") == "1"
    assert "PCI MMIO Encrypted" in platform.read("/proc/iomem")
    # The review bug: accepting twice must not duplicate encrypted resources.
    before = platform.read("/proc/iomem").count("PCI MMIO Encrypted")
    with pytest.raises(OSError):
        platform.write(f"{PCI_DEVICES}/{NIC}/tsm/accept", "1")
    assert platform.read("/proc/iomem").count("PCI MMIO Encrypted") == before
    platform.write(f"{PCI_DEVICES}/{NIC}/tsm/unlock", "tsm0")
    assert "PCI MMIO Encrypted" not in platform.read("/proc/iomem")


def test_hardware_error_drops_trust_before_anything_else() -> None:
    platform = EmulatedPlatform()
    tsm = f"{PCI_DEVICES}/{NIC}/tsm"
    platform.write(f"{tsm}/lock", "tsm0")
    platform.write(f"{tsm}/accept", "1")
    platform.write(f"{PCI_DEVICES}/{NIC}/trust", "4")
    assert platform.read(f"{PCI_DEVICES}/{NIC}/trust") == "4"
    platform.machine.device_at(NIC).clear_command_bits(NIC)   # VMM clears BME while RUN
    assert platform.read(f"{PCI_DEVICES}/{NIC}/trust") in ("4", "0")  # not yet polled
    events = platform.poll_events()
    assert platform.read(f"{PCI_DEVICES}/{NIC}/trust") == "0"
    assert any(e.device == NIC and e.kind == "trust-change" for e in events)


def test_digest_mode_dump() -> None:
    platform = EmulatedPlatform(digest_mode=True)
    platform.write(f"{PCI_DEVICES}/{NIC}/tsm/lock", "tsm0")
    blobs = platform.evidence_read(NIC, EVIDENCE_TYPE_FLAG_MASK)
    digests = platform.evidence_read(NIC, EVIDENCE_TYPE_FLAG_MASK, digest=True)
    import hashlib
    report = blobs.get(EvidenceType.REPORT)
    assert digests.get(EvidenceType.REPORT) == hashlib.sha384(report).digest()
