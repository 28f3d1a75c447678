# SPDX-License-Identifier: BSD-3-Clause
"""Byte-exact 4 KiB configuration-space image of an emulated PCI function.

Layout (PCI Local Bus / PCIe Base register maps, offsets as in Linux ``pci_regs.h``):
type-0 header; capability list at 0x40 (PCI Express, version 2, endpoint; DevCap with
FLR and, for TEE-capable functions, ``PCI_EXP_DEVCAP_TEE`` bit 30) followed by MSI-X at
0x80; extended capabilities from 0x100: DOE (0x2E, v2, 0x18 bytes) then IDE (0x30, v1)
on PF0 as in the devsec sample, then SR-IOV (0x10, v1) on a PF with VFs.

VFs follow SR-IOV: their Vendor/Device ID registers read 0xFFFF and their BARs read 0
(the VF BARs live in the PF's SR-IOV capability); software takes the ids from the PF.
"""

from __future__ import annotations

import struct

from devtrust.hw.pci import Bar, PciFunction

__all__ = [
    "CAP_ID_EXP",
    "CAP_ID_MSIX",
    "CONFIG_SPACE_SIZE",
    "EXP_DEVCAP_FLR",
    "EXP_DEVCAP_TEE",
    "EXT_CAP_ID_DOE",
    "EXT_CAP_ID_IDE",
    "EXT_CAP_ID_SRIOV",
    "IDE_CAP_IDE_KM",
    "IDE_CAP_LINK",
    "IDE_CAP_SELECTIVE",
    "IDE_CAP_TEE_LIMITED",
    "bar_register_masks",
    "bar_sizing_readback",
    "config_space",
    "ext_capability_offsets",
    "std_capability_offsets",
]

CONFIG_SPACE_SIZE = 4096
CAP_ID_EXP = 0x10
CAP_ID_MSIX = 0x11
EXT_CAP_ID_SRIOV = 0x10
EXT_CAP_ID_DOE = 0x2E
EXT_CAP_ID_IDE = 0x30
EXP_DEVCAP_FLR = 0x10000000
EXP_DEVCAP_TEE = 0x40000000
IDE_CAP_LINK = 1 << 0
IDE_CAP_SELECTIVE = 1 << 1
IDE_CAP_IDE_KM = 1 << 6
IDE_CAP_TEE_LIMITED = 1 << 24

_PCIE_CAP_AT = 0x40
_PCIE_CAP_LEN = 0x3C
_MSIX_CAP_AT = 0x80
_EXT_START = 0x100
_DOE_LEN = 0x18
_SRIOV_LEN = 0x40
_STATUS_CAP_LIST = 0x0010
_CMD_MEMORY = 0x0002
_HEADER_MULTIFUNCTION = 0x80
_LINK_2_5GT_X1 = 0x0011
# The devsec sample's IDE block: 4 link-stream TCs, 1 selective stream, 1 address block.
IDE_LINK_TCS = 4
IDE_SELECTIVE_STREAMS = 1


def _bar_flags(bar: Bar) -> int:
    if not bar.is_memory:
        return 0x1
    return (0x4 if bar.is_64bit else 0) | (0x8 if bar.prefetchable else 0)


def _bar_dwords(bars: tuple[Bar, ...]) -> list[int]:
    regs = [0] * 6
    for bar in bars:
        regs[bar.index] = (bar.address & 0xFFFFFFFF) | _bar_flags(bar)
        if bar.is_64bit:
            regs[bar.index + 1] = bar.address >> 32
    return regs


def bar_register_masks(fn: PciFunction) -> tuple[int, ...]:
    """Writable bits of the six BAR registers: sizing writes of all-ones read back masked."""
    masks = [0] * 6
    if fn.is_vf:
        return tuple(masks)
    for bar in fn.bars:
        span = (1 << 64 if bar.is_64bit else 1 << 32) - bar.size
        low_fixed = 0xF if bar.is_memory else 0x3
        masks[bar.index] = span & 0xFFFFFFFF & ~low_fixed
        if bar.is_64bit:
            masks[bar.index + 1] = span >> 32
    return tuple(masks)


def bar_sizing_readback(fn: PciFunction, register: int) -> int:
    """What BAR register ``register`` reads after software writes 0xFFFFFFFF to it."""
    flags = [0] * 6
    for bar in fn.bars if not fn.is_vf else ():
        flags[bar.index] = _bar_flags(bar)
    return bar_register_masks(fn)[register] | flags[register]


def _ext_header(cap_id: int, version: int, next_at: int) -> int:
    return cap_id | version << 16 | next_at << 20


def _ide_block() -> bytes:
    cap = (IDE_CAP_LINK | IDE_CAP_SELECTIVE | IDE_CAP_IDE_KM | IDE_CAP_TEE_LIMITED
           | (IDE_LINK_TCS - 1) << 13 | (IDE_SELECTIVE_STREAMS - 1) << 16)
    body = struct.pack("<II", cap, 0)  # IDE Capability, IDE Control
    body += b"\0" * (8 * IDE_LINK_TCS)  # link-stream {control, status} pairs
    for _ in range(IDE_SELECTIVE_STREAMS):
        # capability (1 address-association block), control, status, RID assoc 1/2,
        # then one address-association block of 3 DW.
        body += struct.pack("<IIIII", 1, 0, 0, 0, 0) + b"\0" * 12
    return body


def _sriov_block(fn: PciFunction) -> bytes:
    vf_bars = _bar_dwords(fn.vf_bars)
    control = 0x0009 if fn.num_vfs else 0  # VF Enable | VF MSE
    return struct.pack("<IHHHHHBBHHHHII6II", 0, control, 0, fn.num_vfs, fn.num_vfs,
                       fn.num_vfs, 0, 0, fn.first_vf_offset, fn.vf_stride, 0, fn.vf_device_id,
                       0x1, 0x1, *vf_bars, 0)


def config_space(fn: PciFunction) -> bytes:
    """The 4 KiB configuration space ``fn`` presents after firmware enumeration."""
    cfg = bytearray(CONFIG_SPACE_SIZE)
    ids = (0xFFFF, 0xFFFF) if fn.is_vf else (fn.vendor_id, fn.device_id)
    command = 0 if fn.is_vf else _CMD_MEMORY
    header_type = _HEADER_MULTIFUNCTION if fn.is_multifunction and not fn.is_vf else 0
    struct.pack_into("<HHHHB", cfg, 0x00, *ids, command, _STATUS_CAP_LIST, fn.revision)
    cfg[0x09:0x0C] = fn.class_code.to_bytes(3, "little")
    cfg[0x0E] = header_type
    bars = [0] * 6 if fn.is_vf else _bar_dwords(fn.bars)
    struct.pack_into("<6I", cfg, 0x10, *bars)
    struct.pack_into("<HH", cfg, 0x2C, fn.subsystem_vendor_id, fn.subsystem_id)
    cfg[0x34] = _PCIE_CAP_AT
    cfg[0x3D] = 0 if fn.is_vf else 1  # INTA for PFs; VFs have no INTx

    devcap = EXP_DEVCAP_FLR | (EXP_DEVCAP_TEE if fn.has_tee_cap else 0)
    next_cap = _MSIX_CAP_AT if fn.msix is not None else 0
    # PCIe Capabilities register: version 2, device/port type 0 (PCI Express Endpoint).
    struct.pack_into("<BBHIHHIHH", cfg, _PCIE_CAP_AT, CAP_ID_EXP, next_cap, 0x0002, devcap,
                     0, 0, _LINK_2_5GT_X1, 0, _LINK_2_5GT_X1)
    if fn.msix is not None:
        m = fn.msix
        struct.pack_into("<BBHII", cfg, _MSIX_CAP_AT, CAP_ID_MSIX, 0, m.entries - 1,
                         m.table_offset | m.table_bar, m.pba_offset | m.pba_bar)

    blocks: list[tuple[int, int, bytes]] = []
    if fn.has_doe:
        blocks.append((EXT_CAP_ID_DOE, 2, b"\0" * (_DOE_LEN - 4)))
    if fn.has_ide:
        blocks.append((EXT_CAP_ID_IDE, 1, _ide_block()))
    if fn.num_vfs and not fn.is_vf:
        blocks.append((EXT_CAP_ID_SRIOV, 1, _sriov_block(fn)))
    at = _EXT_START
    for i, (cap_id, version, body) in enumerate(blocks):
        next_at = at + 4 + len(body) if i + 1 < len(blocks) else 0
        struct.pack_into("<I", cfg, at, _ext_header(cap_id, version, next_at))
        cfg[at + 4:at + 4 + len(body)] = body
        at += 4 + len(body)
    return bytes(cfg)


def std_capability_offsets(cfg: bytes) -> tuple[tuple[int, int], ...]:
    """Walk the standard capability list: ((cap id, offset), ...); stops on loops."""
    out: list[tuple[int, int]] = []
    if not struct.unpack_from("<H", cfg, 0x06)[0] & _STATUS_CAP_LIST:
        return ()
    at = cfg[0x34] & 0xFC
    while at and len(out) < 48:
        out.append((cfg[at], at))
        at = cfg[at + 1] & 0xFC
    return tuple(out)


def ext_capability_offsets(cfg: bytes) -> tuple[tuple[int, int, int], ...]:
    """Walk the extended capability list: ((cap id, version, offset), ...)."""
    out: list[tuple[int, int, int]] = []
    at = _EXT_START
    while at and len(out) < 960:
        header = struct.unpack_from("<I", cfg, at)[0]
        if header == 0:
            break
        out.append((header & 0xFFFF, (header >> 16) & 0xF, at))
        at = header >> 20
    return tuple(out)
