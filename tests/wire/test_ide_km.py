# SPDX-License-Identifier: BSD-3-Clause
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.errors import (
    LengthError,
    ReservedBitsError,
    TrailingBytesError,
    UnknownCodeError,
    WireError,
)
from devtrust.wire.ide_km import (
    IFV_OFFSET,
    KEY_OFFSET,
    IdeKmMessage,
    KeyDirection,
    KeyProg,
    KeySubStream,
    KGoStopAck,
    KpAck,
    KpAckStatus,
    KSetGo,
    KSetStop,
    Query,
    QueryResp,
    SubStream,
    body_offset,
    decode_ide_km,
    iv_from_ifv,
    key_from_wire,
    key_to_wire,
)
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage

# protocols.md §5.2 (tee-io-validator key_byte_order.md).
KEY = bytes.fromhex("df254152056e02e0ef8b7feb9739d4d96a4eb80103241df7cd5e24b49ccd2720")


def test_golden_key_order() -> None:
    wire = key_to_wire(KEY)
    assert wire[:8] == bytes.fromhex("524125dfe0026e05")
    assert wire[-8:] == bytes.fromhex("b4245ecd2027cd9c")
    assert key_from_wire(wire) == KEY
    # IFV = 1: IV = 00..01, IFV field on the wire 00 00 00 00 01 00 00 00 (spdm-emu).
    ifv = bytes(7) + b"\x01"
    assert key_to_wire(ifv) == bytes.fromhex("0000000001000000")
    assert iv_from_ifv(ifv) == bytes(11) + b"\x01"


SUB_TX_NPR = KeySubStream(0, KeyDirection.TX, SubStream.NPR)  # byte 0x12


def test_golden_key_prog() -> None:
    # Protocol-id-relative layout of §5.2, minus the protocol id byte.
    body = (bytes.fromhex("02" "0000" "05" "00" "12" "01") + key_to_wire(KEY)
            + bytes.fromhex("0000000001000000"))
    msg = assert_codec(KeyProg.decode, body, KeyProg(5, SUB_TX_NPR, 1, KEY))
    assert body_offset(KEY_OFFSET) == 7 and body[7:39] == key_to_wire(KEY)
    assert body_offset(IFV_OFFSET) == 39 and msg.iv == bytes(11) + b"\x01"
    assert KEY.hex() not in repr(msg)  # the key stays out of logs


GOLDEN = [
    (bytes.fromhex("00" "00" "01"), Query(1)),
    (bytes.fromhex("01" "00" "01" "08" "02" "00" "07" "11223344"),
     QueryResp(1, 8, 2, 0, 7, (0x44332211,))),
    (bytes.fromhex("03" "0000" "05" "03" "12" "01"),
     KpAck(5, KpAckStatus.UNSUPPORTED_VALUE, SUB_TX_NPR, 1)),
    (bytes.fromhex("04" "0000" "05" "00" "21" "00"),
     KSetGo(5, KeySubStream(1, KeyDirection.RX, SubStream.CPL), 0)),
    (bytes.fromhex("05" "0000" "05" "00" "12" "01"), KSetStop(5, SUB_TX_NPR, 1)),
    (bytes.fromhex("06" "0000" "05" "00" "12" "01"), KGoStopAck(5, SUB_TX_NPR, 1)),
]


@pytest.mark.parametrize("data, expected", GOLDEN, ids=lambda x: type(x).__name__)
def test_golden(data: bytes, expected: IdeKmMessage) -> None:
    assert_codec(decode_ide_km, data, expected)
    assert_codec(type(expected).decode, data, expected)


@pytest.mark.parametrize("data, kind, field", [
    (bytes.fromhex("07"), UnknownCodeError, "object_id"),
    (bytes.fromhex("00" "01" "01"), ReservedBitsError, "reserved"),
    (bytes.fromhex("00" "00" "01" "00"), TrailingBytesError, "<end>"),
    (bytes.fromhex("01" "00" "01" "08" "02" "00" "07" "112233"), LengthError, "registers"),
    (bytes.fromhex("03" "0000" "05" "05" "12" "01"), UnknownCodeError, "status"),
    (bytes.fromhex("04" "0000" "05" "00" "16" "00"), ReservedBitsError, "key_sub_stream"),
    (bytes.fromhex("04" "0000" "05" "00" "30" "00"), UnknownCodeError,
     "key_sub_stream.sub_stream"),
    (bytes.fromhex("04" "0100" "05" "00" "00" "00"), ReservedBitsError, "reserved"),
    (bytes.fromhex("04" "0000" "05" "01" "00" "00"), ReservedBitsError, "reserved"),
])
def test_strict(data: bytes, kind: type[WireError], field: str) -> None:
    with pytest.raises(kind) as info:
        decode_ide_km(data)
    assert info.value.field == field


def test_class_decoder_checks_object_id() -> None:
    with pytest.raises(UnknownCodeError):
        KSetGo.decode(GOLDEN[4][0])


def test_vectors(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    count = 0
    for config in spdm_emu_manifest["configurations"]:
        for entry in config["files"]:
            vendor = entry.get("vendor_defined") or {}
            if vendor.get("protocol") != "PCI_IDE_KM":
                continue
            data = (spdm_emu / config["directory"] / entry["file"]).read_bytes()
            vdm = assert_codec(VendorDefinedMessage.decode, data)
            assert vdm.pci_protocol is PciProtocol.IDE_KM
            base = vendor["payload_offset"]  # where the protocol id sits in the file
            msg = assert_codec(decode_ide_km, vdm.pci_body)
            assert msg.OBJECT.name == vendor["ide_km_object"]
            if "stream_id" in vendor:
                assert msg.stream_id == vendor["stream_id"]
                assert msg.key_sub_stream.value == int(vendor["key_sub_stream"], 16)
                assert msg.port_index == vendor["port_index"]
            if isinstance(msg, KeyProg):
                # Manifest offsets are file offsets = payload offset + spec offset (§7 row 13).
                assert vendor["key_offset"] == base + KEY_OFFSET
                assert vendor["ifv_offset"] == base + IFV_OFFSET
                at = vendor["key_offset"]
                assert data[at:at + 32] == key_to_wire(msg.key)
                assert msg.iv == bytes(11) + b"\x01"  # spdm-emu programs IFV = 1
            if isinstance(msg, QueryResp):
                assert msg.max_port_index == 7 and msg.port_index == 1
            count += 1
    assert count >= 70


key_sub_streams = st.builds(KeySubStream, st.integers(0, 1), st.sampled_from(KeyDirection),
                            st.sampled_from(SubStream))
u8 = st.integers(0, 255)
ide_messages = st.one_of(
    st.builds(Query, u8),
    st.builds(QueryResp, u8, u8, u8, u8, u8,
              st.lists(st.integers(0, 0xFFFF_FFFF), max_size=8).map(tuple)),
    st.builds(KeyProg, u8, key_sub_streams, u8, st.binary(min_size=32, max_size=32),
              st.binary(min_size=8, max_size=8)),
    st.builds(KpAck, u8, st.sampled_from(KpAckStatus), key_sub_streams, u8),
    st.builds(KSetGo, u8, key_sub_streams, u8),
    st.builds(KSetStop, u8, key_sub_streams, u8),
    st.builds(KGoStopAck, u8, key_sub_streams, u8),
)


@given(ide_messages)
def test_roundtrip(msg: IdeKmMessage) -> None:
    assert_codec(decode_ide_km, msg.encode(), msg)
    assert_codec(type(msg).decode, msg.encode(), msg)


@given(st.binary(min_size=32, max_size=32))
def test_key_order_is_an_involution(key: bytes) -> None:
    assert key_from_wire(key_to_wire(key)) == key


@given(st.binary(max_size=60))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(decode_ide_km, data)


@given(ide_messages, st.data())
def test_mutated(msg: IdeKmMessage, data: st.DataObject) -> None:
    raw = bytearray(msg.encode())
    raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    assert_decoder_total(decode_ide_km, bytes(raw))
    assert_decoder_total(type(msg).decode, bytes(raw[:data.draw(st.integers(0, len(raw)))]))
