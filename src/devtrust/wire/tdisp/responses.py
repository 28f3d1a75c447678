# SPDX-License-Identifier: BSD-3-Clause
"""TDISP responses, DSM to TSM (protocols.md §2.4, §2.9; offsets include the header).

The TSM requester decodes these from a device it does not trust; the DSM
responder encodes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import LengthError, ReservedBitsError, UnknownCodeError
from devtrust.wire.tdisp.base import LOCK_FLAGS_MASK, LockFlags, TdispMessage, VendorPayload
from devtrust.wire.tdisp.header import TdispErrorCode, TdispRequest, TdispResponse, TdiState
from devtrust.wire.tdisp.requests import NONCE_SIZE

__all__ = [
    "BindP2pStreamResponse",
    "DeviceInterfaceReport",
    "DeviceInterfaceState",
    "LockInterfaceResponse",
    "SetMmioAttributeResponse",
    "StartInterfaceResponse",
    "StopInterfaceResponse",
    "TdispCapabilities",
    "TdispError",
    "TdispVersionResponse",
    "UnbindP2pStreamResponse",
    "VdmResponse",
]


@dataclass(frozen=True, slots=True)
class TdispVersionResponse(TdispMessage):
    """TDISP_VERSION (17 + N B): VERSION_NUM_COUNT (N ≥ 1) and N version bytes."""

    versions: tuple[int, ...]

    CODE = TdispResponse.TDISP_VERSION
    NAME = "TDISP_VERSION"

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        if not isinstance(self.versions, tuple) or not 1 <= len(self.versions) <= 0xFF:
            raise ValueError("versions must be a tuple of 1..255 entries")
        if any(not 0 <= v <= 0xFF for v in self.versions):
            raise ValueError("version entries are single bytes")

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        at = r.offset
        count = r.u8("version_num_count")
        r.require(count >= 1, "version_num_count", "must list at least one version",
                  kind=LengthError, offset=at)
        return (tuple(r.take(count, "version_num_entry")),)

    def _write_body(self, w: Writer) -> None:
        w.u8(len(self.versions), "version_num_count").raw(bytes(self.versions), "version_num_entry")


# REQ_MSGS_SUPPORTED: bit n ⇔ request code 0x80 + n (§2.4, §7 row 1). The
# defined codes 0x81..0x8B use bits 1..11; the legacy code − 0x81 form (spdm-rs
# example, tee-io-validator markdown) uses bits 0..10. Decoding keeps the mask
# and refuses only bits 127:12, which neither form uses; bit 0 is interpreted
# by TdispCapabilities.supported_requests.
_REQ_MSGS_DEFINED = (1 << 12) - 1


@dataclass(frozen=True, slots=True)
class TdispCapabilities(TdispMessage):
    """TDISP_CAPABILITIES (44 B). DSM_CAPS is reserved and must be zero."""

    req_msgs_supported: int
    lock_flags_supported: LockFlags
    dev_addr_width: int
    num_req_this: int
    num_req_all: int

    CODE = TdispResponse.TDISP_CAPABILITIES
    NAME = "TDISP_CAPABILITIES"

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        if not 0 <= self.req_msgs_supported <= _REQ_MSGS_DEFINED:
            raise ValueError("REQ_MSGS_SUPPORTED bits 127:12 are reserved")
        if int(self.lock_flags_supported) & ~LOCK_FLAGS_MASK:
            raise ValueError("reserved LOCK flag bits set")

    @staticmethod
    def mask_for(requests: Iterable[TdispRequest]) -> int:
        """REQ_MSGS_SUPPORTED for ``requests`` in the recommended code − 0x80 form."""
        mask = 0
        for code in requests:
            mask |= 1 << (TdispRequest(code) - 0x80)
        return mask

    def supported_requests(self, *, tolerant: bool = False) -> frozenset[TdispRequest]:
        """The request codes the device claims to support.

        Strict mode insists on bit = code − 0x80, where bit 0 is never set. With
        ``tolerant`` a mask with bit 0 set is read in the legacy code − 0x81
        form (§7 row 1); the caller should record that it did so.
        """
        mask, base = self.req_msgs_supported, 0x80
        if mask & 1:
            if not tolerant:
                raise UnknownCodeError(self.structure(), "req_msgs_supported", 20,
                                       "bit 0 set: legacy code - 0x81 form (§7 row 1)")
            base = 0x81
        found = set()
        for bit in range(128):
            if mask >> bit & 1:
                try:
                    found.add(TdispRequest(base + bit))
                except ValueError:
                    raise UnknownCodeError(self.structure(), "req_msgs_supported", 20,
                                           f"bit {bit} names no request") from None
        return frozenset(found)

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        r.reserved(4, "dsm_caps")
        at = r.offset
        mask = int.from_bytes(r.take(16, "req_msgs_supported"), "little")
        if mask & ~_REQ_MSGS_DEFINED:
            raise r.error("req_msgs_supported", f"undefined bits set (mask 0x{mask:x})",
                          offset=at, kind=ReservedBitsError)
        at = r.offset
        flags = LockFlags(r.flags(r.u16("lock_interface_flags_supported"), LOCK_FLAGS_MASK,
                                  "lock_interface_flags_supported", offset=at))
        r.reserved(3)
        return mask, flags, r.u8("dev_addr_width"), r.u8("num_req_this"), r.u8("num_req_all")

    def _write_body(self, w: Writer) -> None:
        w.zeros(4, "dsm_caps")
        w.raw(self.req_msgs_supported.to_bytes(16, "little"), "req_msgs_supported")
        w.u16(int(self.lock_flags_supported), "lock_interface_flags_supported").zeros(3)
        w.u8(self.dev_addr_width, "dev_addr_width").u8(self.num_req_this, "num_req_this")
        w.u8(self.num_req_all, "num_req_all")


@dataclass(frozen=True, slots=True)
class LockInterfaceResponse(TdispMessage):
    """LOCK_INTERFACE_RESPONSE (48 B): the 32-byte START_INTERFACE_NONCE."""

    nonce: bytes

    CODE = TdispResponse.LOCK_INTERFACE_RESPONSE
    NAME = "LOCK_INTERFACE_RESPONSE"

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        if len(self.nonce) != NONCE_SIZE:
            raise ValueError("START_INTERFACE_NONCE must be 32 bytes")

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return (r.take(NONCE_SIZE, "start_interface_nonce"),)

    def _write_body(self, w: Writer) -> None:
        w.raw(self.nonce, "start_interface_nonce", size=NONCE_SIZE)


@dataclass(frozen=True, slots=True)
class DeviceInterfaceReport(TdispMessage):
    """DEVICE_INTERFACE_REPORT (20 + PORTION_LENGTH B): one slice of the TDI report.

    PORTION_LENGTH is derived from ``portion``; the decoder checks it against
    the bytes present before slicing. Reassemble with
    :class:`~devtrust.wire.tdisp.paging.ReportAssembler`.
    """

    remainder_length: int
    portion: bytes

    CODE = TdispResponse.DEVICE_INTERFACE_REPORT
    NAME = "DEVICE_INTERFACE_REPORT"

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        if len(self.portion) > 0xFFFF or not 0 <= self.remainder_length <= 0xFFFF:
            raise ValueError("PORTION_LENGTH and REMAINDER_LENGTH are 16-bit")

    @property
    def portion_length(self) -> int:
        return len(self.portion)

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        portion_length = r.u16("portion_length")
        remainder = r.u16("remainder_length")
        return remainder, r.length_prefixed(portion_length, "report_bytes")

    def _write_body(self, w: Writer) -> None:
        w.u16(len(self.portion), "portion_length").u16(self.remainder_length, "remainder_length")
        w.raw(self.portion, "report_bytes")


@dataclass(frozen=True, slots=True)
class DeviceInterfaceState(TdispMessage):
    """DEVICE_INTERFACE_STATE (17 B): TDI_STATE; values 4..255 are reserved."""

    state: TdiState

    CODE = TdispResponse.DEVICE_INTERFACE_STATE
    NAME = "DEVICE_INTERFACE_STATE"

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        TdiState(self.state)  # ValueError for a reserved value

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        at = r.offset
        return (decode_enum(TdiState, r.u8("tdi_state"), r, "tdi_state", at),)

    def _write_body(self, w: Writer) -> None:
        w.u8(int(self.state), "tdi_state")


@dataclass(frozen=True, slots=True)
class StartInterfaceResponse(TdispMessage):
    """START_INTERFACE_RESPONSE (16 B): header only."""

    CODE = TdispResponse.START_INTERFACE_RESPONSE
    NAME = "START_INTERFACE_RESPONSE"


@dataclass(frozen=True, slots=True)
class StopInterfaceResponse(TdispMessage):
    """STOP_INTERFACE_RESPONSE (16 B): header only."""

    CODE = TdispResponse.STOP_INTERFACE_RESPONSE
    NAME = "STOP_INTERFACE_RESPONSE"


@dataclass(frozen=True, slots=True)
class BindP2pStreamResponse(TdispMessage):
    """BIND_P2P_STREAM_RESPONSE (16 B): header only."""

    CODE = TdispResponse.BIND_P2P_STREAM_RESPONSE
    NAME = "BIND_P2P_STREAM_RESPONSE"


@dataclass(frozen=True, slots=True)
class UnbindP2pStreamResponse(TdispMessage):
    """UNBIND_P2P_STREAM_RESPONSE (16 B): header only."""

    CODE = TdispResponse.UNBIND_P2P_STREAM_RESPONSE
    NAME = "UNBIND_P2P_STREAM_RESPONSE"


@dataclass(frozen=True, slots=True)
class SetMmioAttributeResponse(TdispMessage):
    """SET_MMIO_ATTRIBUTE_RESPONSE (16 B): header only."""

    CODE = TdispResponse.SET_MMIO_ATTRIBUTE_RESPONSE
    NAME = "SET_MMIO_ATTRIBUTE_RESPONSE"


@dataclass(frozen=True, slots=True)
class VdmResponse(TdispMessage):
    """VDM_RESPONSE: REGISTRY_ID ‖ VENDOR_ID_LEN ‖ VENDOR_ID ‖ VENDOR_DATA (§2.4)."""

    payload: VendorPayload

    CODE = TdispResponse.VDM_RESPONSE
    NAME = "VDM_RESPONSE"

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return (VendorPayload.read(r, "vdm"),)

    def _write_body(self, w: Writer) -> None:
        self.payload.write(w, "vdm")


@dataclass(frozen=True, slots=True)
class TdispError(TdispMessage):
    """TDISP_ERROR (24 B, plus EXTENDED_ERROR_DATA for vendor errors).

    ERROR_DATA is derived, never stored (§2.9): the unsupported request code
    for UNSUPPORTED_REQUEST, the length of EXTENDED_ERROR_DATA for
    VENDOR_SPECIFIC_ERROR, and reserved zero for every other code.
    """

    error_code: TdispErrorCode
    unsupported_code: int = 0
    vendor: VendorPayload | None = None

    CODE = TdispResponse.TDISP_ERROR
    NAME = "TDISP_ERROR"

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        code = TdispErrorCode(self.error_code)
        if (self.vendor is not None) != (code is TdispErrorCode.VENDOR_SPECIFIC_ERROR):
            raise ValueError("vendor data goes with VENDOR_SPECIFIC_ERROR and only with it")
        if self.unsupported_code and code is not TdispErrorCode.UNSUPPORTED_REQUEST:
            raise ValueError("unsupported_code only goes with UNSUPPORTED_REQUEST")
        if not 0 <= self.unsupported_code <= 0xFFFF_FFFF:
            raise ValueError("ERROR_DATA is 32-bit")

    @property
    def error_data(self) -> int:
        """ERROR_DATA as it goes on the wire."""
        if self.vendor is not None:
            return self.vendor.size
        return self.unsupported_code

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        at = r.offset
        code = decode_enum(TdispErrorCode, r.u32("error_code"), r, "error_code", at)
        at = r.offset
        data = r.u32("error_data")
        if code is TdispErrorCode.VENDOR_SPECIFIC_ERROR:
            if data > r.remaining:
                raise r.error("error_data", f"EXTENDED_ERROR_DATA length {data} exceeds the "
                              f"{r.remaining} bytes left", offset=at, kind=LengthError)
            ext = r.sub(data, "TDISP EXTENDED_ERROR_DATA", "extended_error_data")
            return code, 0, VendorPayload.read(ext, "extended_error_data")
        if code is TdispErrorCode.UNSUPPORTED_REQUEST:
            return code, data, None
        r.require(data == 0, "error_data", f"reserved for {code.name} but 0x{data:x}",
                  kind=ReservedBitsError, offset=at)
        return code, 0, None

    def _write_body(self, w: Writer) -> None:
        w.u32(int(self.error_code), "error_code").u32(self.error_data, "error_data")
        if self.vendor is not None:
            self.vendor.write(w, "extended_error_data")
