# SPDX-License-Identifier: BSD-3-Clause
"""TDISP requests, TSM to DSM (protocols.md §2.4; offsets include the 16-byte header).

The DSM responder decodes these; the TSM requester encodes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.tdisp.base import LOCK_FLAGS_MASK, LockFlags, TdispMessage, VendorPayload
from devtrust.wire.tdisp.header import TdispRequest
from devtrust.wire.tdisp.report import MmioRange, RangeAttr

__all__ = [
    "NONCE_SIZE",
    "BindP2pStreamRequest",
    "GetDeviceInterfaceReport",
    "GetDeviceInterfaceState",
    "GetTdispCapabilities",
    "GetTdispVersion",
    "LockInterfaceRequest",
    "SetMmioAttributeRequest",
    "StartInterfaceRequest",
    "StopInterfaceRequest",
    "UnbindP2pStreamRequest",
    "VdmRequest",
]

NONCE_SIZE = 32


@dataclass(frozen=True, slots=True)
class GetTdispVersion(TdispMessage):
    """GET_TDISP_VERSION (16 B): header only."""

    CODE = TdispRequest.GET_TDISP_VERSION
    NAME = "GET_TDISP_VERSION"
    IS_REQUEST = True


@dataclass(frozen=True, slots=True)
class GetTdispCapabilities(TdispMessage):
    """GET_TDISP_CAPABILITIES (20 B): TSM_CAPS, all bits reserved and zero."""

    CODE = TdispRequest.GET_TDISP_CAPABILITIES
    NAME = "GET_TDISP_CAPABILITIES"
    IS_REQUEST = True

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        r.reserved(4, "tsm_caps")
        return ()

    def _write_body(self, w: Writer) -> None:
        w.zeros(4, "tsm_caps")


@dataclass(frozen=True, slots=True)
class LockInterfaceRequest(TdispMessage):
    """LOCK_INTERFACE_REQUEST (36 B).

    ``mmio_reporting_offset`` is signed (two's complement on the wire); the
    device adds it to every MMIO address in later reports (§2.4, §7 row 7).
    """

    flags: LockFlags
    default_stream_id: int = 0
    mmio_reporting_offset: int = 0
    bind_p2p_address_mask: int = 0

    CODE = TdispRequest.LOCK_INTERFACE_REQUEST
    NAME = "LOCK_INTERFACE_REQUEST"
    IS_REQUEST = True

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        if int(self.flags) & ~LOCK_FLAGS_MASK:
            raise ValueError("reserved LOCK flag bits set")

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        at = r.offset
        flags = LockFlags(r.flags(r.u16("flags"), LOCK_FLAGS_MASK, "flags", offset=at))
        stream = r.u8("default_stream_id")
        r.reserved(1)
        return flags, stream, r.s64("mmio_reporting_offset"), r.u64("bind_p2p_address_mask")

    def _write_body(self, w: Writer) -> None:
        w.u16(int(self.flags), "flags").u8(self.default_stream_id, "default_stream_id").zeros(1)
        w.s64(self.mmio_reporting_offset, "mmio_reporting_offset")
        w.u64(self.bind_p2p_address_mask, "bind_p2p_address_mask")


@dataclass(frozen=True, slots=True)
class GetDeviceInterfaceReport(TdispMessage):
    """GET_DEVICE_INTERFACE_REPORT (20 B): OFFSET and LENGTH into the report.

    Semantic checks (LENGTH = 0, OFFSET past the end) belong to the responder:
    see :func:`~devtrust.wire.tdisp.paging.report_portion`.
    """

    offset: int = 0
    length: int = 0xFFFF

    CODE = TdispRequest.GET_DEVICE_INTERFACE_REPORT
    NAME = "GET_DEVICE_INTERFACE_REPORT"
    IS_REQUEST = True

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return r.u16("offset"), r.u16("length")

    def _write_body(self, w: Writer) -> None:
        w.u16(self.offset, "offset").u16(self.length, "length")


@dataclass(frozen=True, slots=True)
class GetDeviceInterfaceState(TdispMessage):
    """GET_DEVICE_INTERFACE_STATE (16 B): header only."""

    CODE = TdispRequest.GET_DEVICE_INTERFACE_STATE
    NAME = "GET_DEVICE_INTERFACE_STATE"
    IS_REQUEST = True


@dataclass(frozen=True, slots=True)
class StartInterfaceRequest(TdispMessage):
    """START_INTERFACE_REQUEST (48 B): the nonce from LOCK_INTERFACE_RESPONSE."""

    nonce: bytes

    CODE = TdispRequest.START_INTERFACE_REQUEST
    NAME = "START_INTERFACE_REQUEST"
    IS_REQUEST = True

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
class StopInterfaceRequest(TdispMessage):
    """STOP_INTERFACE_REQUEST (16 B): header only."""

    CODE = TdispRequest.STOP_INTERFACE_REQUEST
    NAME = "STOP_INTERFACE_REQUEST"
    IS_REQUEST = True


@dataclass(frozen=True, slots=True)
class BindP2pStreamRequest(TdispMessage):
    """BIND_P2P_STREAM_REQUEST (17 B): P2P_STREAM_ID."""

    p2p_stream_id: int

    CODE = TdispRequest.BIND_P2P_STREAM_REQUEST
    NAME = "BIND_P2P_STREAM_REQUEST"
    IS_REQUEST = True

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return (r.u8("p2p_stream_id"),)

    def _write_body(self, w: Writer) -> None:
        w.u8(self.p2p_stream_id, "p2p_stream_id")


@dataclass(frozen=True, slots=True)
class UnbindP2pStreamRequest(TdispMessage):
    """UNBIND_P2P_STREAM_REQUEST (17 B): P2P_STREAM_ID."""

    p2p_stream_id: int

    CODE = TdispRequest.UNBIND_P2P_STREAM_REQUEST
    NAME = "UNBIND_P2P_STREAM_REQUEST"
    IS_REQUEST = True

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return (r.u8("p2p_stream_id"),)

    def _write_body(self, w: Writer) -> None:
        w.u8(self.p2p_stream_id, "p2p_stream_id")


# In SET_MMIO_ATTRIBUTE_REQUEST only IS_NON_TEE_MEM (bit 2) and the Range ID
# are meaningful; the other attribute bits are reserved-zero (§2.4, §7 row 12).
_SET_MMIO_ATTR_MASK = int(RangeAttr.NON_TEE)


@dataclass(frozen=True, slots=True)
class SetMmioAttributeRequest(TdispMessage):
    """SET_MMIO_ATTRIBUTE_REQUEST (32 B): one MMIO_RANGE (§2.4, §7 row 12)."""

    mmio_range: MmioRange

    CODE = TdispRequest.SET_MMIO_ATTRIBUTE_REQUEST
    NAME = "SET_MMIO_ATTRIBUTE_REQUEST"
    IS_REQUEST = True

    def __post_init__(self) -> None:
        TdispMessage.__post_init__(self)
        if int(self.mmio_range.attributes) & ~_SET_MMIO_ATTR_MASK:
            raise ValueError("only IS_NON_TEE_MEM may be set in SET_MMIO_ATTRIBUTE_REQUEST")

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return (MmioRange.read(r, "mmio_range", allowed=_SET_MMIO_ATTR_MASK),)

    def _write_body(self, w: Writer) -> None:
        self.mmio_range.write(w, "mmio_range")


@dataclass(frozen=True, slots=True)
class VdmRequest(TdispMessage):
    """VDM_REQUEST: REGISTRY_ID ‖ VENDOR_ID_LEN ‖ VENDOR_ID ‖ VENDOR_DATA (§2.4)."""

    payload: VendorPayload

    CODE = TdispRequest.VDM_REQUEST
    NAME = "VDM_REQUEST"
    IS_REQUEST = True

    @classmethod
    def _read_body(cls, r: Reader) -> tuple[Any, ...]:
        return (VendorPayload.read(r, "vdm"),)

    def _write_body(self, w: Writer) -> None:
        self.payload.write(w, "vdm")
