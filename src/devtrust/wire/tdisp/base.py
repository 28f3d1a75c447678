# SPDX-License-Identifier: BSD-3-Clause
"""What every TDISP message shares: header handling, LOCK flags, vendor payloads.

Each concrete message declares its code and its body once, as a pair of
``_read_body`` / ``_write_body`` methods; header, version check, trailing-byte
check and ``raw`` are handled here so no message can forget them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from typing import Any, ClassVar, Self

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import UnknownCodeError
from devtrust.wire.tdisp.header import TDISP_VERSION_1_0, FunctionId, TdispHeader

__all__ = [
    "LOCK_FLAGS_MASK",
    "SUPPORTED_VERSIONS",
    "LockFlags",
    "TdispMessage",
    "VendorPayload",
    "VendorRegistry",
]

# Only TDISP 1.0 exists in every implementation (§2.1).
SUPPORTED_VERSIONS = (TDISP_VERSION_1_0,)


class LockFlags(IntFlag):
    """LOCK_INTERFACE_REQUEST FLAGS and LOCK_INTERFACE_FLAGS_SUPPORTED (§2.5)."""

    NO_FW_UPDATE = 0x0001
    SYSTEM_CACHE_LINE_SIZE_128 = 0x0002
    LOCK_MSIX = 0x0004
    BIND_P2P = 0x0008
    ALL_REQUEST_REDIRECT = 0x0010


LOCK_FLAGS_MASK = 0x001F  # bits 15:5 reserved


class VendorRegistry(IntEnum):
    """REGISTRY_ID of VDM messages and vendor-specific errors (§2.4)."""

    PCI_SIG = 0x00
    CXL = 0x01


@dataclass(frozen=True, slots=True)
class VendorPayload:
    """REGISTRY_ID (1) ‖ VENDOR_ID_LEN (1) ‖ VENDOR_ID ‖ vendor data (rest).

    The body of VDM_REQUEST / VDM_RESPONSE and the EXTENDED_ERROR_DATA of a
    VENDOR_SPECIFIC_ERROR (§2.4). ``data`` runs to the end of the message.
    """

    registry: VendorRegistry
    vendor_id: bytes
    data: bytes = b""

    def __post_init__(self) -> None:
        if len(self.vendor_id) > 0xFF:
            raise ValueError("vendor id longer than 255 bytes")

    @property
    def size(self) -> int:
        return 2 + len(self.vendor_id) + len(self.data)

    @classmethod
    def read(cls, r: Reader, name: str) -> VendorPayload:
        at = r.offset
        registry = decode_enum(VendorRegistry, r.u8(f"{name}.registry_id"), r,
                               f"{name}.registry_id", at)
        vendor_id = r.take(r.u8(f"{name}.vendor_id_len"), f"{name}.vendor_id")
        return cls(registry, vendor_id, r.rest(f"{name}.data"))

    def write(self, w: Writer, name: str) -> None:
        w.u8(int(self.registry), f"{name}.registry_id")
        w.u8(len(self.vendor_id), f"{name}.vendor_id_len").raw(self.vendor_id, f"{name}.vendor_id")
        w.raw(self.data, f"{name}.data")


@dataclass(frozen=True, slots=True)
class TdispMessage:
    """Base of every TDISP request and response.

    Subclasses set ``CODE`` and ``NAME`` and override ``_read_body`` (returning
    the positional body fields in declaration order) and ``_write_body``.
    ``version`` is only checked on decode: an encoder may echo any version in
    a TDISP_ERROR(VERSION_MISMATCH) (§2.9).
    """

    function_id: FunctionId
    version: int = field(default=TDISP_VERSION_1_0, kw_only=True)
    raw: bytes = field(default=b"", compare=False, repr=False, kw_only=True)

    CODE: ClassVar[int] = -1
    NAME: ClassVar[str] = "?"
    IS_REQUEST: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not isinstance(self.function_id, FunctionId):
            raise TypeError("function_id must be a FunctionId")
        if not 0 <= self.version <= 0xFF:
            raise ValueError(f"version {self.version!r} does not fit a byte")

    @classmethod
    def structure(cls) -> str:
        return f"TDISP {cls.NAME}"

    @property
    def header(self) -> TdispHeader:
        return TdispHeader(self.version, self.CODE, self.function_id)

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return ()

    def _write_body(self, w: Writer) -> None:
        return None

    def encode(self) -> bytes:
        w = Writer(self.structure())
        self.header.write(w)
        self._write_body(w)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Decode one whole message of this type; anything else is a WireError."""
        r = Reader(data, cls.structure())
        header = TdispHeader.read(r)
        r.require(header.version in SUPPORTED_VERSIONS, "header.version",
                  f"unsupported TDISP version 0x{header.version:02x}",
                  kind=UnknownCodeError, offset=0)
        r.require(header.code == cls.CODE, "header.message_type",
                  f"message type 0x{header.code:02x} is not {cls.NAME} (0x{cls.CODE:02x})",
                  kind=UnknownCodeError, offset=1)
        body = cls._read_body(r)
        r.end()
        return cls(header.function_id, *body, version=header.version, raw=r.data)
