# SPDX-License-Identifier: BSD-3-Clause
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.testing.codecs import assert_codec, assert_decoder_total
from devtrust.wire.doe import DoeObject, DoeType
from devtrust.wire.errors import LengthError, ReservedBitsError, TrailingBytesError, TruncatedError
from devtrust.wire.secured import MAC_SIZE, SecuredRecord

# Hand-built from §3.15: session 0xFFFEFFFF, 3 ciphertext bytes, Length = 3 + 16.
RECORD = bytes.fromhex("FFFFFEFF" "1300" "AABBCC") + bytes(range(16))


def test_golden_record() -> None:
    rec = assert_codec(SecuredRecord.decode, RECORD,
                       SecuredRecord(0xFFFE_FFFF, b"\xAA\xBB\xCC", bytes(range(16))))
    assert (rec.rsp_session_id, rec.req_session_id) == (0xFFFE, 0xFFFF)
    assert rec.aad == RECORD[:6]


def test_doe_padding() -> None:
    obj = DoeObject.wrap(DoeType.SECURED_CMA_SPDM, RECORD)  # 25 bytes + 3 padding
    rec = SecuredRecord.from_doe_payload(obj.payload)
    assert rec.raw == RECORD and rec.encode() == RECORD
    with pytest.raises(ReservedBitsError):
        SecuredRecord.from_doe_payload(RECORD + b"\x00\x01")
    with pytest.raises(LengthError):
        SecuredRecord.from_doe_payload(RECORD + bytes(4))
    with pytest.raises(TrailingBytesError):
        SecuredRecord.decode(RECORD + b"\x00")


@pytest.mark.parametrize("data, kind", [
    (bytes.fromhex("FFFFFEFF" "0F00") + bytes(15), LengthError),  # shorter than the MAC
    (bytes.fromhex("FFFFFEFF" "1400") + bytes(19), LengthError),  # past the end
    (bytes.fromhex("FFFFFEFF" "13"), TruncatedError),
])
def test_strict(data: bytes, kind: type) -> None:
    with pytest.raises(kind):
        SecuredRecord.decode(data)


def test_vectors(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    doe = mctp = bare = 0
    for config in spdm_emu_manifest["configurations"]:
        for entry in config["files"]:
            name = entry["file"]
            path = spdm_emu / config["directory"] / name
            if name.endswith(".secured_record.bin"):
                data = path.read_bytes()
                session = int(entry["session_id"], 16)
                if config["transport"] == "PCI_DOE":
                    obj = assert_codec(DoeObject.decode, data)
                    assert obj.data_object_type is DoeType.SECURED_CMA_SPDM
                    rec = SecuredRecord.from_doe_payload(obj.payload)
                    assert obj.unpadded(len(rec.raw)) == rec.raw
                    doe += 1
                else:
                    # MCTP: 4-byte transport header and message type 0x06, then a
                    # record with a 2-byte sequence number.
                    assert data[4] == 0x06
                    rec = assert_codec(
                        lambda b: SecuredRecord.decode(b, sequence_number_size=2), data[5:])
                    assert int.from_bytes(rec.sequence_number, "little") == (
                        entry["sequence_number"] & 0xFFFF)
                    mctp += 1
                assert rec.session_id == session
            elif "/encrypted/" in name:
                # KEY_EXCHANGE sessions: bare records, DOE padding still attached.
                rec = SecuredRecord.from_doe_payload(path.read_bytes())
                assert rec.session_id == int(entry["session_id"], 16)
                bare += 1
            else:
                continue
            assert len(rec.mac) == MAC_SIZE
    assert doe > 100 and mctp > 0 and bare > 100


records = st.builds(SecuredRecord, st.integers(0, 0xFFFF_FFFF), st.binary(max_size=64),
                    st.binary(min_size=16, max_size=16))


@given(records)
def test_roundtrip(rec: SecuredRecord) -> None:
    assert_codec(SecuredRecord.decode, rec.encode(), rec)
    padded = DoeObject.wrap(DoeType.SECURED_CMA_SPDM, rec.encode()).payload
    assert SecuredRecord.from_doe_payload(padded) == rec


@given(records, st.binary(min_size=2, max_size=2))
def test_roundtrip_mctp(rec: SecuredRecord, seq: bytes) -> None:
    rec = SecuredRecord(rec.session_id, rec.ciphertext, rec.mac, seq)
    assert_codec(lambda b: SecuredRecord.decode(b, sequence_number_size=2), rec.encode(), rec)
    assert rec.aad == rec.encode()[:8]


@given(st.binary(max_size=40))
def test_hostile_bytes(data: bytes) -> None:
    assert_decoder_total(SecuredRecord.decode, data)
    assert_decoder_total(SecuredRecord.from_doe_payload, data)
    assert_decoder_total(lambda b: SecuredRecord.decode(b, sequence_number_size=2), data)
