# SPDX-License-Identifier: BSD-3-Clause
"""The iomem resource tree: "PCI MMIO Encrypted" descriptors and ioremap (§7.1-§7.4).

Encrypted descriptors live per device in
:attr:`~devtrust.kernel.state.DeviceState.encrypted`; BAR resources come from
the topology. :func:`mmio_setup` is ``pci_tsm_mmio_setup()`` (all-or-nothing),
:func:`ioremap_mode` is the x86 ``ioremap()`` coverage rule with
``IORES_MUST_ENCRYPT``, :func:`proc_iomem` renders ``/proc/iomem``.
"""

from __future__ import annotations

import errno
from dataclasses import replace
from enum import Enum
from itertools import compress
from operator import attrgetter

from devtrust.kernel.levels import tcb_level
from devtrust.kernel.state import Bar, DeviceState, KernelState
from devtrust.kernel.variants import MmioSource

__all__ = ["ENCRYPTED_NAME", "MapMode", "encrypted_entries", "ioremap_mode", "mmio_setup",
           "mmio_teardown", "proc_iomem", "report_entries"]

ENCRYPTED_NAME = "PCI MMIO Encrypted"
_ATTR_MSIX_TABLE = 1 << 0
_ATTR_MSIX_PBA = 1 << 1
_ATTR_NON_TEE = 1 << 2
_ENCRYPTED = attrgetter("encrypted")


class MapMode(Enum):
    ENCRYPTED = "encrypted"
    PLAIN = "plain"
    FAIL = "fail"   # ioremap returns NULL


def whole_bar_entries(bars: tuple[Bar, ...]) -> tuple[tuple[int, int], ...]:
    """The v2 sample's accept: one descriptor per non-empty memory BAR (D19)."""
    return tuple((b.start, b.end) for b in bars if b.is_memory and b.size)


def report_entries(report: bytes, bars: tuple[Bar, ...]) -> tuple[tuple[int, int], ...] | None:
    """Descriptors from the interface report via ``devtrust.kernel.mmio_report``.

    Returns None when the report is rejected (``pci_tsm_mmio_alloc()`` returns NULL).
    Ranges flagged MSI-X table/PBA or non-TEE get no descriptor (§7.1 rule 8).
    """
    # Imported here: mmio_report is written concurrently and is optional for the
    # whole-BAR path; the import has no side effects.
    from devtrust.kernel import mmio_report

    bar_tuple = tuple((b.index, b.start, b.size, b.is_memory) for b in bars)
    try:
        found = mmio_report.parse_report(report, bar_tuple, mmio_report.OffsetRule.MASK)
    except mmio_report.ReportRejected:
        return None
    out = []
    for entry in found:
        start, end, _off, _bar, attributes = tuple(entry)[:5]
        if attributes & (_ATTR_MSIX_TABLE | _ATTR_MSIX_PBA | _ATTR_NON_TEE):
            continue
        out.append((start, end))
    return tuple(out)


def encrypted_entries(state: KernelState, name: str,
                      report: bytes) -> tuple[tuple[int, int], ...] | None:
    """The descriptors accept inserts: whole BARs (sample) or report ranges (V: mmio_source)."""
    bars = state.spec(name).bars
    if state.variant.mmio_source is MmioSource.REPORT:
        return report_entries(report, bars)
    return whole_bar_entries(bars)


def _contained(bars: tuple[Bar, ...], start: int, end: int) -> bool:
    return any(b.size and b.start <= start and end <= b.end for b in bars)


def mmio_setup(state: KernelState, name: str, dev: DeviceState,
               entries: tuple[tuple[int, int], ...]) -> tuple[int, DeviceState]:
    """``pci_tsm_mmio_setup()``.

    Context: device lock held, called from the TSM's accept.
    Return: EBUSY (driver bound), EINVAL (entry outside the device's resources or
    iomem conflict; everything inserted so far is removed), 0.
    """
    if dev.driver is not None:
        return errno.EBUSY, dev
    inserted: list[tuple[int, int]] = []
    bars = state.spec(name).bars
    for start, end in entries:
        if end == 0 or end < start:
            break
        if not _contained(bars, start, end) or _conflicts(state, name, start, end):
            return errno.EINVAL, dev
        inserted.append((start, end))
    return 0, replace(dev, encrypted=(*dev.encrypted, *inserted))


def _conflicts(state: KernelState, name: str, start: int, end: int) -> bool:
    """Partial overlap with another device's encrypted descriptor (identical ranges nest)."""
    devices = state.devices
    own = state.topology.index.get(name, -1)
    # Only devices holding descriptors matter; compress/map skip the rest in C.
    for i in compress(range(len(devices)), map(_ENCRYPTED, devices)):
        if i == own:
            continue
        for s, e in devices[i].encrypted:
            if s <= end and start <= e:
                return True
    return False


def mmio_teardown(dev: DeviceState, count: int | None = None) -> DeviceState:
    """``pci_tsm_mmio_teardown()``: remove the most recent ``count`` descriptors (all if None)."""
    if count is None or count >= len(dev.encrypted):
        return replace(dev, encrypted=())
    return replace(dev, encrypted=dev.encrypted[:len(dev.encrypted) - count])


def _covered(ranges: list[tuple[int, int]], start: int, end: int) -> int:
    """Bytes of [start, end] covered by the union of ``ranges``."""
    clipped = sorted((max(s, start), min(e, end)) for s, e in ranges if s <= end and start <= e)
    total, cur = 0, start - 1
    for s, e in clipped:
        s = max(s, cur + 1)
        if s <= e:
            total += e - s + 1
            cur = e
    return total


def ioremap_mode(state: KernelState, name: str, start: int, size: int) -> MapMode:
    """``ioremap()`` on x86 with ``IORES_MUST_ENCRYPT`` (§7.3), plus V7 (a).

    A range touching any encrypted descriptor must be fully covered by encrypted
    descriptors and the platform must be a CC guest; otherwise the mapping fails
    (never a silent plain fallback). Under V7 (a) it also fails below TCB.
    """
    if size <= 0:
        return MapMode.FAIL
    end = start + size - 1
    ranges = [r for enc in map(_ENCRYPTED, state.devices) if enc for r in enc]
    if not any(s <= end and start <= e for s, e in ranges):
        return MapMode.PLAIN
    if not state.topology.cc_guest or _covered(ranges, start, end) < size:
        return MapMode.FAIL
    dev = state.dev(name)
    if state.variant.refuse_encrypted_below_tcb and dev.level < tcb_level(state.variant.levels):
        return MapMode.FAIL
    return MapMode.ENCRYPTED


def proc_iomem(state: KernelState) -> str:
    """``/proc/iomem``: each BAR named by its device, encrypted descriptors nested inside."""
    lines: list[tuple[int, str]] = []
    for spec, dev in zip(state.topology.devices, state.devices, strict=True):
        for bar in spec.bars:
            if not (bar.is_memory and bar.size):
                continue
            lines.append((bar.start, f"{bar.start:08x}-{bar.end:08x} : {spec.name}"))
            depth = 1
            for s, e in dev.encrypted:
                if bar.start <= s and e <= bar.end:
                    pad = "  " * depth
                    lines.append((bar.start, f"{pad}{s:08x}-{e:08x} : {ENCRYPTED_NAME}"))
                    depth += 1
    return "".join(text + "\n" for _, text in sorted(lines, key=lambda x: x[0]))
