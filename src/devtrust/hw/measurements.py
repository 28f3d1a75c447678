# SPDX-License-Identifier: BSD-3-Clause
"""A device's SPDM measurements: what its firmware, ROM and configuration are.

Indices follow libspdm / spdm-emu's sample (protocols.md §3.10):

====== ==================== ====== =========================================
index  DMTF value type       raw?   value
====== ==================== ====== =========================================
1      immutable ROM (0)     no     H(ROM image)
2      mutable firmware (1)  no     H(firmware image)
3      hardware config (2)   no     H(hardware configuration text)
4      firmware config (3)   no     H(firmware configuration text)
5      firmware version (6)  yes    version string, UTF-8
0x10   SVN (7)               yes    8-byte little-endian (libspdm's width)
0xFD   manifest (4)          yes    optional raw bit stream (firmware manifest)
0xFE   device mode (5)       yes    optional 16-byte device mode
====== ==================== ====== =========================================

Digest entries keep the *measured object* and hash it with the negotiated measurement
hash on request, so reference values are computable by tests and appraisers. Images are
derived from the DRBG per model and version, not per device: every device of a model
running one firmware version measures the same, as in a real fleet.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, replace

from devtrust.hw.rng import Drbg
from devtrust.wire.spdm.measurement_block import (
    DEVICE_MODE_INDEX,
    MANIFEST_INDEX,
    DmtfValueType,
    MeasurementBlock,
    MeasurementRecord,
)

__all__ = [
    "DEVICE_MODE_NORMAL",
    "INDEX_DEVICE_MODE",
    "INDEX_FIRMWARE",
    "INDEX_FIRMWARE_CONFIG",
    "INDEX_HARDWARE_CONFIG",
    "INDEX_MANIFEST",
    "INDEX_ROM",
    "INDEX_SVN",
    "INDEX_VERSION",
    "Measurement",
    "MeasurementSet",
    "MeasurementType",
    "firmware_image",
]

INDEX_ROM = 1
INDEX_FIRMWARE = 2
INDEX_HARDWARE_CONFIG = 3
INDEX_FIRMWARE_CONFIG = 4
INDEX_VERSION = 5
INDEX_SVN = 0x10
INDEX_MANIFEST = MANIFEST_INDEX
INDEX_DEVICE_MODE = DEVICE_MODE_INDEX
_FIRMWARE_IMAGE_SIZE = 4096
_ROM_IMAGE_SIZE = 1024
# OperationalModeCapabilities / State, DeviceModeCapabilities / State (4 B LE each):
# normal operation (bit 2), no debug ever active.
DEVICE_MODE_NORMAL = struct.pack("<IIII", 0x3F, 0x04, 0x1F, 0x00)


# The value types are the wire codec's enum (declared once, STYLE 5).
MeasurementType = DmtfValueType


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement: ``content`` is the raw value, or the object hashed for a digest."""

    index: int
    value_type: MeasurementType
    is_raw: bool
    content: bytes

    def __post_init__(self) -> None:
        if not 1 <= self.index <= 0xFE:
            raise ValueError(f"measurement index {self.index} outside 1..0xFE")

    @property
    def type_byte(self) -> int:
        """DMTFSpecMeasurementValueType with bit 7 set for raw bit streams."""
        return int(self.value_type) | (0x80 if self.is_raw else 0)

    def value(self, hash_name: str) -> bytes:
        """The reported value: raw content, or its ``hash_name`` (hashlib) digest."""
        return self.content if self.is_raw else hashlib.new(hash_name, self.content).digest()

    def block(self, hash_name: str) -> MeasurementBlock:
        """The DMTF measurement block reporting this measurement (protocols.md §3.10)."""
        return MeasurementBlock(self.index, self.value_type, self.value(hash_name), self.is_raw)

    def dmtf_block(self, hash_name: str) -> bytes:
        """The encoded DMTF measurement block."""
        return self.block(hash_name).encode()


def firmware_image(drbg: Drbg, model: str, version: str) -> bytes:
    """The (synthetic) firmware image of ``model`` at ``version``."""
    return drbg.child(f"firmware/{model}/{version}").bytes(_FIRMWARE_IMAGE_SIZE)


@dataclass(frozen=True, slots=True)
class MeasurementSet:
    """All measurements of one device, in index order, plus the version and SVN they
    encode."""

    measurements: tuple[Measurement, ...]
    firmware_version: str
    svn: int

    def __post_init__(self) -> None:
        indices = [m.index for m in self.measurements]
        if indices != sorted(set(indices)):
            raise ValueError("measurement indices must be unique and ascending")
        if not 0 <= self.svn < 1 << 64:
            raise ValueError("SVN must fit 8 bytes")

    @classmethod
    def build(cls, drbg: Drbg, *, model: str, firmware_version: str, svn: int,
              hardware_config: bytes, firmware_config: bytes,
              firmware: bytes | None = None, device_mode: bool = True,
              manifest_size: int = 0) -> MeasurementSet:
        """Measurements of a device of ``model`` running ``firmware_version``.

        ``firmware`` overrides the derived image; ``manifest_size`` > 0 adds a raw
        bit-stream manifest block of that many bytes.
        """
        rom = drbg.child(f"rom/{model}").bytes(_ROM_IMAGE_SIZE)
        image = firmware if firmware is not None else firmware_image(drbg, model,
                                                                     firmware_version)
        items = [
            Measurement(INDEX_ROM, MeasurementType.IMMUTABLE_ROM, False, rom),
            Measurement(INDEX_FIRMWARE, MeasurementType.MUTABLE_FIRMWARE, False, image),
            Measurement(INDEX_HARDWARE_CONFIG, MeasurementType.HARDWARE_CONFIGURATION, False,
                        hardware_config),
            Measurement(INDEX_FIRMWARE_CONFIG, MeasurementType.FIRMWARE_CONFIGURATION, False,
                        firmware_config),
            Measurement(INDEX_VERSION, MeasurementType.MUTABLE_FIRMWARE_VERSION, True,
                        firmware_version.encode()),
            Measurement(INDEX_SVN, MeasurementType.MUTABLE_FIRMWARE_SVN, True,
                        svn.to_bytes(8, "little")),
        ]
        if manifest_size:
            manifest = drbg.child(f"manifest/{model}/{firmware_version}").bytes(manifest_size)
            items.append(Measurement(INDEX_MANIFEST, MeasurementType.MEASUREMENT_MANIFEST, True,
                                     manifest))
        if device_mode:
            items.append(Measurement(INDEX_DEVICE_MODE, MeasurementType.DEVICE_MODE, True,
                                     DEVICE_MODE_NORMAL))
        return cls(tuple(items), firmware_version, svn)

    @property
    def indices(self) -> tuple[int, ...]:
        return tuple(m.index for m in self.measurements)

    def get(self, index: int) -> Measurement:
        for m in self.measurements:
            if m.index == index:
                return m
        raise KeyError(index)

    def to_blocks(self, hash_name: str) -> tuple[MeasurementBlock, ...]:
        """Every DMTF measurement block, in index order, digests made with ``hash_name``."""
        return tuple(m.block(hash_name) for m in self.measurements)

    def to_record(self, hash_name: str) -> MeasurementRecord:
        """The MeasurementRecord GET_MEASUREMENTS(all) returns."""
        return MeasurementRecord(self.to_blocks(hash_name))

    def record(self, hash_name: str) -> bytes:
        """The encoded measurement record (all blocks back to back)."""
        return self.to_record(hash_name).encode()

    def summary_hash(self, base_hash: str, measurement_hash: str, *, tcb_only: bool) -> bytes:
        """MeasurementSummaryHash (§3.13): BaseHash over whole blocks; type 1 (TCB) covers
        the immutable-ROM blocks only, as libspdm's sample device defines TCB."""
        chosen = [m for m in self.measurements
                  if not tcb_only or m.value_type is MeasurementType.IMMUTABLE_ROM]
        return hashlib.new(base_hash, b"".join(m.dmtf_block(measurement_hash)
                                               for m in chosen)).digest()

    def firmware_update(self, new_version: str, new_svn: int, new_image: bytes,
                        firmware_config: bytes | None = None) -> MeasurementSet:
        """The measurements after an (emulated) firmware update; ROM and hardware stay."""
        changes = {INDEX_FIRMWARE: new_image, INDEX_VERSION: new_version.encode(),
                   INDEX_SVN: new_svn.to_bytes(8, "little")}
        if firmware_config is not None:
            changes[INDEX_FIRMWARE_CONFIG] = firmware_config
        items = tuple(replace(m, content=changes.get(m.index, m.content))
                      for m in self.measurements)
        return MeasurementSet(items, new_version, new_svn)
