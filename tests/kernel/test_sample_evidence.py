# SPDX-License-Identifier: BSD-3-Clause
"""samples/devsec evidence buffers (§9.8; §9.11 #10) and what connect binds (§9.9)."""

from __future__ import annotations

import errno

from devtrust.kernel.actions import Connect, Lock, SampleEvidenceWrite
from devtrust.kernel.core import step
from devtrust.kernel.evidence import evidence_of
from devtrust.kernel.sample_evidence import SAMPLE_MAX, sample_evidence_set
from devtrust.kernel.sysfs import sysfs_read, sysfs_write
from devtrust.testing.kernel_helpers import devsec_state, run
from devtrust.wire.evidence import EvidenceType

PF0 = "10000:01:00.0"
CERTS = "/sys/bus/faux/devices/devsec_link_tsm/certs"


def test_write_grow_reset_and_limits() -> None:
    state = devsec_state()
    state, _ = run(state, SampleEvidenceWrite("certs", 0, b"\0" * 4096),
                   SampleEvidenceWrite("certs", 4096, b"ab"))
    assert len(state.sample_certs) == 4098
    state, _ = run(state, SampleEvidenceWrite("certs", 0, b"x"))
    assert state.sample_certs == b""
    assert step(state, SampleEvidenceWrite("certs", SAMPLE_MAX, b"x"))[1].errno == errno.EFBIG
    assert step(state, SampleEvidenceWrite("bogus", 0, b"x"))[1].errno == errno.ENOENT


def test_busy_while_connected_or_locked() -> None:
    state = devsec_state()
    connected, _ = run(state, Connect(PF0, "tsm0"))
    assert step(connected, SampleEvidenceWrite("transcript", 0, b"ab"))[1].errno == errno.EBUSY
    locked, _ = run(state, Lock(PF0, "tsm1"))
    assert sysfs_write(locked, CERTS, "ab")[1].errno == errno.EBUSY
    # EFBIG is checked before EBUSY.
    big = SampleEvidenceWrite("certs", SAMPLE_MAX - 1, b"ab")
    assert step(connected, big)[1].errno == errno.EFBIG


def test_connect_binds_cert0_and_measurements() -> None:
    state, _ = run(devsec_state(), SampleEvidenceWrite("certs", 0, b"\0" * 4096),
                   SampleEvidenceWrite("transcript", 0, b"\0" * 4096))
    assert len(sysfs_read(state, "/sys/class/tsm/tsm0/device/certs")) == 4096
    state, _ = run(state, Connect(PF0, "tsm0", evidence=sample_evidence_set(state)))
    found = evidence_of(state, PF0)
    assert found is not None and found[0] and found[1] is not None
    sizes = [len(o.data) for o in found[1].objects]
    assert sizes[EvidenceType.CERT0] == 4096 and sizes[EvidenceType.MEASUREMENTS] == 4096
    assert sum(sizes) == 8192 and found[1].generation == 1
