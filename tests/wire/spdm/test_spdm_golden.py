# SPDX-License-Identifier: BSD-3-Clause
"""Golden byte-literal vectors, written by hand from protocols.md §3 and libspdm fuzz seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtrust.testing.codecs import assert_codec
from devtrust.wire.errors import (
    LengthError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedError,
    UnknownCodeError,
    WireError,
)
from devtrust.wire.spdm import (
    Algorithms,
    AlgType,
    BaseAsymAlgo,
    BaseHashAlgo,
    Capabilities,
    CapabilityFlags,
    Challenge,
    ChallengeAuth,
    DmtfValueType,
    ErrorCode,
    ErrorResponse,
    GetCapabilities,
    GetMeasurements,
    GetVersion,
    MeasurementBlock,
    MeasurementRecord,
    Measurements,
    MeasurementSummaryHashType,
    NegotiateAlgorithms,
    RequestCode,
    RespondIfReady,
    Version,
    VersionEntry,
    decode_message,
    negotiated_from_vca,
)

SEEDS = Path("libspdm_sample_data/fuzzing/seeds")


def test_get_version_doe_free() -> None:
    msg = assert_codec(GetVersion.decode, bytes.fromhex("10840000"), GetVersion())
    assert msg.spdm_version == 0x10
    with pytest.raises(UnknownCodeError):  # GET_VERSION always carries 0x10 (§3.2).
        GetVersion.decode(bytes.fromhex("12840000"))


def test_version_seed_listing_1_0_and_1_1() -> None:
    golden = bytes.fromhex("10040000000200100011")
    msg = assert_codec(Version.decode, golden)
    assert msg.entries == (VersionEntry(1, 0), VersionEntry(1, 1))
    assert msg.highest_common((0x10, 0x11, 0x12)) == 0x11
    with pytest.raises(LengthError):  # count 3 but two entries
        Version.decode(bytes.fromhex("10040000000300100011"))


def test_version_seed_file_has_transport_padding(spdm_emu: Path) -> None:
    data = (spdm_emu / SEEDS / "test_spdm_requester_get_version" / "get_version.raw").read_bytes()
    assert_codec(Version.decode, data[:10])
    with pytest.raises(TrailingBytesError) as info:
        Version.decode(data)
    assert info.value.offset == 10


def test_capabilities_1_2_layout() -> None:
    # 1.2 CAPABILITIES: CTExponent 12, CERT|CHAL|MEAS_CAP=10b|KEY_EX, DTS 0x1200, MMS 0x28000.
    golden = bytes.fromhex("12610000" "000c0000" "16020000" "00120000" "00800200")
    msg = assert_codec(Capabilities.decode, golden)
    assert msg.ct_exponent == 12 and msg.meas_cap == 2
    assert msg.flags == (CapabilityFlags.CERT_CAP | CapabilityFlags.CHAL_CAP
                         | CapabilityFlags.MEAS_CAP_SIG | CapabilityFlags.KEY_EX_CAP)
    assert (msg.data_transfer_size, msg.max_spdm_msg_size) == (0x1200, 0x28000)
    with pytest.raises(ReservedBitsError):  # bit 22 (EP_INFO_CAP) is 1.3-only
        Capabilities.decode(golden[:8] + bytes.fromhex("16024000") + golden[12:])
    with pytest.raises(LengthError):  # DataTransferSize below 42
        Capabilities.decode(golden[:12] + bytes.fromhex("29000000") + golden[16:])
    # 1.0 request is the bare header; 1.1 is 12 bytes.
    assert_codec(GetCapabilities.decode, bytes.fromhex("10e10000"), GetCapabilities(0x10))
    assert len(GetCapabilities(0x11).encode()) == 12


def test_negotiate_algorithms_1_2_seed_prefix(spdm_emu: Path) -> None:
    data = (spdm_emu / SEEDS / "test_spdm_responder_algorithms" / "algorithms12.raw").read_bytes()
    assert data[:8] == bytes.fromhex("12E30C0050000102")
    # The seed repeats DHE/AEAD/ReqBaseAsym/KeySchedule three times; AlgTypes must ascend.
    with pytest.raises(WireError) as info:
        NegotiateAlgorithms.decode(data)
    assert info.value.field == "alg_structs[4].alg_type" and info.value.offset == 48
    # Its first four structs, with Param1 and Length fixed, are a valid request.
    fixed = bytes.fromhex("12E30400300001 02") + data[8:48]
    msg = assert_codec(NegotiateAlgorithms.decode, fixed)
    assert msg.measurement_spec == 1 and msg.other_params == 2
    assert msg.base_asym == 0 and msg.base_hash == BaseHashAlgo.SHA_256
    assert [s.alg_type for s in msg.alg_structs] == list(AlgType)


def test_algorithms_selection_is_single_bit() -> None:
    golden = bytes.fromhex(
        "12630400" "3400" "01" "02" "04000000" "80000000" "02000000" + "00" * 11 + "00"
        "00" "00" "0000" "02201000" "03200200" "04200800" "05200100")
    msg = assert_codec(Algorithms.decode, golden)
    assert msg.base_asym == BaseAsymAlgo.ECDSA_P384 and msg.struct(AlgType.DHE) == 0x10
    both = golden[:12] + bytes.fromhex("90000000") + golden[16:]
    with pytest.raises(WireError):
        Algorithms.decode(both)


def test_challenge_sizes() -> None:
    nonce = bytes(range(32))
    v12 = bytes.fromhex("1283" "00" "ff") + nonce
    msg = assert_codec(Challenge.decode, v12)
    assert len(v12) == 36 and msg.hash_type == MeasurementSummaryHashType.ALL
    v13 = bytes.fromhex("1383" "01" "00") + nonce + b"ctx-8byt"
    assert assert_codec(Challenge.decode, v13).requester_context == b"ctx-8byt"
    assert len(v13) == 44
    with pytest.raises(TruncatedError):
        Challenge.decode(v13[:-1])
    with pytest.raises(UnknownCodeError):  # summary hash type 2 is undefined
        Challenge.decode(bytes.fromhex("12830002") + nonce)


def test_challenge_auth_without_summary_hash() -> None:
    h, s = 32, 64
    body = (bytes.fromhex("1203" "00" "01") + b"\xaa" * h + b"\xbb" * 32
            + bytes.fromhex("0000") + b"\xcc" * s)
    msg = ChallengeAuth.decode(body, hash_size=h, signature_size=s, measurement_summary=False)
    assert msg.measurement_summary_hash == b"" and msg.signature == b"\xcc" * s
    assert msg.unsigned_bytes == body[:-s] and msg.signature_offset == 4 + h + 32 + 2
    with pytest.raises(LengthError):  # the signature's bytes are read as an opaque length
        ChallengeAuth.decode(body, hash_size=h, signature_size=s, measurement_summary=True)


@pytest.mark.parametrize(("version", "attrs", "size"), [
    (0x10, 1, 36), (0x11, 1, 37), (0x12, 1, 37), (0x12, 0, 4), (0x13, 1, 45), (0x13, 0, 12)])
def test_get_measurements_sizes(version: int, attrs: int, size: int) -> None:
    signed = attrs == 1
    msg = GetMeasurements(version, attrs, 0xFF, b"\x01" * 32 if signed else b"", 0,
                          b"\x02" * 8 if version >= 0x13 else b"")
    assert len(msg.encode()) == size
    assert_codec(GetMeasurements.decode, msg.encode(), msg)


# §3.10: the SVN block of the sample record (index 0x10, raw, type 7, SVN 7) by hand.
SVN_BLOCK = bytes.fromhex("10" "01" "0b00" "87" "0800" "0700000000000000")
DEVICE_MODE_BLOCK = bytes.fromhex("fe" "01" "1300" "85" "1000" "3f000000" "04000000" "1f000000"
                                  "11000000")


def test_measurement_blocks_by_hand() -> None:
    svn = assert_codec(MeasurementBlock.decode, SVN_BLOCK)
    assert (svn.index, svn.value_type, svn.is_raw) == (0x10, DmtfValueType.MUTABLE_FIRMWARE_SVN,
                                                       True)
    assert int.from_bytes(svn.value, "little") == 7
    mode = assert_codec(MeasurementBlock.decode, DEVICE_MODE_BLOCK)
    assert mode.value_type == DmtfValueType.DEVICE_MODE and len(mode.value) == 16
    record = assert_codec(lambda b: MeasurementRecord.decode(b, 2), SVN_BLOCK + DEVICE_MODE_BLOCK)
    assert record.by_index(0xFE) == mode
    with pytest.raises(LengthError):  # MeasurementSize 12 != 3 + 8
        MeasurementBlock.decode(SVN_BLOCK[:2] + b"\x0c\x00" + SVN_BLOCK[4:] + b"\x00")
    with pytest.raises(UnknownCodeError):  # measurement spec 2 is not DMTF
        MeasurementBlock.decode(SVN_BLOCK[:1] + b"\x02" + SVN_BLOCK[2:])
    with pytest.raises(WireError):  # index repeated
        MeasurementRecord.decode(SVN_BLOCK + SVN_BLOCK)
    with pytest.raises(LengthError):  # digest of 8 bytes where SHA-256 gives 32
        MeasurementBlock.decode(SVN_BLOCK[:4] + b"\x07" + SVN_BLOCK[5:], digest_size=32)


def test_measurements_seed_has_inconsistent_value_size(spdm_emu: Path) -> None:
    path = spdm_emu / SEEDS / "test_spdm_requester_get_measurements" / "get_measurements12.raw"
    data = path.read_bytes()
    with pytest.raises(LengthError) as info:
        Measurements.decode(data, signature_size=64)
    assert info.value.field == "blocks[0].value_size" and info.value.offset == 13
    # With DMTFSpecMeasurementValueSize = 32 it is the one-digest-block response §3.10 names.
    fixed = data[:13] + b"\x20\x00" + data[15:]
    msg = assert_codec(lambda b: Measurements.decode(b, signature_size=64), fixed)
    assert len(msg.blocks) == 1 and len(msg.blocks[0].value) == 32
    assert msg.unsigned_bytes == fixed[:-64]


def test_error_response_not_ready() -> None:
    golden = bytes.fromhex("12 7f 42 00 0a e0 05 01")
    err = assert_codec(ErrorResponse.decode, golden)
    rnr = err.response_not_ready
    assert rnr is not None and (rnr.rd_exponent, rnr.request_code, rnr.token, rnr.rdtm) == (
        10, 0xE0, 5, 1)
    rir = RespondIfReady.answering(err)
    assert rir.request_code == RequestCode.GET_MEASUREMENTS and rir.token == 5
    assert rir.encode() == bytes.fromhex("12ffe005")
    with pytest.raises(LengthError):
        ErrorResponse.decode(golden[:-1])
    with pytest.raises(LengthError):  # UnsupportedRequest carries no extended data
        ErrorResponse.decode(bytes.fromhex("127f0784") + b"\x00")
    assert assert_codec(ErrorResponse.decode, bytes.fromhex("127f0784")).error_code == (
        ErrorCode.UNSUPPORTED_REQUEST)
    with pytest.raises(LengthError):  # vendor-defined extended data is at most 32 bytes
        ErrorResponse.decode(bytes.fromhex("127fff00") + bytes(33))
    with pytest.raises(UnknownCodeError):
        ErrorResponse.decode(bytes.fromhex("127f1200"))


def test_decode_message_needs_parameters() -> None:
    vca = bytes.fromhex(
        "10840000" "1004000000010012" "12e1000000000000c6f702000012000000800200"
        "1261000000000000f7fb1a000012000000800200"
        "12e304003000010280000000020000000000000000000000000000000000000002201b000320060004200f"
        "0005200100"
        "12630400340001020400000080000000020000000000000000000000000000000000000002201000032002"
        "000420080005200100")
    algos = negotiated_from_vca(vca)
    assert (algos.h, algos.s, algos.d, algos.measurement_digest_size) == (48, 96, 96, 48)
    get = GetMeasurements(0x12, 0, 0xFF)
    rsp = Measurements(0x12, MeasurementRecord((MeasurementBlock.decode(SVN_BLOCK),)),
                       bytes(32))
    assert decode_message(rsp.encode(), algos, request=get) == rsp
    with pytest.raises(WireError):
        decode_message(rsp.encode(), None, request=get)
    with pytest.raises(WireError):
        decode_message(rsp.encode(), algos)
    with pytest.raises(UnknownCodeError):
        decode_message(bytes.fromhex("12ed0000"))  # GET_CSR has no codec here
    with pytest.raises(UnknownCodeError):  # VERSION listed 1.2 but the rest says 1.3
        negotiated_from_vca(vca[:12] + b"\x13" + vca[13:])
