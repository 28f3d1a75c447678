# SPDX-License-Identifier: BSD-3-Clause
"""Reference-value files and the local store: loading, lookup, import, one-line errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.refstore import RefStore
from devtrust.appraise.refvalues import (
    Digest,
    RawRef,
    RefValueError,
    load_refvalues,
    parse_refvalues,
)

FW = hashlib.sha384(b"fw").hexdigest()
GOOD = f"""
version: 1
devices:
  - name: gpu-x
    match: {{vendor_id: 0x10de, device_id: 0x2330}}
    unlisted: fail
    measurements:
      - {{index: 1, digests: ["sha384:{FW}"], revoked: ["sha384:{'00' * 48}"]}}
      - {{index: 0x10, svn_min: 5}}
      - index: 0xfe
        raw: [{{value: "3f000000", mask: "ff000000"}}, {{value: "01020304"}}]
      - {{index: 6, versions: ["1.4.2"], required: false}}
      - {{index: 0xfd, ignore: true}}
  - name: gpu-x-oem
    match: {{vendor_id: 0x10de, device_id: 0x2330, subsystem_vendor_id: 0x1028,
             subsystem_id: 0x0001}}
    measurements: [{{index: 1, digests: ["sha384:{FW}"], on_mismatch: fail}}]
  - name: by-cert
    match: {{hw_identity: "ACME NIC rev B"}}
    measurements: [{{index: 2, digests: ["sha256:{'ab' * 32}"]}}]
"""


def test_yaml_loads_every_field() -> None:
    refs = parse_refvalues("r.yaml", GOOD)
    gpu = refs.entries[0]
    assert gpu.unlisted == "fail" and gpu.source == "r.yaml"
    m1 = gpu.for_index(1)
    assert m1 is not None and m1.digests == (Digest("sha384", bytes.fromhex(FW)),)
    assert m1.revoked == (Digest("sha384", bytes(48)),)
    assert gpu.for_index(0x10).svn_min == 5  # type: ignore[union-attr]
    assert gpu.for_index(0xFE).raw == (  # type: ignore[union-attr]
        RawRef(bytes.fromhex("3f000000"), bytes.fromhex("ff000000")),
        RawRef(bytes.fromhex("01020304")))
    assert gpu.for_index(6).required is False  # type: ignore[union-attr]
    assert gpu.for_index(0xFD).ignore  # type: ignore[union-attr]


def test_lookup_most_specific_and_identity() -> None:
    refs = parse_refvalues("r.yaml", GOOD)
    assert refs.lookup(DeviceIdentity(0x10DE, 0x2330)).name == "gpu-x"  # type: ignore[union-attr]
    oem = DeviceIdentity(0x10DE, 0x2330, 0x1028, 0x0001)
    assert refs.lookup(oem).name == "gpu-x-oem"  # type: ignore[union-attr]
    assert refs.lookup(DeviceIdentity(hw_identity="ACME NIC rev B")).name == "by-cert"  # type: ignore[union-attr]
    assert refs.lookup(DeviceIdentity(0x10DE, 0x9999)) is None


def test_json_format(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"version": 1, "devices": [
        {"name": "j", "match": {"vendor_id": 1, "device_id": 2},
         "measurements": [{"index": 1, "digests": [f"sha384:{FW}"]}]}]}))
    assert load_refvalues(f).entries[0].name == "j"


@pytest.mark.parametrize(("text", "expect"), [
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: [{index: 0, "
     "svn_min: 1}]}]", "devices.0.measurements.0.index"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: "
     "[{index: 1, digests: [\"md5:00\"]}]}]", "must be '<alg>:<hex>'"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: "
     "[{index: 1, digests: [\"sha384:0011\"]}]}]", "expected 48"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: "
     "[{index: 1, digests: [\"sha384:zz\"]}]}]", "is not hex"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: "
     "[{index: 1, raw: [{value: '00', mask: '0000'}]}]}]", "mask must be as long"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: [{index: 1}]}]",
     "has no criterion"),
    ("version: 1\ndevices: [{name: a, match: {}, measurements: []}]",
     "match needs vendor_id"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, measurements: "
     "[{index: 1, svn_min: 1}, {index: 1, svn_min: 2}]}]", "listed twice"),
    ("version: 1\ndevices: [{name: a, match: {vendor_id: 1}, typo: 1}]",
     "devices.0.typo: Extra inputs"),
    ("devices: []", "version: Field required"),
    ("version: 1\ndevices: {", "not valid YAML"),
])
def test_broken_refs_give_one_clear_line(text: str, expect: str) -> None:
    with pytest.raises(RefValueError) as info:
        parse_refvalues("bad.yaml", text)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("bad.yaml: ") and "fix:" in msg
    assert expect in msg


def test_store_from_dir_import_and_list(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store = RefStore.from_dir(store_dir)
    assert store.list() == ()
    src = tmp_path / "vendor.yaml"
    src.write_text(GOOD)
    store = store.import_file(src)
    listing = store.list()
    assert [e.name for e in listing] == ["gpu-x", "gpu-x-oem", "by-cert"]
    assert listing[0].device_class == "pci 10de:2330"
    assert listing[0].indices == (1, 0x10, 0xFE, 6, 0xFD)
    assert RefStore.from_dir(store_dir).lookup(DeviceIdentity(0x10DE, 0x2330)) is not None
    with pytest.raises(RefValueError, match="already in the store"):
        store.import_file(src)


def test_store_refuses_broken_and_clashing_files(tmp_path: Path) -> None:
    store = RefStore.from_dir(tmp_path / "s")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ndevices: [{name: a}]")
    with pytest.raises(RefValueError, match=r"bad\.yaml"):
        store.import_file(bad)
    assert not (tmp_path / "s" / "bad.yaml").exists()
    good = tmp_path / "a.yaml"
    good.write_text(GOOD)
    store = store.import_file(good)
    clash = tmp_path / "b.yaml"
    clash.write_text(GOOD)
    with pytest.raises(RefValueError, match="more than one file"):
        store.import_file(clash)
    assert not (tmp_path / "s" / "b.yaml").exists()


def test_store_rejects_unknown_type_on_import(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("hi")
    with pytest.raises(RefValueError, match="unknown file type"):
        RefStore.from_dir(tmp_path / "s").import_file(f)
