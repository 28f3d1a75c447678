# SPDX-License-Identifier: BSD-3-Clause
"""PCI model: BDFs, BARs, placement, config-space image and interface-report ranges."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.hw.config_space import (
    CAP_ID_EXP,
    CAP_ID_MSIX,
    EXP_DEVCAP_TEE,
    EXT_CAP_ID_DOE,
    EXT_CAP_ID_IDE,
    EXT_CAP_ID_SRIOV,
    IDE_CAP_IDE_KM,
    IDE_CAP_SELECTIVE,
    bar_register_masks,
    bar_sizing_readback,
    config_space,
    ext_capability_offsets,
    std_capability_offsets,
)
from devtrust.hw.fleet import build_fleet
from devtrust.hw.mmio import RangeAttr, interface_report_ranges
from devtrust.hw.pci import Bar, BarRegion, Bdf, MsixPlacement, PciFunction
from devtrust.hw.scenario import default_scenario
from devtrust.hw.topology import Device, HostBridge, Window, place


@pytest.fixture(scope="module")
def fleet():  # type: ignore[no-untyped-def]
    return build_fleet(default_scenario())


def test_bdf_format_parse_and_requester_id() -> None:
    bdf = Bdf(0x10000, 0x01, 0x00, 1)
    assert str(bdf) == "10000:01:00.1"
    assert str(Bdf(0, 2, 0x10, 3)) == "0000:02:10.3"
    assert Bdf.parse("10000:01:00.1") == bdf
    assert Bdf.parse("03:1f.7") == Bdf(0, 3, 0x1F, 7)
    assert bdf.requester_id == 0x0101
    assert Bdf(0, 0x02, 0x10, 3).requester_id == 0x0283
    assert Bdf(5, 0, 0, 0).with_routing_id(0x0283) == Bdf(5, 2, 0x10, 3)
    for bad in ("1:2:3", "01:00.8", "zz:00.0"):
        with pytest.raises(ValueError):
            Bdf.parse(bad)


def test_bar_validation() -> None:
    with pytest.raises(ValueError):
        Bar(0, 3 * 4096)  # not a power of two
    with pytest.raises(ValueError):
        Bar(5, 4096, is_64bit=True)  # needs two registers
    with pytest.raises(ValueError):
        Bar(0, 8192, address=4096)  # misaligned
    with pytest.raises(ValueError):
        PciFunction(Bdf(0, 1, 0, 0), 1, 2, 3,
                    bars=(Bar(0, 4096, is_64bit=True), Bar(1, 4096)))


def test_devsec_topology_matches_sample_log(fleet) -> None:  # type: ignore[no-untyped-def]
    ep0 = fleet.topology.device("devsec-ep0")
    assert [str(f.bdf) for f in ep0.all_functions] == ["10000:01:00.0", "10000:01:00.1"]
    assert [f.bars[0].address for f in ep0.all_functions] == [0xF0000000, 0xF0200000]
    ep1 = fleet.topology.device("devsec-ep1")
    assert [f.bars[0].address for f in ep1.all_functions] == [0xF0400000, 0xF0600000]
    assert str(fleet.topology.root_port_of(ep1).bdf) == "10001:02:00.0"
    assert [hb.nr_streams for hb in fleet.topology.host_bridges[:2]] == [4, 4]


def test_sriov_vfs_are_tdis_with_sliced_apertures(fleet) -> None:  # type: ignore[no-untyped-def]
    nic = fleet.topology.device("nic0")
    pf = nic.pf0
    assert [str(v.bdf) for v in nic.vfs] == [f"0000:02:10.{n}" for n in range(4)]
    assert all(v.is_vf and v.pf_bdf == pf.bdf and v.is_tdi for v in nic.vfs)
    aperture = pf.vf_bars[0]
    assert [v.bars[0].address for v in nic.vfs] == [aperture.address + n * 0x20000
                                                     for n in range(4)]


def test_config_space_header_and_bars(fleet) -> None:  # type: ignore[no-untyped-def]
    fn = fleet.topology.function("10000:01:00.0")
    cfg = config_space(fn)
    assert len(cfg) == 4096
    assert struct.unpack_from("<HH", cfg, 0) == (0x8086, 0xFFFF)
    assert cfg[0x09:0x0C] == bytes([0x00, 0x00, 0x12])  # class 0x120000
    assert cfg[0x0E] == 0x80  # multi-function
    low, high = struct.unpack_from("<II", cfg, 0x10)
    assert low == 0xF0000000 | 0x4 | 0x8 and high == 0
    assert struct.unpack_from("<H", cfg, 0x06)[0] & 0x10


@pytest.mark.parametrize("size,is_64,pref", [(4096, False, False), (2 << 20, True, True),
                                             (8 << 30, True, True), (1 << 16, True, False)])
def test_bar_sizing_readback(size: int, is_64: bool, pref: bool) -> None:
    fn = PciFunction(Bdf(0, 1, 0, 0), 1, 2, 3, bars=(Bar(0, size, is_64, pref),))
    low = bar_sizing_readback(fn, 0)
    assert low & 0xF == (0x4 if is_64 else 0) | (0x8 if pref else 0)
    mask = low & ~0xF
    if is_64:
        mask |= bar_sizing_readback(fn, 1) << 32
        width = 64
    else:
        width = 32
    assert ((~mask) & ((1 << width) - 1)) + 1 == size
    assert bar_register_masks(fn)[2:] == (0, 0, 0, 0)


def test_capability_chains(fleet) -> None:  # type: ignore[no-untyped-def]
    pf0 = config_space(fleet.topology.function("10000:01:00.0"))
    fn1 = config_space(fleet.topology.function("10000:01:00.1"))
    assert std_capability_offsets(pf0) == ((CAP_ID_EXP, 0x40),)
    devcap = struct.unpack_from("<I", pf0, 0x44)[0]
    assert devcap & EXP_DEVCAP_TEE == 0x40000000
    assert struct.unpack_from("<I", fn1, 0x44)[0] & EXP_DEVCAP_TEE
    assert ext_capability_offsets(pf0) == ((EXT_CAP_ID_DOE, 2, 0x100), (EXT_CAP_ID_IDE, 1, 0x118))
    assert ext_capability_offsets(fn1) == ()
    ide_cap = struct.unpack_from("<I", pf0, 0x11C)[0]
    assert ide_cap & IDE_CAP_SELECTIVE and ide_cap & IDE_CAP_IDE_KM
    assert (ide_cap >> 16) & 0xFF == 0  # one selective stream, 0-based


def test_msix_and_sriov_capabilities(fleet) -> None:  # type: ignore[no-untyped-def]
    nic = fleet.topology.device("nic0")
    cfg = config_space(nic.pf0)
    assert std_capability_offsets(cfg) == ((CAP_ID_EXP, 0x40), (CAP_ID_MSIX, 0x80))
    ctl, table, pba = struct.unpack_from("<HII", cfg, 0x82)
    assert ctl == 127 and table == 0x0 | 3 and pba == 0x8000 | 3
    caps = ext_capability_offsets(cfg)
    assert [c[0] for c in caps] == [EXT_CAP_ID_DOE, EXT_CAP_ID_IDE, EXT_CAP_ID_SRIOV]
    at = caps[-1][2]
    assert struct.unpack_from("<H", cfg, at + 0x10)[0] == 4  # NumVFs
    assert struct.unpack_from("<HH", cfg, at + 0x14) == (0x80, 1)
    assert struct.unpack_from("<H", cfg, at + 0x1A)[0] == 0x1889
    vf_bar0 = struct.unpack_from("<Q", cfg, at + 0x24)[0] & ~0xF
    assert vf_bar0 == nic.pf0.vf_bars[0].address
    vf = config_space(nic.vfs[0])
    assert struct.unpack_from("<HH", vf, 0) == (0xFFFF, 0xFFFF)
    assert vf[0x10:0x28] == bytes(24)


def test_config_space_is_deterministic(fleet) -> None:  # type: ignore[no-untyped-def]
    again = build_fleet(default_scenario())
    for fn in fleet.topology.functions():
        assert config_space(fn) == config_space(again.topology.function(fn.bdf))


def _check_ranges(fn: PciFunction, offset: int, lock_msix: bool) -> None:
    ranges = interface_report_ranges(fn, offset, lock_msix=lock_msix)
    keys = [(r.range_id, r.first_page) for r in ranges]
    assert keys == sorted(keys)
    covered: dict[int, int] = {}
    for r in ranges:
        bar = fn.bar(r.range_id)
        assert bar is not None
        start = (r.first_page << 12) - offset
        assert bar.address <= start and start + r.num_pages * 4096 <= bar.end
        assert int(r.attributes) & ~0xF == 0
        covered[r.range_id] = covered.get(r.range_id, 0) + r.num_pages * 4096
    msix = [r for r in ranges if r.attributes & (RangeAttr.MSIX_TABLE | RangeAttr.MSIX_PBA)]
    if fn.msix is None or not lock_msix:
        assert not msix
    else:
        assert {int(r.attributes) for r in msix} == {1, 2}
    holes = {} if lock_msix or fn.msix is None else {
        fn.msix.table_bar: 0, fn.msix.pba_bar: 0}
    if holes and fn.msix is not None:
        holes[fn.msix.table_bar] += fn.msix.table_region.size
        holes[fn.msix.pba_bar] += fn.msix.pba_region.size
    for bar in fn.memory_bars:
        assert covered.get(bar.index, 0) + holes.get(bar.index, 0) == bar.size


@pytest.mark.parametrize("offset", [0, 0xD0000000])
@pytest.mark.parametrize("lock_msix", [False, True])
def test_report_ranges_of_default_fleet(fleet, offset: int, lock_msix: bool) -> None:  # type: ignore[no-untyped-def]
    for fn in fleet.topology.functions():
        _check_ranges(fn, offset, lock_msix)


def test_report_ranges_gpu_layout(fleet) -> None:  # type: ignore[no-untyped-def]
    gpu = fleet.topology.function("0000:01:00.0")
    ranges = interface_report_ranges(gpu, 0, lock_msix=True)
    bar0 = gpu.bar(0).address
    assert [r.as_tuple() for r in ranges if r.range_id == 0] == [
        (bar0 >> 12, 0xB90, 0, 0), ((bar0 + 0xB90000) >> 12, 1, 1, 0),
        ((bar0 + 0xB91000) >> 12, 0xF, 0, 0), ((bar0 + 0xBA0000) >> 12, 1, 2, 0),
        ((bar0 + 0xBA1000) >> 12, 0x35F, 0, 0), ((bar0 + 0xF00000) >> 12, 0x10, 4, 0),
        ((bar0 + 0xF10000) >> 12, 0xF0, 0, 0)]
    assert [r.range_id for r in ranges][-2:] == [1, 3]
    with pytest.raises(ValueError):
        interface_report_ranges(gpu, 0x800, lock_msix=False)


@st.composite
def _functions(draw: st.DrawFn) -> PciFunction:
    sizes = draw(st.lists(st.integers(12, 24), min_size=1, max_size=3))
    bars = []
    for index, bits in zip((0, 2, 4), sizes, strict=False):
        bars.append(Bar(index, 1 << bits, is_64bit=True, prefetchable=draw(st.booleans())))
    msix = None
    big = max(bars, key=lambda b: b.size)
    if big.size >= 4 * 4096 and draw(st.booleans()):
        pages = big.size // 4096
        t = draw(st.integers(0, pages - 1))
        p = draw(st.integers(0, pages - 1).filter(lambda x: x != t))
        msix = MsixPlacement(big.index, t * 4096, draw(st.integers(1, 256)), big.index,
                             p * 4096)
    fn = PciFunction(Bdf(0, 1, 0, 0), 0x1234, 0x5678, 0x020000, bars=tuple(bars), msix=msix,
                     is_pf0=True)
    hb = HostBridge("hb", 0, 0, 1, 1, Window(0x80000000, 1 << 30), Window(1 << 40, 1 << 36))
    return place([hb], [Device("d", "hb", (fn,))]).devices[0].pf0


@given(_functions(), st.sampled_from([0, 0x1000, 0xD0000000, 1 << 44]), st.booleans())
def test_report_ranges_properties(fn: PciFunction, offset: int, lock_msix: bool) -> None:
    _check_ranges(fn, offset, lock_msix)


def test_region_validation() -> None:
    with pytest.raises(ValueError):
        BarRegion(0, 100, 4096)
    with pytest.raises(ValueError):
        MsixPlacement(0, 0, 300, 0, 0)  # table and PBA on the same page
    with pytest.raises(ValueError):
        PciFunction(Bdf(0, 1, 0, 0), 1, 2, 3, bars=(Bar(0, 4096),),
                    msix=MsixPlacement(0, 0, 1, 0, 4096))  # PBA outside the BAR


def test_window_exhaustion_names_the_bridge() -> None:
    fn = PciFunction(Bdf(0, 1, 0, 0), 1, 2, 3, bars=(Bar(0, 1 << 20),), is_pf0=True)
    hb = HostBridge("tiny", 0, 0, 1, 1, Window(0, 4096), Window(1 << 32, 4096))
    with pytest.raises(ValueError, match="tiny"):
        place([hb], [Device("d", "tiny", (fn,))])
