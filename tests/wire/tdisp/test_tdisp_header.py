# SPDX-License-Identifier: BSD-3-Clause
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tdisp_strategies import function_ids

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.errors import ReservedBitsError, TrailingBytesError, TruncatedError
from devtrust.wire.tdisp import FunctionId, TdispHeader, TdispRequest

# protocols.md §1.1: the TDISP part of the 28-byte worked example (FUNCTION_ID 0xBEEF).
HEADER_BEEF = bytes.fromhex("10810000" "EFBE0000" "0000000000000000")


def test_golden_header_and_function_id() -> None:
    header = assert_codec(TdispHeader.decode, HEADER_BEEF)
    assert header.version == 0x10 and header.code == TdispRequest.GET_TDISP_VERSION
    fid = header.function_id
    assert fid.requester_id == 0xBEEF and fid.value == 0xBEEF
    assert (fid.bus, fid.device, fid.function) == (0xBE, 0x1D, 7)
    assert not fid.segment_valid and fid.segment == 0


def test_segment_valid_round_trip() -> None:
    fid = FunctionId.from_requester_id(0x0100, segment=0x23)
    assert fid.value == 0x0123_0100
    assert_codec(FunctionId.decode, fid.encode(), fid)


@pytest.mark.parametrize("value, field", [
    (0x0200_0000, "function_id"),  # bit 25: reserved 31:25
    (0x8000_0000, "function_id"),  # bit 31
    (0x0042_0000, "function_id"),  # segment without segment-valid (§7 row 10)
])
def test_function_id_reserved(value: int, field: str) -> None:
    with pytest.raises(ReservedBitsError) as info:
        FunctionId.decode(value.to_bytes(4, "little"))
    assert info.value.field == field and info.value.offset == 0


def test_function_id_constructor_refuses_segment_without_valid() -> None:
    with pytest.raises(ValueError, match="segment_valid"):
        FunctionId(0, 0, 0, segment=1)


@pytest.mark.parametrize("at, field", [
    (2, "header.reserved"), (3, "header.reserved"),
    (8, "header.interface_id.reserved"), (15, "header.interface_id.reserved")])
def test_header_reserved_bytes(at: int, field: str) -> None:
    bad = bytearray(HEADER_BEEF)
    bad[at] = 1
    with pytest.raises(ReservedBitsError) as info:
        TdispHeader.decode(bytes(bad))
    assert info.value.field == field
    assert info.value.offset == (2 if at < 4 else 8)


def test_decode_is_exact_but_peek_ignores_the_body() -> None:
    with pytest.raises(TrailingBytesError):
        TdispHeader.decode(HEADER_BEEF + b"\x00")
    with pytest.raises(TruncatedError):
        TdispHeader.decode(HEADER_BEEF[:15])
    peeked = TdispHeader.peek(HEADER_BEEF + b"\xAA\xBB")
    assert peeked == TdispHeader.decode(HEADER_BEEF)
    # Any version and code pass the header: refusing them is the responder's call.
    odd = TdispHeader.peek(b"\x20\x99" + HEADER_BEEF[2:])
    assert (odd.version, odd.code) == (0x20, 0x99)


@given(function_ids(), st.integers(0, 255), st.integers(0, 255))
def test_header_roundtrip(fid: FunctionId, version: int, code: int) -> None:
    header = TdispHeader(version, code, fid)
    assert_codec(TdispHeader.decode, header.encode(), header)
    assert_codec(FunctionId.decode, fid.encode(), fid)


@given(st.binary(max_size=20))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(TdispHeader.decode, data)
    assert_decoder_total(TdispHeader.peek, data)
    assert_decoder_total(FunctionId.decode, data)
