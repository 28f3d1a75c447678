# SPDX-License-Identifier: BSD-3-Clause
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tdisp_strategies import SAMPLE_REPORT, mmio_ranges, reports

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.errors import (
    LengthError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedError,
    WireError,
)
from devtrust.wire.tdisp import InterfaceInfo, MmioRange, RangeAttr, TdiReport

SAMPLE = TdiReport(
    InterfaceInfo.NO_FW_UPDATE | InterfaceInfo.DMA_WITHOUT_PASID,
    mmio_ranges=(
        MmioRange(0x0, 1, RangeAttr.NON_TEE, 1),
        MmioRange(0x8000, 4, RangeAttr.UPDATABLE, 2),
        MmioRange(0x10000, 8, RangeAttr.UPDATABLE, 3),
        MmioRange(0x20000, 8, RangeAttr.UPDATABLE, 4)),
    device_specific_info=b"tdisp_dev_emu\x00\x00\x00")


def test_golden_sample_report() -> None:
    assert len(SAMPLE_REPORT) == 100
    report = assert_codec(TdiReport.decode, SAMPLE_REPORT, SAMPLE)
    assert report.size == 100 == 20 + 16 * 4 + 16
    assert report.encode() == SAMPLE_REPORT


def test_reporting_offset_arithmetic() -> None:
    # §7 row 7: FIRST_PAGE = (phys + offset) >> 12; phys = (FIRST_PAGE << 12) − offset.
    offset = 0xD000_0000
    entry = MmioRange.from_physical(0xFE00_0000, 0x4000, RangeAttr.MSIX_TABLE, 0, offset)
    assert entry.first_page == (0xFE00_0000 + 0xD000_0000) >> 12
    assert entry.num_pages == 4 and entry.size == 0x4000
    assert entry.byte_start(offset) == 0xFE00_0000
    assert entry.byte_end(offset) == 0xFE00_4000
    negative = MmioRange.from_physical(0x2000_0000, 0x1000, RangeAttr(0), 2, -0x1000_0000)
    assert negative.first_page == 0x10000 and negative.byte_start(-0x1000_0000) == 0x2000_0000
    with pytest.raises(ValueError):
        MmioRange.from_physical(0x1000, 0x1000, RangeAttr(0), 0, 0x800)


def _flip(at: int, value: int) -> bytes:
    out = bytearray(SAMPLE_REPORT)
    out[at] = value
    return bytes(out)


@pytest.mark.parametrize("data, kind, field, offset", [
    (_flip(0, 0x23), ReservedBitsError, "interface_info", 0),
    (_flip(1, 0x01), ReservedBitsError, "interface_info", 0),
    (_flip(2, 0x01), ReservedBitsError, "reserved", 2),
    (_flip(28, 0x14), ReservedBitsError, "mmio_range[0].attributes", 28),
    (_flip(29, 0x01), ReservedBitsError, "mmio_range[0].attributes", 28),
    (_flip(12, 0x06), LengthError, "mmio_range_count", 12),
    (_flip(15, 0xFF), LengthError, "mmio_range_count", 12),
    (_flip(80, 0x11), TruncatedError, "device_specific_info", 84),
    (_flip(83, 0x80), TruncatedError, "device_specific_info", 84),
    (SAMPLE_REPORT + b"\x00", TrailingBytesError, "<end>", 100),
    (SAMPLE_REPORT[:19], LengthError, "mmio_range_count", 12),
    (SAMPLE_REPORT[:14], TruncatedError, "mmio_range_count", 12),
])
def test_strict(data: bytes, kind: type[WireError], field: str, offset: int) -> None:
    with pytest.raises(kind) as info:
        TdiReport.decode(data)
    assert (info.value.field, info.value.offset) == (field, offset)


def test_huge_count_is_refused_before_allocating() -> None:
    data = bytes(12) + (0xFFFF_FFFF).to_bytes(4, "little") + bytes(4)
    with pytest.raises(LengthError):
        TdiReport.decode(data)


@given(reports)
def test_roundtrip(report: TdiReport) -> None:
    data = report.encode()
    assert len(data) == report.size
    assert_codec(TdiReport.decode, data, report)


@given(mmio_ranges())
def test_range_roundtrip(entry: MmioRange) -> None:
    assert_codec(MmioRange.decode, entry.encode(), entry)
    assert entry.byte_start(0) == entry.first_page << 12


@given(st.binary(max_size=120))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(TdiReport.decode, data)
    assert_decoder_total(MmioRange.decode, data)


@given(reports, st.data())
def test_mutated_reports(report: TdiReport, data: st.DataObject) -> None:
    raw = bytearray(report.encode())
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] = data.draw(st.integers(0, 255))
    assert_decoder_total(TdiReport.decode, bytes(raw[:data.draw(st.integers(0, len(raw)))]))
    assert_decoder_total(TdiReport.decode, bytes(raw))
