# SPDX-License-Identifier: BSD-3-Clause
"""Evidence bundles: round trip (Hypothesis) and one-line errors for broken files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.appraise.bundle import (
    BundleError,
    EvidenceBundle,
    bundle_from_json,
    bundle_to_json,
    load_bundle,
    save_bundle,
)
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.report_check import BarInfo, LockParams, MsixPlacement
from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

AT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def sample() -> EvidenceBundle:
    ev = EvidenceSet(3, 0, "sha384").replace(
        EvidenceType.REPORT, EvidenceObject(b"\x03\x00" + bytes(18), bytes(48)))
    ev = ev.replace(EvidenceType.CERT0, EvidenceObject(b"chain"))
    return EvidenceBundle("0000:01:00.0", DeviceIdentity(0x10DE, 0x2330, class_code=0x030200),
                          "emulated", "tsm0", "devsec", ev, bytes(range(32)), AT, "0.1.0",
                          (BarInfo(0, 0x10000, 0xF0000000), BarInfo(2, 0x4000, None)),
                          MsixPlacement(2, 0, 0x100, 2, 0x1000, 8), LockParams(5, 0xD0000000),
                          "locked", True)


def test_round_trip_file(tmp_path: Path) -> None:
    f = tmp_path / "b.json"
    save_bundle(sample(), f)
    assert load_bundle(f) == sample()
    doc = json.loads(f.read_text())
    assert doc["format"] == "devtrust-evidence-bundle" and doc["format_version"] == 1
    assert set(doc["evidence"]["objects"]) == {"cert0", "report"}
    assert doc["evidence"]["generation"] == 5  # two replace() calls bumped it from 3


idents = st.builds(DeviceIdentity, st.none() | st.integers(0, 0xFFFF),
                   st.none() | st.integers(0, 0xFFFF), st.none() | st.integers(0, 0xFFFF),
                   st.none() | st.integers(0, 0xFFFF), st.none() | st.integers(0, 0xFFFFFF),
                   st.none() | st.text(max_size=12))
objects = st.builds(EvidenceObject, st.binary(max_size=40), st.none() | st.binary(max_size=48))


@given(ident=idents, objs=st.lists(objects, min_size=11, max_size=11),
       gen=st.integers(0, 2**64 - 1), slot=st.integers(0, 7), nonce=st.binary(max_size=64),
       seconds=st.integers(0, 10**9), kind=st.sampled_from(["none", "link", "devsec"]),
       bars=st.lists(st.builds(BarInfo, st.integers(0, 5), st.integers(0, 2**40),
                               st.none() | st.integers(0, 2**48), st.booleans()), max_size=6),
       lock=st.none() | st.builds(LockParams, st.integers(0, 0xFFFF), st.integers(0, 2**63)),
       name=st.text(min_size=1, max_size=20))
def test_round_trip_property(ident, objs, gen, slot, nonce, seconds, kind, bars, lock,
                             name) -> None:
    # Empty objects without a digest are omitted from the file and come back empty.
    objs = [o if o.data or o.digest is not None else EvidenceObject() for o in objs]
    b = EvidenceBundle(name, ident, "sysfs", "tsm1", kind,
                       EvidenceSet(gen, slot, "sha256", tuple(objs)), nonce,
                       AT + timedelta(seconds=seconds), "0.1.0", tuple(bars), None, lock)
    assert bundle_from_json(bundle_to_json(b)) == b


def broken(mutate) -> str:
    doc = json.loads(bundle_to_json(sample()))
    mutate(doc)
    with pytest.raises(BundleError) as info:
        bundle_from_json(json.dumps(doc), "b.json")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("b.json: ") and "fix:" in msg
    return msg


def test_broken_bundles_give_one_line() -> None:
    assert "format_version" in broken(lambda d: d.update(format_version=2))
    assert "unknown evidence type" in broken(
        lambda d: d["evidence"]["objects"].update(cert9={"data": ""}))
    assert "not base64" in broken(
        lambda d: d["evidence"]["objects"]["cert0"].update(data="!!"))
    assert "not hex" in broken(lambda d: d["evidence"].update(nonce="xyz"))
    assert "tsm.kind" in broken(lambda d: d["tsm"].update(kind="tdx"))
    assert "collected_at" in broken(lambda d: d.update(collected_at="2026-01-01T00:00:00"))
    assert "bars.0.index" in broken(lambda d: d["bars"][0].update(index=6))
    assert "device.name" in broken(lambda d: d["device"].pop("name"))


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="not valid JSON"):
        bundle_from_json("{", "x.json")
    with pytest.raises(BundleError, match="a bundle is a JSON object"):
        bundle_from_json("[]", "x.json")
    with pytest.raises(BundleError, match="cannot read"):
        load_bundle(tmp_path / "missing.json")


def test_offline_reappraisal_from_bundle(tmp_path: Path) -> None:
    """Bundle -> report and measurement checks -> decision -> result, as the agent will."""
    import hashlib

    from devtrust.appraise.claims import Category, Claim, ClaimStatus, binding_claims
    from devtrust.appraise.decide import decide
    from devtrust.appraise.device_class import DeviceMatch
    from devtrust.appraise.measurements_check import MeasurementView, check_measurements
    from devtrust.appraise.policy import DEFAULT_POLICY, load_policy
    from devtrust.appraise.refvalues import DeviceRefs, Digest, MeasurementRef, RefValues
    from devtrust.appraise.report_check import check_report_bytes
    from devtrust.appraise.results import build_result
    from devtrust.wire.spdm.measurement_block import (
        DmtfValueType,
        MeasurementBlock,
        MeasurementRecord,
    )
    from devtrust.wire.tdisp.report import InterfaceInfo, MmioRange, RangeAttr, TdiReport

    fw = hashlib.sha384(b"gpu fw").digest()
    record = MeasurementRecord((MeasurementBlock(1, DmtfValueType.MUTABLE_FIRMWARE, fw),))
    off = 0xD0000000
    report = TdiReport(InterfaceInfo.NO_FW_UPDATE | InterfaceInfo.DMA_WITHOUT_PASID,
                       mmio_ranges=(
                           MmioRange.from_physical(0xF0000000, 0x10000, RangeAttr(0), 0, off),
                           MmioRange.from_physical(0xF0100000, 0x1000, RangeAttr.MSIX_TABLE,
                                                   2, off),
                           MmioRange.from_physical(0xF0101000, 0x1000, RangeAttr.MSIX_PBA,
                                                   2, off),
                           MmioRange.from_physical(0xF0102000, 0x2000, RangeAttr(0), 2, off)))
    ev = EvidenceSet(1, 0, "sha384").replace(EvidenceType.REPORT, EvidenceObject(report.encode()))
    ev = ev.replace(EvidenceType.MEASUREMENTS, EvidenceObject(record.encode()))
    b = EvidenceBundle("0000:01:00.0", DeviceIdentity(0x10DE, 0x2330), "emulated", "tsm0",
                       "devsec", ev, b"\x07" * 32, AT, "0.1.0",
                       (BarInfo(0, 0x10000, 0xF0000000), BarInfo(2, 0x4000, 0xF0100000)),
                       MsixPlacement(2, 0, 0x100, 2, 0x1000, 8), LockParams(0x5, off), "locked")
    f = tmp_path / "gpu.json"
    save_bundle(b, f)
    b = load_bundle(f)

    refs = RefValues((DeviceRefs("gpu", DeviceMatch(0x10DE, 0x2330),
                                 (MeasurementRef(1, (Digest("sha384", fw),)),)),))
    blocks = MeasurementView.from_record(
        MeasurementRecord.decode(b.evidence.get(EvidenceType.MEASUREMENTS).data), "sha384")
    assert b.lock is not None
    claims = (
        Claim("chain.path", ClaimStatus.PASS, "stand-in for chain.py", "/objects/cert0",
              Category.HARDWARE),
        Claim("signature.measurements", ClaimStatus.PASS, "stand-in for spdm_evidence.py",
              "/objects/measurements", Category.INSTANCE_IDENTITY),
        *binding_claims(expected_nonce=b.nonce, signed_nonce=b.nonce,
                        generation=b.evidence.generation,
                        generation_now=b.evidence.generation),
        *check_measurements(blocks, refs.lookup(b.identity), b.identity.describe()),
        *check_report_bytes(b.evidence.get(EvidenceType.REPORT).data, b.bars, b.msix, b.lock,
                            load_policy(DEFAULT_POLICY).for_device(b.identity).report),
    )
    cls = load_policy(DEFAULT_POLICY).for_device(b.identity)
    d = decide(claims, cls, b.decision_context())
    r = build_result(b.device_name, b.identity, cls, d, evidence_generation=b.evidence.generation,
                     nonce=b.nonce, at=AT)
    assert r.trust_level == 4, [str(c) for c in r.claims if c.status is not ClaimStatus.PASS]
    assert r.status.value == "affirming" and r.run_allowed
