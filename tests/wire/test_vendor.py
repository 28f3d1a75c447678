# SPDX-License-Identifier: BSD-3-Clause
from hypothesis import given
from hypothesis import strategies as st

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.spdm.vendor import PciProtocol, RegistryId, VendorDefinedMessage

# protocols.md §1.1 worked example: TDISP GET_TDISP_VERSION for FUNCTION_ID 0xBEEF, SPDM 1.2.
GET_TDISP_VERSION_28 = bytes.fromhex(
    "12FE0000" "0300" "02" "0100" "1100" "01" "10810000" "EFBE0000" "0000000000000000")


def test_golden_get_tdisp_version_wrapper() -> None:
    msg = assert_codec(VendorDefinedMessage.decode, GET_TDISP_VERSION_28)
    assert len(GET_TDISP_VERSION_28) == 28
    assert msg.is_request and msg.is_pci_sig
    assert msg.standard_id is RegistryId.PCI_SIG
    assert msg.pci_protocol is PciProtocol.TDISP
    assert msg.pci_body[:2] == b"\x10\x81"
    built = VendorDefinedMessage.pci_sig(0x12, True, PciProtocol.TDISP, msg.pci_body)
    assert built.encode() == GET_TDISP_VERSION_28


@given(version=st.sampled_from([0x10, 0x11, 0x12, 0x13]), req=st.booleans(),
       std=st.sampled_from(list(RegistryId)), vid=st.binary(max_size=8),
       payload=st.binary(max_size=300), p1=st.integers(0, 255), p2=st.integers(0, 255))
def test_roundtrip(version, req, std, vid, payload, p1, p2) -> None:
    msg = VendorDefinedMessage(version, req, std, vid, payload, p1, p2)
    assert_codec(VendorDefinedMessage.decode, msg.encode(), msg)


@given(st.binary(max_size=64))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(VendorDefinedMessage.decode, data)
    assert_decoder_total(lambda b: VendorDefinedMessage.decode(b).pci_body, data)


def test_trailing_and_truncated_rejected() -> None:
    import pytest

    from devtrust.wire.errors import TrailingBytesError, TruncatedError
    with pytest.raises(TrailingBytesError):
        VendorDefinedMessage.decode(GET_TDISP_VERSION_28 + b"\x00")
    with pytest.raises(TruncatedError) as info:
        VendorDefinedMessage.decode(GET_TDISP_VERSION_28[:-1])
    assert info.value.field == "payload" and info.value.offset == 11
