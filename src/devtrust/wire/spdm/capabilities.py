# SPDX-License-Identifier: BSD-3-Clause
"""GET_CAPABILITIES / CAPABILITIES (protocols.md §3.3).

Size depends on the version: 1.0 request 4 bytes and response 12; 1.1 12 bytes
each; 1.2+ 20 bytes each (DataTransferSize, MaxSPDMmsgSize). A 1.3 response may
append the SupportedAlgorithms block when Param1 bit 0 is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntFlag

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import EncodeError, LengthError
from devtrust.wire.spdm.algorithms_msg import SupportedAlgorithms
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)

__all__ = ["Capabilities", "CapabilityFlags", "GetCapabilities", "allowed_capability_bits"]


class CapabilityFlags(IntFlag):
    """Capability flag bits (§3.3); two-bit fields are given as their low and high bit."""

    CACHE_CAP = 1 << 0
    CERT_CAP = 1 << 1
    CHAL_CAP = 1 << 2
    MEAS_CAP_NO_SIG = 1 << 3
    MEAS_CAP_SIG = 1 << 4
    MEAS_FRESH_CAP = 1 << 5
    ENCRYPT_CAP = 1 << 6
    MAC_CAP = 1 << 7
    MUT_AUTH_CAP = 1 << 8
    KEY_EX_CAP = 1 << 9
    PSK_CAP = 1 << 10
    PSK_CAP_WITH_CONTEXT = 1 << 11
    ENCAP_CAP = 1 << 12
    HBEAT_CAP = 1 << 13
    KEY_UPD_CAP = 1 << 14
    HANDSHAKE_IN_THE_CLEAR_CAP = 1 << 15
    PUB_KEY_ID_CAP = 1 << 16
    CHUNK_CAP = 1 << 17
    ALIAS_CERT_CAP = 1 << 18
    SET_CERT_CAP = 1 << 19
    CSR_CAP = 1 << 20
    CERT_INSTALL_RESET_CAP = 1 << 21
    EP_INFO_CAP_NO_SIG = 1 << 22
    EP_INFO_CAP_SIG = 1 << 23
    MEL_CAP = 1 << 24
    EVENT_CAP = 1 << 25
    MULTI_KEY_CAP_ONLY = 1 << 26
    MULTI_KEY_CAP_NEG = 1 << 27
    GET_KEY_PAIR_INFO_CAP = 1 << 28
    SET_KEY_PAIR_INFO_CAP = 1 << 29


_NO_FLAGS = CapabilityFlags(0)

# Highest defined flag bit per version: 1.0 bits 0..5, 1.1 adds 6..16, 1.2 adds 17..21,
# 1.3 adds 22..29 (§3.3). Bits above are undefined and rejected.
_TOP_BIT = {SpdmVersion.V10: 5, SpdmVersion.V11: 16, SpdmVersion.V12: 21, SpdmVersion.V13: 29}
_MIN_TRANSFER_SIZE = 42  # DataTransferSize minimum in 1.2+ (§3.3)


def allowed_capability_bits(spdm_version: int) -> int:
    """Mask of the capability flags defined in ``spdm_version``."""
    return (1 << (_TOP_BIT[SpdmVersion(spdm_version)] + 1)) - 1


class _CapsBody:
    """Codec of the fields shared by request and response (namespace, never instantiated)."""

    @staticmethod
    def write(w: Writer, version: int, ct_exponent: int, flags: int, dts: int, mms: int) -> None:
        w.zeros(1).u8(ct_exponent, "ct_exponent").zeros(2).u32(int(flags), "flags")
        if version >= SpdmVersion.V12:
            w.u32(dts, "data_transfer_size").u32(mms, "max_spdm_msg_size")

    @staticmethod
    def read(r: Reader, version: int) -> tuple[int, CapabilityFlags, int, int]:
        r.reserved(1)
        ct = r.u8("ct_exponent")
        r.reserved(2)  # ExtFlags only from SPDM 1.4
        at = r.offset
        flags = r.flags(r.u32("flags"), allowed_capability_bits(version), "flags", offset=at)
        dts = mms = 0
        if version >= SpdmVersion.V12:
            at = r.offset
            dts = r.u32("data_transfer_size")
            r.require(dts >= _MIN_TRANSFER_SIZE, "data_transfer_size",
                      f"{dts} below the minimum {_MIN_TRANSFER_SIZE}", kind=LengthError,
                      offset=at)
            at = r.offset
            mms = r.u32("max_spdm_msg_size")
            r.require(mms >= dts, "max_spdm_msg_size", "smaller than DataTransferSize",
                      kind=LengthError, offset=at)
        return ct, CapabilityFlags(flags), dts, mms


@dataclass(frozen=True, slots=True)
class GetCapabilities:
    """GET_CAPABILITIES. In 1.3 ``param1`` bit 0 asks for the SupportedAlgorithms block."""

    spdm_version: int
    ct_exponent: int = 0
    flags: CapabilityFlags = _NO_FLAGS
    data_transfer_size: int = 0
    max_spdm_msg_size: int = 0
    request_supported_algorithms: bool = False
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM GET_CAPABILITIES"
    CODE = RequestCode.GET_CAPABILITIES

    def __post_init__(self) -> None:
        if self.request_supported_algorithms and self.spdm_version < SpdmVersion.V13:
            raise EncodeError(self.STRUCTURE, "param1", 2, "SupportedAlgorithms needs SPDM 1.3")

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.request_supported_algorithms))
        if self.spdm_version >= SpdmVersion.V11:
            _CapsBody.write(w, self.spdm_version, self.ct_exponent, self.flags,
                            self.data_transfer_size, self.max_spdm_msg_size)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> GetCapabilities:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        allowed = 1 if version >= SpdmVersion.V13 else 0
        r.flags(p1, allowed, "param1", offset=2)
        require_zero(r, p2, "param2", 3)
        ct, flags, dts, mms = 0, CapabilityFlags(0), 0, 0
        if version >= SpdmVersion.V11:
            ct, flags, dts, mms = _CapsBody.read(r, version)
        r.end()
        return cls(version, ct, flags, dts, mms, bool(p1 & 1), raw=r.data)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """CAPABILITIES; ``supported_algorithms`` is the optional 1.3 block (Param1 bit 0)."""

    spdm_version: int
    ct_exponent: int = 0
    flags: CapabilityFlags = _NO_FLAGS
    data_transfer_size: int = 0
    max_spdm_msg_size: int = 0
    supported_algorithms: SupportedAlgorithms | None = None
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM CAPABILITIES"
    CODE = ResponseCode.CAPABILITIES

    def __post_init__(self) -> None:
        if self.supported_algorithms is not None and self.spdm_version < SpdmVersion.V13:
            raise EncodeError(self.STRUCTURE, "supported_algorithms", 20,
                              "SupportedAlgorithms needs SPDM 1.3")

    @property
    def meas_cap(self) -> int:
        """MEAS_CAP: 0 none, 1 without signature, 2 with signature."""
        return int(self.flags) >> 3 & 3

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, int(self.supported_algorithms is not None))
        _CapsBody.write(w, self.spdm_version, self.ct_exponent, self.flags,
                        self.data_transfer_size, self.max_spdm_msg_size)
        if self.supported_algorithms is not None:
            w.raw(self.supported_algorithms.encode(), "supported_algorithms")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Capabilities:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        allowed = 1 if version >= SpdmVersion.V13 else 0
        r.flags(p1, allowed, "param1", offset=2)
        require_zero(r, p2, "param2", 3)
        ct, flags, dts, mms = _CapsBody.read(r, version)
        block = None
        if p1 & 1:
            at = r.offset
            block = SupportedAlgorithms.decode_from(r.sub(r.remaining, cls.STRUCTURE,
                                                          "supported_algorithms"), version, at)
        r.end()
        return cls(version, ct, flags, dts, mms, block, raw=r.data)
