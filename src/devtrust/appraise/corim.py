# SPDX-License-Identifier: BSD-3-Clause
"""A CoRIM/CoMID subset (draft-ietf-rats-corim) for SPDM reference values, in CBOR.

Decoded and encoded subset, with the draft's map keys and CBOR tags::

    corim        = #6.501(corim-map) / corim-map          ; tag 501 = unsigned CoRIM
    corim-map    = { 0: id (tstr / #6.37(uuid)), 1: [+ #6.506(bstr .cbor comid)], * ignored }
    comid        = { 1: { 0: tag-id (tstr / uuid), ? 1: version },
                     4: { 0: [+ reference-triple] }, * ignored }
    reference-triple = [ environment-map, [+ measurement-map] ]
    environment-map  = { 0: { ? 0: class-id, ? 1: vendor tstr, ? 2: model tstr } }
    measurement-map  = { 0: mkey uint (SPDM measurement index 1..254), 1: mval }
    mval = { ? 0: { 0: version tstr }, ? 1: #6.553(uint) min-svn,
             ? 2: [+ [alg-id int, digest bstr]], ? 4: #6.560(bstr) / #6.563([bstr, mask bstr]) }

devtrust profile choices: ``class-id`` is ``#6.560`` over ASCII
``pci:VVVV:DDDD[:SSSS:TTTT]`` (vendor, device, optional subsystem ids, lowercase hex);
without a class-id the ``model`` string is the certificate hardware identity. Several
measurement-maps with one ``mkey`` are alternatives (digests, raw values and versions
accumulate; min-svn values must agree). Digest alg-ids are the IANA Named Information
ids: 1 sha-256, 7 sha-384, 8 sha-512, 10 sha3-256, 11 sha3-384, 12 sha3-512. Tags other
than 506 in the tag list (CoSWID 505, CoTL 508) are skipped; exact SVN (#6.552) is
refused. Any other departure -- malformed CBOR, trailing bytes, wrong types, unknown
alg-ids -- raises :class:`CorimError`, the only exception :func:`decode_corim` raises.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import cbor2

from devtrust.appraise.device_class import DeviceMatch
from devtrust.appraise.refvalues import (
    DeviceRefs,
    Digest,
    MeasurementRef,
    RawRef,
    RefValueError,
    RefValues,
)

__all__ = ["CORIM_ALG_IDS", "CorimError", "decode_corim", "encode_corim"]

TAG_CORIM, TAG_COMID, TAG_UUID = 501, 506, 37
TAG_BYTES, TAG_MASKED_RAW, TAG_SVN, TAG_MIN_SVN = 560, 563, 552, 553
CORIM_ALG_IDS = {1: "sha256", 7: "sha384", 8: "sha512", 10: "sha3-256", 11: "sha3-384",
                 12: "sha3-512"}
_ALG_BY_NAME = {v: k for k, v in CORIM_ALG_IDS.items()}
_PCI = re.compile(r"pci:([0-9a-f]{4}):([0-9a-f]{4})(?::([0-9a-f]{4}):([0-9a-f]{4}))?\Z")
MAX_CORIM_SIZE = 1 << 20


class CorimError(RefValueError):
    """A CoRIM that is not valid CBOR or falls outside the documented subset."""


def _loads(data: bytes, source: str, what: str) -> Any:
    if len(data) > MAX_CORIM_SIZE:
        raise CorimError(source, f"{what}: larger than {MAX_CORIM_SIZE} bytes")
    fp = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(fp).decode()
    except Exception as exc:  # cbor2 raises several types for hostile input; all mean one thing
        raise CorimError(source, f"{what}: not valid CBOR ({type(exc).__name__}: {exc})") \
            from None
    if fp.tell() != len(data):
        raise CorimError(source, f"{what}: {len(data) - fp.tell()} trailing byte(s)")
    return value


def _need(cond: bool, source: str, path: str, msg: str) -> None:
    if not cond:
        raise CorimError(source, f"{path}: {msg}")


def _untag(value: Any, tag: int) -> Any:
    return value.value if isinstance(value, cbor2.CBORTag) and value.tag == tag else value


def _text_id(value: Any, source: str, path: str) -> str:
    if isinstance(value, cbor2.CBORTag) and value.tag == TAG_UUID and isinstance(
            value.value, bytes) and len(value.value) == 16:
        return str(uuid.UUID(bytes=value.value))
    if isinstance(value, uuid.UUID):
        return str(value)
    _need(isinstance(value, str) and bool(value), source, path, "must be a text or UUID id")
    return value


def decode_corim(data: bytes, source: str = "<corim>") -> RefValues:
    """Decode a CoRIM (tagged 501 or bare) into reference values, one entry per triple."""
    top = _untag(_loads(data, source, "corim"), TAG_CORIM)
    _need(isinstance(top, Mapping), source, "corim", "expected a corim-map")
    corim_id = _text_id(top.get(0), source, "corim.id")
    tags = top.get(1)
    _need(isinstance(tags, (list, tuple)) and bool(tags), source, "corim.tags",
          "expected a tag list")
    entries: list[DeviceRefs] = []
    for i, tag in enumerate(tags):
        path = f"corim.tags[{i}]"
        _need(isinstance(tag, cbor2.CBORTag), source, path, "expected a tagged CoRIM tag")
        if tag.tag != TAG_COMID:
            continue  # CoSWID / CoTL carry nothing we appraise
        _need(isinstance(tag.value, bytes), source, path, "CoMID must be bstr .cbor")
        entries.extend(_comid(_loads(tag.value, source, path), source, path, corim_id))
    _need(bool(entries), source, "corim.tags", "no CoMID reference triples found")
    return RefValues(tuple(entries))


def _comid(comid: Any, source: str, path: str, corim_id: str) -> list[DeviceRefs]:
    _need(isinstance(comid, Mapping), source, path, "expected a concise-mid-tag map")
    ident = comid.get(1)
    _need(isinstance(ident, Mapping), source, f"{path}.tag-identity", "missing (key 1)")
    tag_id = _text_id(ident.get(0), source, f"{path}.tag-identity.tag-id")
    triples = comid.get(4)
    _need(isinstance(triples, Mapping), source, f"{path}.triples", "missing (key 4)")
    refs = triples.get(0)
    _need(isinstance(refs, (list, tuple)) and bool(refs), source,
          f"{path}.triples.reference-triples", "expected a non-empty list (key 0)")
    out = []
    for j, triple in enumerate(refs):
        tpath = f"{path}.reference-triples[{j}]"
        _need(isinstance(triple, (list, tuple)) and len(triple) == 2, source, tpath,
              "expected [environment-map, [+ measurement-map]]")
        match = _environment(triple[0], source, f"{tpath}.environment")
        name = tag_id if len(refs) == 1 else f"{tag_id}#{j}"
        out.append(DeviceRefs(name, match, _measurements(triple[1], source, tpath),
                              "unknown", f"{source} (corim {corim_id})"))
    return out


def _environment(env: Any, source: str, path: str) -> DeviceMatch:
    _need(isinstance(env, Mapping) and isinstance(env.get(0), Mapping), source, path,
          "expected { 0: class-map }")
    cls = env[0]
    if 0 in cls:
        cid = _untag(cls[0], TAG_BYTES)
        _need(isinstance(cls[0], cbor2.CBORTag) and isinstance(cid, bytes), source,
              f"{path}.class-id", "expected #6.560(bstr)")
        m = _PCI.match(cid.decode("ascii", "replace"))
        if m is None:
            raise CorimError(source, f"{path}.class-id: expected 'pci:vvvv:dddd[:ssss:tttt]'")
        ids = [int(g, 16) if g else None for g in m.groups()]
        return DeviceMatch(ids[0], ids[1], ids[2], ids[3])
    model = cls.get(2)
    _need(isinstance(model, str) and bool(model), source, f"{path}.model",
          "without class-id, model (key 2) names the hardware identity")
    return DeviceMatch(hw_identity=model)


def _measurements(maps: Any, source: str, path: str) -> tuple[MeasurementRef, ...]:
    _need(isinstance(maps, (list, tuple)) and bool(maps), source, path,
          "expected [+ measurement-map]")
    acc: dict[int, dict[str, Any]] = {}
    for k, mm in enumerate(maps):
        mpath = f"{path}.measurements[{k}]"
        _need(isinstance(mm, Mapping) and isinstance(mm.get(1), Mapping), source, mpath,
              "expected { 0: mkey, 1: mval }")
        index = mm.get(0)
        _need(isinstance(index, int) and not isinstance(index, bool) and 1 <= index <= 0xFE,
              source, f"{mpath}.mkey", "expected an SPDM measurement index 1..254")
        slot = acc.setdefault(index, {"digests": [], "raw": [], "versions": [], "svn": None})
        _mval(mm[1], slot, source, f"{mpath}.mval")
    return tuple(MeasurementRef(i, tuple(s["digests"]), raw=tuple(s["raw"]), svn_min=s["svn"],
                                versions=tuple(s["versions"]))
                 for i, s in acc.items())


def _mval(mval: Mapping[Any, Any], slot: dict[str, Any], source: str, path: str) -> None:
    if 0 in mval:
        ver = mval[0]
        _need(isinstance(ver, Mapping) and isinstance(ver.get(0), str), source,
              f"{path}.version", "expected { 0: tstr }")
        slot["versions"].append(ver[0])
    if 1 in mval:
        svn = mval[1]
        _need(not (isinstance(svn, cbor2.CBORTag) and svn.tag == TAG_SVN), source,
              f"{path}.svn", "exact SVN (#6.552) is outside the subset; use min-svn #6.553")
        value = _untag(svn, TAG_MIN_SVN)
        _need(isinstance(svn, cbor2.CBORTag) and isinstance(value, int) and 0 <= value < 2**64,
              source, f"{path}.svn", "expected #6.553(uint)")
        _need(slot["svn"] in (None, value), source, f"{path}.svn", "conflicting min-svn values")
        slot["svn"] = value
    if 2 in mval:
        digests = mval[2]
        _need(isinstance(digests, (list, tuple)) and bool(digests), source, f"{path}.digests",
              "expected [+ [alg-id, bstr]]")
        for n, d in enumerate(digests):
            ok = (isinstance(d, (list, tuple)) and len(d) == 2 and d[0] in CORIM_ALG_IDS
                  and isinstance(d[1], bytes))
            _need(ok, source, f"{path}.digests[{n}]",
                  f"expected [alg-id in {sorted(CORIM_ALG_IDS)}, bstr]")
            try:
                slot["digests"].append(Digest(CORIM_ALG_IDS[d[0]], d[1]))
            except ValueError as exc:
                raise CorimError(source, f"{path}.digests[{n}]: {exc}") from None
    if 4 in mval:
        raw = mval[4]
        if isinstance(raw, cbor2.CBORTag) and raw.tag == TAG_BYTES and isinstance(raw.value,
                                                                                 bytes):
            slot["raw"].append(RawRef(raw.value))
        else:
            ok = (isinstance(raw, cbor2.CBORTag) and raw.tag == TAG_MASKED_RAW
                  and isinstance(raw.value, (list, tuple)) and len(raw.value) == 2
                  and all(isinstance(x, bytes) for x in raw.value)
                  and len(raw.value[0]) == len(raw.value[1]))
            _need(ok, source, f"{path}.raw-value",
                  "expected #6.560(bstr) or #6.563([bstr, mask of equal length])")
            slot["raw"].append(RawRef(raw.value[0], raw.value[1]))


def encode_corim(entries: Sequence[DeviceRefs], corim_id: str) -> bytes:
    """Encode entries as a tagged (501) CoRIM with one CoMID per entry.

    Features outside the subset (revoked digests, ignored or optional indices,
    ``on_mismatch``, ``unlisted`` other than ``unknown``) raise :class:`CorimError`
    rather than being dropped silently.
    """
    tags = []
    for e in entries:
        tags.append(cbor2.CBORTag(TAG_COMID, cbor2.dumps(
            {1: {0: e.name}, 4: {0: [[{0: _class_map(e)}, _measurement_maps(e)]]}})))
    return cbor2.dumps(cbor2.CBORTag(TAG_CORIM, {0: corim_id, 1: tags}))


def _class_map(e: DeviceRefs) -> dict[int, Any]:
    m = e.match
    if m.vendor_id is not None and m.device_id is not None:
        text = f"pci:{m.vendor_id:04x}:{m.device_id:04x}"
        if m.subsystem_vendor_id is not None and m.subsystem_id is not None:
            text += f":{m.subsystem_vendor_id:04x}:{m.subsystem_id:04x}"
        return {0: cbor2.CBORTag(TAG_BYTES, text.encode())}
    if m.hw_identity:
        return {2: m.hw_identity}
    raise CorimError(e.name, "CoRIM export needs vendor_id+device_id or hw_identity")


def _measurement_maps(e: DeviceRefs) -> list[dict[int, Any]]:
    if e.unlisted != "unknown":
        raise CorimError(e.name, "'unlisted' cannot be expressed in CoRIM")
    maps: list[dict[int, Any]] = []
    for m in e.measurements:
        if m.revoked or m.ignore or not m.required or m.on_mismatch is not None:
            raise CorimError(e.name, f"index {m.index}: revoked/ignore/required/on_mismatch "
                                     "cannot be expressed in the CoRIM subset")
        mval: dict[int, Any] = {}
        if m.svn_min is not None:
            mval[1] = cbor2.CBORTag(TAG_MIN_SVN, m.svn_min)
        if m.digests:
            mval[2] = [[_ALG_BY_NAME[d.alg], d.value] for d in m.digests]
        if mval:
            maps.append({0: m.index, 1: mval})
        maps += [{0: m.index, 1: {4: cbor2.CBORTag(TAG_BYTES, r.value) if r.mask is None
                                  else cbor2.CBORTag(TAG_MASKED_RAW, [r.value, r.mask])}}
                 for r in m.raw]
        maps += [{0: m.index, 1: {0: {0: v}}} for v in m.versions]
    if not maps:
        raise CorimError(e.name, "no measurements to export")
    return maps
