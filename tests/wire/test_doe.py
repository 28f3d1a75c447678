# SPDX-License-Identifier: BSD-3-Clause
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.doe import (
    DOE_MAX_DW,
    PCIE6_DOE_TYPES,
    DoeDiscoveryRequest,
    DoeDiscoveryResponse,
    DoeObject,
    DoeType,
)
from devtrust.wire.errors import (
    LengthError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedError,
    UnknownCodeError,
    WireError,
)

# protocols.md §4: unsecured SPDM 1.0 GET_VERSION over DOE.
GET_VERSION_OBJECT = bytes.fromhex("01000100" "03000000" "10840000")


def test_golden_get_version_object() -> None:
    obj = assert_codec(DoeObject.decode, GET_VERSION_OBJECT,
                       DoeObject(1, DoeType.CMA_SPDM, bytes.fromhex("10840000")))
    assert obj.length_dw == 3
    assert obj.unpadded(4) == bytes.fromhex("10840000")
    assert DoeObject.wrap(DoeType.CMA_SPDM, bytes.fromhex("10840000")) == obj


def test_golden_discovery_dw() -> None:
    # §4: spdm-emu's reply to index 0 is (0x0001, type 0, next index 1): bytes 01 00 00 01.
    response = assert_codec(DoeDiscoveryResponse.decode, bytes.fromhex("01000001"),
                            DoeDiscoveryResponse(1, DoeType.DISCOVERY, 1))
    assert not response.is_last
    obj = response.to_object()
    assert obj.encode() == bytes.fromhex("01000000" "03000000" "01000001")
    assert DoeDiscoveryResponse.from_object(obj) == response
    request = assert_codec(DoeDiscoveryRequest.decode, bytes.fromhex("02000000"),
                           DoeDiscoveryRequest(2))
    assert request.to_object().payload == b"\x02\x00\x00\x00"


def test_padding_helpers() -> None:
    obj = DoeObject.wrap(DoeType.SECURED_CMA_SPDM, b"\xAA" * 5)
    assert obj.payload == b"\xAA" * 5 + bytes(3) and obj.length_dw == 4
    assert obj.unpadded(5) == b"\xAA" * 5
    with pytest.raises(LengthError):
        obj.unpadded(4)  # four bytes left over is more than padding
    with pytest.raises(ReservedBitsError):
        DoeObject(1, 2, b"\xAA" * 5 + b"\x00\x01\x00").unpadded(5)
    with pytest.raises(ValueError):
        DoeObject(1, 1, b"\x00")  # not a DW multiple: use wrap


def test_newer_types_are_named_but_flagged() -> None:
    assert DoeType(3) not in PCIE6_DOE_TYPES and DoeType(4) not in PCIE6_DOE_TYPES
    assert DoeType.SECURED_CMA_SPDM in PCIE6_DOE_TYPES


def test_zero_length_means_two_to_the_eighteen() -> None:
    obj = DoeObject(0x1E98, 0x55, bytes(DOE_MAX_DW * 4 - 8))
    data = obj.encode()
    assert data[4:8] == bytes(4)
    assert_codec(DoeObject.decode, data, obj)


@pytest.mark.parametrize("data, kind, field", [
    (bytes.fromhex("01000500" "02000000"), UnknownCodeError, "data_object_type"),
    (bytes.fromhex("01000101" "03000000" "10840000"), ReservedBitsError, "reserved"),
    (bytes.fromhex("01000100" "03000400" "10840000"), ReservedBitsError, "length"),
    (bytes.fromhex("01000100" "01000000"), LengthError, "length"),
    (bytes.fromhex("01000100" "04000000" "10840000"), TruncatedError, "payload"),
    (GET_VERSION_OBJECT + b"\x00", TrailingBytesError, "<end>"),
    (GET_VERSION_OBJECT[:7], TruncatedError, "length"),
])
def test_strict(data: bytes, kind: type[WireError], field: str) -> None:
    with pytest.raises(kind) as info:
        DoeObject.decode(data)
    assert info.value.field == field


def test_discovery_strict() -> None:
    with pytest.raises(ReservedBitsError):
        DoeDiscoveryRequest.decode(bytes.fromhex("00000100"))
    with pytest.raises(UnknownCodeError):
        DoeDiscoveryRequest.from_object(DoeObject.decode(GET_VERSION_OBJECT))


def test_vectors(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    count = 0
    for config in spdm_emu_manifest["configurations"]:
        for entry in config["files"]:
            if not entry["file"].startswith("doe/"):
                continue
            data = (spdm_emu / config["directory"] / entry["file"]).read_bytes()
            obj = assert_codec(DoeObject.decode, data)
            assert obj.data_object_type is DoeType.DISCOVERY and len(data) == entry["size"]
            if entry["message"] == "DOE_DISCOVERY_REQUEST":
                assert_codec(DoeDiscoveryRequest.decode, obj.payload)
            else:
                response = assert_codec(DoeDiscoveryResponse.decode, obj.payload)
                # spdm-emu advertises (1, 0), (1, 1), (1, 2) (§4).
                assert response.vendor_id == 1 and response.data_object_type in (0, 1, 2)
                assert response.next_index == (response.data_object_type + 1) % 3
            count += 1
    assert count >= 60


doe_objects = st.builds(
    DoeObject.wrap, st.sampled_from(DoeType), st.binary(max_size=64)) | st.builds(
    DoeObject.wrap, st.integers(0, 255), st.binary(max_size=64), st.integers(2, 0xFFFF))


@given(doe_objects)
def test_roundtrip(obj: DoeObject) -> None:
    assert_codec(DoeObject.decode, obj.encode(), obj)


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF), st.integers(0, 255),
       st.integers(0, 255))
def test_discovery_roundtrip(index: int, version: int, vendor: int, kind: int, nxt: int) -> None:
    req = DoeDiscoveryRequest(index, version)
    assert_codec(DoeDiscoveryRequest.decode, req.encode(), req)
    rsp = DoeDiscoveryResponse(vendor, kind, nxt)
    assert_codec(DoeDiscoveryResponse.decode, rsp.encode(), rsp)


@given(st.binary(max_size=40))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(DoeObject.decode, data)
    assert_decoder_total(DoeDiscoveryRequest.decode, data)
    assert_decoder_total(DoeDiscoveryResponse.decode, data)
    assert_decoder_total(lambda b: DoeObject.decode(b).unpadded(len(b) % 7), data)


@given(doe_objects, st.data())
def test_mutated(obj: DoeObject, data: st.DataObject) -> None:
    raw = bytearray(obj.encode())
    raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    assert_decoder_total(DoeObject.decode, bytes(raw))
    assert_decoder_total(DoeObject.decode, bytes(raw[:data.draw(st.integers(0, len(raw)))]))
