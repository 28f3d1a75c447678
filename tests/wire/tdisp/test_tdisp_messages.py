# SPDX-License-Identifier: BSD-3-Clause
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tdisp_strategies import messages

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.errors import (
    LengthError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedError,
    UnknownCodeError,
    WireError,
)
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage
from devtrust.wire.tdisp import (
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    DeviceInterfaceReport,
    DeviceInterfaceState,
    FunctionId,
    GetTdispVersion,
    LockFlags,
    LockInterfaceRequest,
    MmioRange,
    RangeAttr,
    SetMmioAttributeRequest,
    TdispCapabilities,
    TdispError,
    TdispErrorCode,
    TdispMessage,
    TdispRequest,
    TdispVersionResponse,
    VendorPayload,
    VendorRegistry,
    decode_tdisp,
    decode_tdisp_request,
    decode_tdisp_response,
)

BEEF = FunctionId.from_requester_id(0xBEEF)
HDR = bytes.fromhex("EFBE0000" "0000000000000000")  # INTERFACE_ID for 0xBEEF


def hdr(code: int) -> bytes:
    return bytes([0x10, code, 0, 0]) + HDR


# protocols.md §1.1 worked example.
GET_TDISP_VERSION_28 = bytes.fromhex(
    "12FE0000" "0300" "02" "0100" "1100" "01" "10810000" "EFBE0000" "0000000000000000")


def test_golden_get_tdisp_version_in_vendor_defined() -> None:
    vdm = VendorDefinedMessage.decode(GET_TDISP_VERSION_28)
    assert vdm.pci_protocol is PciProtocol.TDISP
    msg = assert_codec(decode_tdisp, vdm.pci_body, GetTdispVersion(BEEF))
    wrapped = VendorDefinedMessage.pci_sig(0x12, True, PciProtocol.TDISP, msg.encode())
    assert wrapped.encode() == GET_TDISP_VERSION_28


# Hand-derived from the §2.4 tables and the reference requester values of §2.5
# (FLAGS 0x0007, default stream 0, MMIO_REPORTING_OFFSET 0xD0000000, mask 0).
GOLDEN = [
    (hdr(0x83) + bytes.fromhex("0700" "00" "00" "000000D000000000" "0000000000000000"),
     LockInterfaceRequest(BEEF, LockFlags(7), 0, 0xD000_0000, 0)),
    (hdr(0x02) + bytes.fromhex("00000000" "FE000000000000000000000000000000"
                               "0700" "000000" "34" "01" "01"),
     TdispCapabilities(BEEF, 0xFE, LockFlags(7), 52, 1, 1)),
    (hdr(0x01) + b"\x01\x10", TdispVersionResponse(BEEF, (0x10,))),
    (hdr(0x05) + b"\x02", DeviceInterfaceState(BEEF, 2)),
    (hdr(0x04) + bytes.fromhex("0300" "0500") + b"abc", DeviceInterfaceReport(BEEF, 5, b"abc")),
    (hdr(0x7F) + bytes.fromhex("07000000" "99000000"),
     TdispError(BEEF, TdispErrorCode.UNSUPPORTED_REQUEST, 0x99)),
    (hdr(0x7F) + bytes.fromhex("02010000" "00000000"),
     TdispError(BEEF, TdispErrorCode.INVALID_NONCE)),
    (hdr(0x7F) + bytes.fromhex("FF000000" "05000000" "00" "02" "0100" "EE"),
     TdispError(BEEF, TdispErrorCode.VENDOR_SPECIFIC_ERROR,
                vendor=VendorPayload(VendorRegistry.PCI_SIG, b"\x01\x00", b"\xEE"))),
    (hdr(0x8A) + bytes.fromhex("0010000000000000" "02000000" "0400" "0300"),
     SetMmioAttributeRequest(BEEF, MmioRange(0x1000, 2, RangeAttr.NON_TEE, 3))),
    (hdr(0x83) + bytes.fromhex("1000" "05" "00" "000000000000FFFF" "FFFFFFFF00000000"),
     LockInterfaceRequest(BEEF, LockFlags.ALL_REQUEST_REDIRECT, 5, -(1 << 48), 0xFFFF_FFFF)),
]


@pytest.mark.parametrize("data, expected", GOLDEN, ids=lambda x: type(x).__name__)
def test_golden(data: bytes, expected: TdispMessage) -> None:
    assert_codec(decode_tdisp, data, expected)
    assert_codec(type(expected).decode, data, expected)


def test_error_data_is_derived() -> None:
    err = GOLDEN[7][1]
    assert isinstance(err, TdispError) and err.error_data == 5
    assert GOLDEN[5][1].error_data == 0x99


def test_all_required_requests_mask() -> None:
    required = [TdispRequest(c) for c in range(0x81, 0x88)]
    assert TdispCapabilities.mask_for(required) == 0xFE  # byte 20 = 0xFE (§2.4)
    caps = TdispCapabilities(BEEF, 0xFE, LockFlags(7), 52, 1, 1)
    assert caps.supported_requests() == frozenset(required)


def test_legacy_mask_only_in_tolerant_mode() -> None:
    # spdm-rs / tee-io-validator markdown form: code − 0x81, all seven ⇒ 0x7F (§7 row 1).
    data = GOLDEN[1][0][:20] + b"\x7F" + GOLDEN[1][0][21:]
    caps = assert_codec(TdispCapabilities.decode, data)
    with pytest.raises(UnknownCodeError):
        caps.supported_requests()
    assert caps.supported_requests(tolerant=True) == frozenset(
        TdispRequest(c) for c in range(0x81, 0x88))


def _flip(data: bytes, at: int, value: int) -> bytes:
    out = bytearray(data)
    out[at] = value
    return bytes(out)


LOCK = GOLDEN[0][0]
CAPS = GOLDEN[1][0]


@pytest.mark.parametrize("data, kind, field", [
    (_flip(LOCK, 0, 0x11), UnknownCodeError, "header.version"),
    (_flip(LOCK, 12, 1), ReservedBitsError, "header.interface_id.reserved"),
    (_flip(LOCK, 16, 0x20), ReservedBitsError, "flags"),
    (_flip(LOCK, 19, 1), ReservedBitsError, "reserved"),
    (LOCK + b"\x00", TrailingBytesError, "<end>"),
    (LOCK[:-1], TruncatedError, "bind_p2p_address_mask"),
    (_flip(CAPS, 16, 1), ReservedBitsError, "dsm_caps"),
    (_flip(CAPS, 21, 0x10), ReservedBitsError, "req_msgs_supported"),  # bit 12
    (_flip(CAPS, 36, 0x27), ReservedBitsError, "lock_interface_flags_supported"),
    (_flip(CAPS, 39, 1), ReservedBitsError, "reserved"),
    (hdr(0x82) + b"\x00\x00\x01\x00", ReservedBitsError, "tsm_caps"),
    (hdr(0x05) + b"\x04", UnknownCodeError, "tdi_state"),
    (hdr(0x01) + b"\x00", LengthError, "version_num_count"),
    (hdr(0x01) + b"\x02\x10", TruncatedError, "version_num_entry"),
    (hdr(0x04) + bytes.fromhex("0400" "0000") + b"abc", TruncatedError, "report_bytes"),
    (hdr(0x7F) + bytes.fromhex("01000000" "01000000"), ReservedBitsError, "error_data"),
    (hdr(0x7F) + bytes.fromhex("02000000" "00000000"), UnknownCodeError, "error_code"),
    (hdr(0x7F) + bytes.fromhex("FF000000" "06000000" "00020100EE"), LengthError, "error_data"),
    (hdr(0x7F) + bytes.fromhex("FF000000" "03000000" "00020100EE"), TruncatedError,
     "extended_error_data.vendor_id"),
    (hdr(0x8A) + bytes.fromhex("00100000000000000200000008000300"), ReservedBitsError,
     "mmio_range.attributes"),  # UPDATABLE is reserved in this request (§7 row 12)
    (hdr(0x8B) + b"\x02\x00", UnknownCodeError, "vdm.registry_id"),
    (hdr(0x88), TruncatedError, "p2p_stream_id"),
])
def test_strict(data: bytes, kind: type[WireError], field: str) -> None:
    with pytest.raises(kind) as info:
        decode_tdisp(data)
    assert info.value.field == field, info.value


def test_class_decoder_checks_its_code() -> None:
    with pytest.raises(UnknownCodeError) as info:
        LockInterfaceRequest.decode(_flip(LOCK, 1, 0x84))
    assert (info.value.field, info.value.offset) == ("header.message_type", 1)


def test_unknown_codes_and_direction() -> None:
    with pytest.raises(UnknownCodeError) as info:
        decode_tdisp(hdr(0x8C))
    assert info.value.offset == 1
    with pytest.raises(UnknownCodeError):
        decode_tdisp(hdr(0x00))
    with pytest.raises(UnknownCodeError):
        decode_tdisp_request(hdr(0x01) + b"\x01\x10")
    with pytest.raises(UnknownCodeError):
        decode_tdisp_response(hdr(0x81))
    assert isinstance(decode_tdisp_request(hdr(0x81)), GetTdispVersion)


def test_code_tables_cover_the_enums() -> None:
    assert set(REQUEST_CLASSES) == set(TdispRequest)
    assert len(RESPONSE_CLASSES) == 12
    assert all(c.IS_REQUEST for c in REQUEST_CLASSES.values())
    assert not any(c.IS_REQUEST for c in RESPONSE_CLASSES.values())


def test_constructors_refuse_what_cannot_be_encoded() -> None:
    with pytest.raises(ValueError):
        TdispError(BEEF, TdispErrorCode.VENDOR_SPECIFIC_ERROR)
    with pytest.raises(ValueError):
        TdispError(BEEF, TdispErrorCode.BUSY, 3)
    with pytest.raises(ValueError):
        SetMmioAttributeRequest(BEEF, MmioRange(0, 1, RangeAttr.UPDATABLE, 0))
    with pytest.raises(ValueError):
        TdispVersionResponse(BEEF, ())
    with pytest.raises(ValueError):
        TdispCapabilities(BEEF, 1 << 12, LockFlags(0), 52, 1, 1)


@given(messages)
def test_roundtrip(msg: TdispMessage) -> None:
    data = msg.encode()
    assert_codec(decode_tdisp, data, msg)
    assert_codec(type(msg).decode, data, msg)
    table = REQUEST_CLASSES if msg.IS_REQUEST else RESPONSE_CLASSES
    assert table[data[1]] is type(msg)


@given(st.binary(max_size=64))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(decode_tdisp, b"\x10" + data)
    assert_decoder_total(decode_tdisp, data)


@given(messages, st.data())
def test_mutated_messages(msg: TdispMessage, data: st.DataObject) -> None:
    raw = bytearray(msg.encode())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw) + 2))
    mutated = bytes(raw[:cut]) + (b"\x00" * (cut - len(raw)) if cut > len(raw) else b"")
    assert_decoder_total(decode_tdisp, mutated)
    assert_decoder_total(type(msg).decode, mutated)
    assert_decoder_total(decode_tdisp_request, mutated)
    assert_decoder_total(decode_tdisp_response, mutated)
