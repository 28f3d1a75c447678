# SPDX-License-Identifier: BSD-3-Clause
"""Device measurements: deterministic values, DMTF block layout, firmware update."""

from __future__ import annotations

import hashlib
import struct

import pytest

from devtrust.hw.measurements import (
    DEVICE_MODE_NORMAL,
    INDEX_DEVICE_MODE,
    INDEX_FIRMWARE,
    INDEX_MANIFEST,
    INDEX_ROM,
    INDEX_SVN,
    INDEX_VERSION,
    Measurement,
    MeasurementSet,
    MeasurementType,
    firmware_image,
)
from devtrust.hw.rng import Drbg
from devtrust.wire.spdm.measurement_block import MeasurementRecord


def _set(seed: bytes = b"m", **kwargs: object) -> MeasurementSet:
    options: dict[str, object] = {"model": "widget", "firmware_version": "1.0.0", "svn": 3,
                                  "hardware_config": b"hw", "firmware_config": b"fw"}
    options.update(kwargs)
    return MeasurementSet.build(Drbg(seed, "meas"), **options)  # type: ignore[arg-type]


def test_indices_and_types() -> None:
    ms = _set(manifest_size=32)
    assert ms.indices == (1, 2, 3, 4, 5, 0x10, 0xFD, 0xFE)
    assert [m.type_byte for m in ms.measurements] == [0x00, 0x01, 0x02, 0x03, 0x86, 0x87, 0x84,
                                                      0x85]
    assert ms.get(INDEX_SVN).content == struct.pack("<Q", 3)
    assert ms.get(INDEX_VERSION).content == b"1.0.0"
    assert ms.get(INDEX_DEVICE_MODE).content == DEVICE_MODE_NORMAL
    assert len(ms.get(INDEX_MANIFEST).content) == 32
    assert INDEX_MANIFEST not in _set().indices
    assert INDEX_DEVICE_MODE not in _set(device_mode=False).indices


def test_deterministic_and_fleet_shaped() -> None:
    assert _set().record("sha384") == _set().record("sha384")
    assert _set(b"other").record("sha384") != _set().record("sha384")
    # Same model and version: same firmware digest whatever the device.
    assert _set().get(INDEX_FIRMWARE) == _set(hardware_config=b"hw2").get(INDEX_FIRMWARE)
    assert _set(firmware_version="1.0.1").get(INDEX_FIRMWARE) != _set().get(INDEX_FIRMWARE)


def test_reference_digest_is_computable() -> None:
    ms = _set()
    image = firmware_image(Drbg(b"m", "meas"), "widget", "1.0.0")
    assert ms.get(INDEX_FIRMWARE).value("sha384") == hashlib.sha384(image).digest()
    assert len(ms.get(INDEX_ROM).value("sha256")) == 32


def test_dmtf_block_layout() -> None:
    svn = Measurement(0x10, MeasurementType.MUTABLE_FIRMWARE_SVN, True, struct.pack("<Q", 7))
    # Same bytes as spdm-emu's SampleEvidence SVN block (protocols.md §3.10).
    assert svn.dmtf_block("sha512") == bytes.fromhex("10010b00870800") + bytes([7]) + bytes(7)
    digest = Measurement(1, MeasurementType.IMMUTABLE_ROM, False, b"rom")
    block = digest.dmtf_block("sha512")
    assert block[:7] == bytes([1, 1, 67, 0, 0x00, 64, 0])
    assert block[7:] == hashlib.sha512(b"rom").digest()


def test_record_decodes_with_the_wire_codec() -> None:
    ms = _set(manifest_size=16)
    record = MeasurementRecord.decode(ms.record("sha384"), len(ms.indices), digest_size=48)
    assert record == ms.to_record("sha384")
    assert record.by_index(INDEX_SVN).value == struct.pack("<Q", 3)


def test_firmware_update_changes_only_firmware_fields() -> None:
    before = _set()
    after = before.firmware_update("2.0.0", 9, b"new image")
    changed = {m.index for m, n in zip(before.measurements, after.measurements, strict=True)
               if m != n}
    assert changed == {INDEX_FIRMWARE, INDEX_VERSION, INDEX_SVN}
    assert after.svn == 9 and after.firmware_version == "2.0.0"
    assert after.get(INDEX_SVN).content == struct.pack("<Q", 9)


def test_summary_hash() -> None:
    ms = _set()
    everything = hashlib.sha384(ms.record("sha256")).digest()
    assert ms.summary_hash("sha384", "sha256", tcb_only=False) == everything
    tcb = hashlib.sha384(ms.get(INDEX_ROM).dmtf_block("sha256")).digest()
    assert ms.summary_hash("sha384", "sha256", tcb_only=True) == tcb
    # A firmware update leaves the TCB (ROM) summary alone and moves the full one.
    updated = ms.firmware_update("2", 4, b"x")
    assert updated.summary_hash("sha384", "sha256", tcb_only=True) == tcb
    assert updated.summary_hash("sha384", "sha256", tcb_only=False) != everything


def test_validation() -> None:
    with pytest.raises(ValueError):
        Measurement(0, MeasurementType.MUTABLE_FIRMWARE_SVN, True, b"")
    with pytest.raises(ValueError):
        Measurement(0xFF, MeasurementType.MUTABLE_FIRMWARE_SVN, True, b"")
    m = Measurement(1, MeasurementType.IMMUTABLE_ROM, False, b"")
    with pytest.raises(ValueError):
        MeasurementSet((m, m), "1", 1)
