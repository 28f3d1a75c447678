# SPDX-License-Identifier: BSD-3-Clause
"""Accept with report-derived encrypted MMIO (mmio_source=REPORT, §7.1 via mmio_report)."""

from __future__ import annotations

import errno
import struct
from dataclasses import replace

from devtrust.kernel.actions import Accept, Lock
from devtrust.kernel.core import step
from devtrust.kernel.iomem import MapMode, ioremap_mode
from devtrust.kernel.variants import MmioSource, last_design
from devtrust.testing.kernel_helpers import ccvm_state, run

NIC = "0000:01:00.0"


def _report(*entries: tuple[int, int, int]) -> bytes:
    head = struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(entries))
    return head + b"".join(struct.pack("<QII", pfn, n, attrs) for pfn, n, attrs in entries)


def test_report_ranges_become_descriptors_msix_stays_shared() -> None:
    variant = replace(last_design(), mmio_source=MmioSource.REPORT)
    report = _report((0, 512, 0 << 16), (0, 16, (2 << 16) | 1))
    state, _ = run(ccvm_state(variant), Lock(NIC, "tsm0", report=report), Accept(NIC, "1"))
    bar0, bar2 = state.spec(NIC).bars
    assert state.dev(NIC).encrypted == ((bar0.start, bar0.end),)
    assert ioremap_mode(state, NIC, bar2.start, bar2.size) is MapMode.PLAIN


def test_rejected_report_fails_accept_without_side_effects() -> None:
    variant = replace(last_design(), mmio_source=MmioSource.REPORT)
    state, _ = run(ccvm_state(variant), Lock(NIC, "tsm0", report=b"\x00" * 8))
    new, result = step(state, Accept(NIC, "1"))
    assert result.errno == errno.EINVAL and new == state
    bad_bar = _report((0, 512, 7 << 16))
    state, _ = run(ccvm_state(variant), Lock(NIC, "tsm0", report=bad_bar))
    assert step(state, Accept(NIC, "1"))[1].errno == errno.EINVAL
