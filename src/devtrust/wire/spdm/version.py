# SPDX-License-Identifier: BSD-3-Clause
"""GET_VERSION / VERSION (protocols.md §3.2).

Both always carry header version 0x10. VERSION lists 16-bit version entries
(major 15:12, minor 11:8, update 7:4, alpha 3:0); the count byte is derived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import EncodeError, LengthError
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)

__all__ = ["GetVersion", "Version", "VersionEntry"]

_V10 = (SpdmVersion.V10,)


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One VersionNumberEntry."""

    major: int
    minor: int
    update: int = 0
    alpha: int = 0

    def __post_init__(self) -> None:
        if not all(isinstance(v, int) and 0 <= v <= 0xF
                   for v in (self.major, self.minor, self.update, self.alpha)):
            raise EncodeError("SPDM VERSION", "entry", 0, "version nibble out of range")

    @property
    def value(self) -> int:
        return self.major << 12 | self.minor << 8 | self.update << 4 | self.alpha

    @property
    def header_byte(self) -> int:
        """The SPDMVersion byte this entry selects (0x12 for 1.2.x)."""
        return self.major << 4 | self.minor

    @classmethod
    def from_value(cls, value: int) -> VersionEntry:
        return cls(value >> 12 & 0xF, value >> 8 & 0xF, value >> 4 & 0xF, value & 0xF)


@dataclass(frozen=True, slots=True)
class GetVersion:
    """GET_VERSION: 4 bytes, version 0x10, params reserved. Resets the connection."""

    spdm_version: int = SpdmVersion.V10
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM GET_VERSION"
    CODE = RequestCode.GET_VERSION

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> GetVersion:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, versions=_V10)
        require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        r.end()
        return cls(version, raw=r.data)


@dataclass(frozen=True, slots=True)
class Version:
    """VERSION: the responder's supported versions, in wire order."""

    entries: tuple[VersionEntry, ...]
    spdm_version: int = SpdmVersion.V10
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM VERSION"
    CODE = ResponseCode.VERSION

    def __post_init__(self) -> None:
        if not 1 <= len(self.entries) <= 0xFF:
            raise EncodeError(self.STRUCTURE, "entries", 0, "needs 1..255 version entries")

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE)
        w.zeros(1).u8(len(self.entries), "version_number_entry_count")
        for i, entry in enumerate(self.entries):
            w.u16(entry.value, f"entries[{i}]")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Version:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE, versions=_V10)
        require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        r.reserved(1)
        at = r.offset
        count = r.u8("version_number_entry_count")
        r.require(count >= 1, "version_number_entry_count", "no version entry",
                  kind=LengthError, offset=at)
        r.require(2 * count <= r.remaining, "version_number_entry_count",
                  f"{count} entries need {2 * count} bytes, {r.remaining} left",
                  kind=LengthError, offset=at)
        entries = tuple(VersionEntry.from_value(r.u16(f"entries[{i}]")) for i in range(count))
        r.end()
        return cls(entries, version, raw=r.data)

    def highest_common(self, supported: tuple[int, ...]) -> int | None:
        """Highest header byte listed here and in ``supported`` (None when disjoint)."""
        common = {e.header_byte for e in self.entries} & set(supported)
        return max(common) if common else None
