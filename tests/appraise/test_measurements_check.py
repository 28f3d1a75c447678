# SPDX-License-Identifier: BSD-3-Clause
"""Measurement blocks against reference values: match, mismatch, unknown, missing, SVN."""

from __future__ import annotations

import hashlib

from devtrust.appraise.claims import ClaimStatus
from devtrust.appraise.device_class import DeviceMatch
from devtrust.appraise.measurements_check import MeasurementView, check_measurements
from devtrust.appraise.refvalues import DeviceRefs, Digest, MeasurementRef, RawRef
from devtrust.wire.spdm.measurement_block import (
    DmtfValueType,
    MeasurementBlock,
    MeasurementRecord,
)

FW = hashlib.sha384(b"firmware 1.4").digest()
FW_OLD = hashlib.sha384(b"firmware 1.3").digest()
FW_BAD = hashlib.sha384(b"firmware 1.2 (revoked)").digest()
MODE = bytes.fromhex("3f000000040000001f00000000000000")


def refs(*measurements: MeasurementRef, unlisted: str = "unknown") -> DeviceRefs:
    return DeviceRefs("gpu-x", DeviceMatch(0x10DE, 0x2330), measurements, unlisted,  # type: ignore[arg-type]
                      "refs.yaml")


FW_REF = MeasurementRef(1, digests=(Digest("sha384", FW), Digest("sha384", FW_OLD)),
                        revoked=(Digest("sha384", FW_BAD),))


def by_name(claims):
    return {c.name: c for c in claims}


def digest_block(index: int, value: bytes, alg: str | None = "sha384") -> MeasurementView:
    return MeasurementView(index, 1, False, value, alg)


def test_digest_match_any_alternative() -> None:
    for value in (FW, FW_OLD):
        c = by_name(check_measurements([digest_block(1, value)], refs(FW_REF), "dev"))
        assert c["measurement[1]"].status is ClaimStatus.PASS
        assert c["measurement.reference"].status is ClaimStatus.PASS
        assert c["measurement[1]"].evidence_pointer == "/objects/measurements/index/1"


def test_unknown_digest_is_unknown_not_crash() -> None:
    other = hashlib.sha384(b"mystery").digest()
    c = by_name(check_measurements([digest_block(1, other)], refs(FW_REF), "dev"))
    assert c["measurement[1]"].status is ClaimStatus.UNKNOWN
    assert "unknown firmware" in c["measurement[1]"].reason


def test_on_mismatch_fail() -> None:
    ref = MeasurementRef(1, digests=(Digest("sha384", FW),), on_mismatch="fail")
    c = by_name(check_measurements([digest_block(1, FW_OLD)], refs(ref), "dev"))
    assert c["measurement[1]"].status is ClaimStatus.FAIL


def test_revoked_digest_fails() -> None:
    c = by_name(check_measurements([digest_block(1, FW_BAD)], refs(FW_REF), "dev"))
    assert c["measurement[1]"].status is ClaimStatus.FAIL
    assert "revoked" in c["measurement[1]"].reason


def test_digest_algorithm_must_agree() -> None:
    c = by_name(check_measurements([digest_block(1, FW, "sha3-384")], refs(FW_REF), "dev"))
    assert c["measurement[1]"].status is ClaimStatus.UNKNOWN
    c = by_name(check_measurements([digest_block(1, FW, None)], refs(FW_REF), "dev"))
    assert c["measurement[1]"].status is ClaimStatus.PASS


def test_no_reference_values_is_unknown_firmware() -> None:
    claims = check_measurements([digest_block(1, FW)], None, "pci 10de:2330")
    c = by_name(claims)
    assert c["measurement.reference"].status is ClaimStatus.UNKNOWN
    assert "unknown firmware" in c["measurement.reference"].reason
    assert c["measurement[1]"].status is ClaimStatus.UNKNOWN


def test_unlisted_index_policy() -> None:
    block = MeasurementView(0x20, 3, False, FW)
    for mode, status in (("unknown", ClaimStatus.UNKNOWN), ("fail", ClaimStatus.FAIL),
                         ("ignore", ClaimStatus.SKIP)):
        c = by_name(check_measurements([digest_block(1, FW), block],
                                       refs(FW_REF, unlisted=mode), "dev"))
        assert c["measurement.unlisted[32]"].status is status


def test_missing_required_index_fails_optional_does_not() -> None:
    opt = MeasurementRef(2, digests=(Digest("sha384", FW),), required=False)
    req = MeasurementRef(3, digests=(Digest("sha384", FW),))
    c = by_name(check_measurements([digest_block(1, FW)], refs(FW_REF, opt, req), "dev"))
    assert c["measurement[3].missing"].status is ClaimStatus.FAIL
    assert "measurement[2].missing" not in c


def test_no_blocks_at_all() -> None:
    c = by_name(check_measurements([], refs(FW_REF), "dev"))
    assert c["measurement.present"].status is ClaimStatus.FAIL
    assert c["measurement[1].missing"].status is ClaimStatus.FAIL


def test_duplicate_index_fails() -> None:
    c = check_measurements([digest_block(1, FW), digest_block(1, FW)], refs(FW_REF), "dev")
    assert [x.status for x in c if x.name == "measurement[1]"] == [ClaimStatus.PASS,
                                                                   ClaimStatus.FAIL]


def svn(value: int, size: int = 8) -> MeasurementView:
    return MeasurementView(0x10, 7, True, value.to_bytes(size, "little"))


def test_svn_minimum_and_downgrade() -> None:
    ref = refs(MeasurementRef(0x10, svn_min=7))
    assert by_name(check_measurements([svn(7)], ref, "d"))["measurement[16]"].status \
        is ClaimStatus.PASS
    assert by_name(check_measurements([svn(9)], ref, "d"))["measurement[16]"].status \
        is ClaimStatus.PASS
    low = by_name(check_measurements([svn(6)], ref, "d"))["measurement[16]"]
    assert low.status is ClaimStatus.FAIL and "firmware downgrade" in low.reason


def test_svn_malformed() -> None:
    ref = refs(MeasurementRef(0x10, svn_min=1))
    for block in (MeasurementView(0x10, 7, True, bytes(9)), MeasurementView(0x10, 7, True, b""),
                  MeasurementView(0x10, 7, False, bytes(48))):
        assert by_name(check_measurements([block], ref, "d"))["measurement[16]"].status \
            is ClaimStatus.FAIL


def test_raw_value_with_mask() -> None:
    mask = bytes.fromhex("ff000000ff000000ff00000000000000")
    ref = refs(MeasurementRef(0xFE, raw=(RawRef(MODE, mask),)))
    noisy = bytearray(MODE)
    noisy[12] ^= 0xFF  # outside the mask
    ok = by_name(check_measurements([MeasurementView(0xFE, 5, True, bytes(noisy))], ref, "d"))
    assert ok["measurement[254]"].status is ClaimStatus.PASS
    debug = bytearray(MODE)
    debug[8] ^= 0x02  # invasive debug bit, inside the mask
    bad = by_name(check_measurements([MeasurementView(0xFE, 5, True, bytes(debug))], ref, "d"))
    assert bad["measurement[254]"].status is ClaimStatus.FAIL


def test_raw_value_exact_and_length() -> None:
    ref = refs(MeasurementRef(0xFE, raw=(RawRef(MODE),)))
    assert by_name(check_measurements([MeasurementView(0xFE, 5, True, MODE)], ref, "d"))[
        "measurement[254]"].status is ClaimStatus.PASS
    assert by_name(check_measurements([MeasurementView(0xFE, 5, True, MODE[:-1])], ref, "d"))[
        "measurement[254]"].status is ClaimStatus.FAIL


def test_kind_mismatch_fails() -> None:
    assert by_name(check_measurements([MeasurementView(1, 1, True, FW)], refs(FW_REF), "d"))[
        "measurement[1]"].status is ClaimStatus.FAIL
    ref = refs(MeasurementRef(0xFE, raw=(RawRef(MODE),)))
    assert by_name(check_measurements([MeasurementView(0xFE, 5, False, MODE)], ref, "d"))[
        "measurement[254]"].status is ClaimStatus.FAIL


def test_firmware_version_strings() -> None:
    ref = refs(MeasurementRef(6, versions=("1.4.2",)))
    good = MeasurementView(6, 6, True, b"1.4.2\0\0\0")
    other = MeasurementView(6, 6, True, b"9.9.9")
    assert by_name(check_measurements([good], ref, "d"))["measurement[6]"].status \
        is ClaimStatus.PASS
    assert by_name(check_measurements([other], ref, "d"))["measurement[6]"].status \
        is ClaimStatus.UNKNOWN


def test_combined_criteria_worst_wins() -> None:
    ref = refs(MeasurementRef(0x10, svn_min=5, raw=(RawRef((7).to_bytes(8, "little")),)))
    assert by_name(check_measurements([svn(7)], ref, "d"))["measurement[16]"].status \
        is ClaimStatus.PASS
    assert by_name(check_measurements([svn(6)], ref, "d"))["measurement[16]"].status \
        is ClaimStatus.FAIL


def test_ignored_index_is_skip() -> None:
    ref = refs(MeasurementRef(0xFD, ignore=True))
    c = by_name(check_measurements([MeasurementView(0xFD, 4, True, b"\xfd" * 128)], ref, "d"))
    assert c["measurement[253]"].status is ClaimStatus.SKIP


def test_adapter_from_wire_record() -> None:
    record = MeasurementRecord((
        MeasurementBlock(1, DmtfValueType.MUTABLE_FIRMWARE, FW),
        MeasurementBlock(0x10, DmtfValueType.MUTABLE_FIRMWARE_SVN, (7).to_bytes(8, "little"),
                         is_raw=True)))
    views = MeasurementView.from_record(MeasurementRecord.decode(record.encode()), "sha384")
    assert [(v.index, v.value_type, v.is_raw) for v in views] == [(1, 1, False), (16, 7, True)]
    c = by_name(check_measurements(views, refs(FW_REF, MeasurementRef(0x10, svn_min=7)), "d"))
    assert c["measurement[1]"].status is ClaimStatus.PASS
    assert c["measurement[16]"].status is ClaimStatus.PASS
