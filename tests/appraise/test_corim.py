# SPDX-License-Identifier: BSD-3-Clause
"""CoRIM/CoMID subset: round trip, tags, store loading and error containment."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.appraise.corim import CorimError, decode_corim, encode_corim
from devtrust.appraise.device_class import DeviceIdentity, DeviceMatch
from devtrust.appraise.refstore import RefStore
from devtrust.appraise.refvalues import DeviceRefs, Digest, MeasurementRef, RawRef

FW = hashlib.sha384(b"fw").digest()
ENTRIES = (
    DeviceRefs("gpu-x", DeviceMatch(0x10DE, 0x2330), (
        MeasurementRef(1, (Digest("sha384", FW), Digest("sha512", bytes(64)))),
        MeasurementRef(0x10, svn_min=7),
        MeasurementRef(0xFE, raw=(RawRef(b"\x3f\0\0\0", b"\xff\0\0\0"), RawRef(b"\1\2"))),
        MeasurementRef(6, versions=("1.4.2", "1.4.3")),
    )),
    DeviceRefs("oem", DeviceMatch(0x10DE, 0x2330, 0x1028, 1),
               (MeasurementRef(1, (Digest("sha256", bytes(32)),), svn_min=3),)),
    DeviceRefs("by-cert", DeviceMatch(hw_identity="ACME NIC rev B"),
               (MeasurementRef(2, (Digest("sha384", FW),)),)),
)


def strip(refs):
    return tuple((e.name, e.match, e.measurements) for e in refs.entries)


def test_round_trip() -> None:
    data = encode_corim(ENTRIES, "devtrust-test")
    assert cbor2.loads(data).tag == 501
    assert strip(decode_corim(data)) == tuple((e.name, e.match, e.measurements)
                                              for e in ENTRIES)


def test_bare_corim_and_uuid_id_and_other_tags_skipped() -> None:
    tagged = cbor2.loads(encode_corim(ENTRIES[:1], "x"))
    body = dict(tagged.value)
    body[0] = cbor2.CBORTag(37, bytes(16))
    body[1] = [cbor2.CBORTag(505, b"\xa0"), *body[1]]  # a CoSWID we do not use
    refs = decode_corim(cbor2.dumps(body), "bare.cbor")
    assert refs.entries[0].name == "gpu-x"
    assert "00000000-0000-0000-0000-000000000000" in refs.entries[0].source


def test_decoded_refs_drive_lookup() -> None:
    refs = decode_corim(encode_corim(ENTRIES, "x"))
    assert refs.lookup(DeviceIdentity(0x10DE, 0x2330, 0x1028, 1)).name == "oem"  # type: ignore[union-attr]
    assert refs.lookup(DeviceIdentity(hw_identity="ACME NIC rev B")) is not None


def test_store_loads_cbor(tmp_path: Path) -> None:
    (tmp_path / "v.cbor").write_bytes(encode_corim(ENTRIES, "x"))
    store = RefStore.from_dir(tmp_path)
    assert [e.name for e in store.list()] == ["gpu-x", "oem", "by-cert"]


def comid(triples) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(501, {0: "c", 1: [cbor2.CBORTag(506, cbor2.dumps(
        {1: {0: "t"}, 4: {0: triples}}))]}))


ENV = {0: {0: cbor2.CBORTag(560, b"pci:10de:2330")}}


@pytest.mark.parametrize(("data", "expect"), [
    (b"\xff", "not valid CBOR"),
    (cbor2.dumps({0: "c", 1: []}) + b"\x00", "trailing"),
    (cbor2.dumps([1, 2]), "expected a corim-map"),
    (cbor2.dumps({0: "c", 1: []}), "expected a tag list"),
    (cbor2.dumps({0: "c", 1: [cbor2.CBORTag(505, b"")]}), "no CoMID"),
    (comid([[ENV, [{0: 0, 1: {1: cbor2.CBORTag(553, 1)}}]]]), "mkey"),
    (comid([[ENV, [{0: 1, 1: {1: cbor2.CBORTag(552, 1)}}]]]), "exact SVN"),
    (comid([[ENV, [{0: 1, 1: {2: [[99, b"x"]]}}]]]), "alg-id"),
    (comid([[ENV, [{0: 1, 1: {2: [[7, b"short"]]}}]]]), "48 bytes"),
    (comid([[ENV, [{0: 1, 1: {4: cbor2.CBORTag(563, [b"ab", b"a"])}}]]]), "raw-value"),
    (comid([[{0: {0: cbor2.CBORTag(560, b"usb:1:2")}}, [{0: 1, 1: {}}]]]), "class-id"),
    (comid([[{0: {}}, [{0: 1, 1: {}}]]]), "model"),
    (comid([[ENV, [{0: 1, 1: {1: cbor2.CBORTag(553, 1)}},
                   {0: 1, 1: {1: cbor2.CBORTag(553, 2)}}]]]), "conflicting"),
])
def test_malformed_corim_raises_corim_error(data: bytes, expect: str) -> None:
    with pytest.raises(CorimError) as info:
        decode_corim(data, "bad.cbor")
    assert expect in str(info.value) and str(info.value).startswith("bad.cbor: ")


def test_encoder_refuses_inexpressible_features() -> None:
    e = DeviceRefs("r", DeviceMatch(1, 2), (MeasurementRef(1, revoked=(Digest("sha384", FW),),
                                                           digests=(Digest("sha384", FW),)),))
    with pytest.raises(CorimError, match="cannot be expressed"):
        encode_corim((e,), "x")


@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_corim_error(data: bytes) -> None:
    try:
        decode_corim(data)
    except CorimError:
        pass


@given(st.recursive(st.none() | st.booleans() | st.integers(-5, 600) | st.binary(max_size=8)
                    | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.integers(0, 5), kids, max_size=4)
                    | st.builds(cbor2.CBORTag, st.sampled_from([501, 506, 560, 563, 553, 37]),
                                kids), max_leaves=20))
def test_arbitrary_cbor_structures_only_raise_corim_error(value) -> None:
    try:
        decode_corim(cbor2.dumps(value))
    except CorimError:
        pass
