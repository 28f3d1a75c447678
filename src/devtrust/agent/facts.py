# SPDX-License-Identifier: BSD-3-Clause
"""What the relying party can learn about a function from standard PCI sysfs files.

Identity from ``vendor``/``device``/``class``/``subsystem_*``, BARs from
``resource``, MSI-X placement from the capability in ``config``. In a confidential
guest these files come from the (untrusted) VMM, so they are parsed with bounds
checks and used only as the *expected* layout the interface report is compared
with - never as a reason to trust.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.report_check import BarInfo, MsixPlacement
from devtrust.platform.base import PCI_DEVICES, Platform

__all__ = ["DeviceFacts", "FactsError", "parse_msix", "parse_resource", "read_facts"]

_IORESOURCE_MEM = 0x200
_CAP_LIST = 0x34
_CAP_MSIX = 0x11
_STATUS_CAP_LIST = 0x10


class FactsError(Exception):
    """A sysfs file did not have the shape Linux gives it."""


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """A function's identity and advertised layout."""

    name: str
    identity: DeviceIdentity
    bars: tuple[BarInfo, ...]
    msix: MsixPlacement | None


def _hex(text: str, what: str) -> int:
    try:
        return int(text.strip(), 16)
    except ValueError:
        raise FactsError(f"{what}: not a hex number: {text.strip()[:32]!r}") from None


def parse_resource(text: str) -> tuple[BarInfo, ...]:
    """BARs 0-5 from ``resource`` ("start end flags" per line, hex)."""
    bars = []
    for index, line in enumerate(text.splitlines()[:6]):
        fields = line.split()
        if len(fields) != 3:
            raise FactsError(f"resource line {index}: expected 3 fields")
        start, end, flags = (_hex(f, f"resource line {index}") for f in fields)
        if start == 0 and end == 0:
            continue
        if end < start:
            raise FactsError(f"resource line {index}: end before start")
        bars.append(BarInfo(index, end - start + 1, start, bool(flags & _IORESOURCE_MEM)))
    return tuple(bars)


def parse_msix(config: bytes) -> MsixPlacement | None:
    """MSI-X table/PBA placement from the config-space capability list (None if absent)."""
    def u8(at: int) -> int:
        if at >= len(config):
            raise FactsError(f"config space truncated at 0x{at:x}")
        return config[at]

    def u16(at: int) -> int:
        return u8(at) | u8(at + 1) << 8

    def u32(at: int) -> int:
        return u16(at) | u16(at + 2) << 16

    if len(config) < 0x40 or not u16(0x06) & _STATUS_CAP_LIST:
        return None
    at, seen = u8(_CAP_LIST) & 0xFC, set()
    while at and at not in seen:
        seen.add(at)
        if u8(at) == _CAP_MSIX:
            entries = (u16(at + 2) & 0x7FF) + 1
            table, pba = u32(at + 4), u32(at + 8)
            return MsixPlacement(table & 7, table & ~7, entries * 16,
                                 pba & 7, pba & ~7, ((entries + 63) // 64) * 8)
        at = u8(at + 1) & 0xFC
    return None


def read_facts(platform: Platform, name: str) -> DeviceFacts:
    """Identity, BARs and MSI-X placement of ``name`` (raises FactsError / OSError)."""
    base = f"{PCI_DEVICES}/{name}"

    def attr(file: str) -> int:
        return _hex(platform.read(f"{base}/{file}"), file)

    identity = DeviceIdentity(attr("vendor"), attr("device"), attr("subsystem_vendor"),
                              attr("subsystem_device"), attr("class") & 0xFFFFFF,
                              revision=attr("revision") & 0xFF)
    bars = parse_resource(platform.read(f"{base}/resource"))
    try:
        config = platform.read_bytes(f"{base}/config")
    except OSError:
        config = b""   # no config access: MSI-X placement unknown, checked as absent
    return DeviceFacts(name, identity, bars, parse_msix(config))
