# SPDX-License-Identifier: BSD-3-Clause
"""TDISP 1.0 wire codecs: header, every request and response, the TDI report and its paging.

The bytes handled here are the TDISP message proper, i.e. what follows the
PCI protocol id byte (0x01) inside an SPDM VENDOR_DEFINED message
(:class:`devtrust.wire.spdm.vendor.VendorDefinedMessage`, protocols.md §1).
"""

from __future__ import annotations

from devtrust.wire.tdisp.base import (
    LOCK_FLAGS_MASK,
    SUPPORTED_VERSIONS,
    LockFlags,
    TdispMessage,
    VendorPayload,
    VendorRegistry,
)
from devtrust.wire.tdisp.header import (
    HEADER_SIZE,
    TDISP_VERSION_1_0,
    FunctionId,
    TdispErrorCode,
    TdispHeader,
    TdispRequest,
    TdispResponse,
    TdiState,
)
from devtrust.wire.tdisp.messages import (
    REQUEST_CLASSES,
    RESPONSE_CLASSES,
    decode_tdisp,
    decode_tdisp_request,
    decode_tdisp_response,
)
from devtrust.wire.tdisp.paging import (
    MAX_ADDRESSABLE_REPORT,
    InvalidReportRequestError,
    ReportAssembler,
    ReportSequenceError,
    report_portion,
)
from devtrust.wire.tdisp.report import (
    MMIO_RANGE_SIZE,
    PAGE_SHIFT,
    InterfaceInfo,
    MmioRange,
    RangeAttr,
    TdiReport,
)
from devtrust.wire.tdisp.requests import (
    NONCE_SIZE,
    BindP2pStreamRequest,
    GetDeviceInterfaceReport,
    GetDeviceInterfaceState,
    GetTdispCapabilities,
    GetTdispVersion,
    LockInterfaceRequest,
    SetMmioAttributeRequest,
    StartInterfaceRequest,
    StopInterfaceRequest,
    UnbindP2pStreamRequest,
    VdmRequest,
)
from devtrust.wire.tdisp.responses import (
    BindP2pStreamResponse,
    DeviceInterfaceReport,
    DeviceInterfaceState,
    LockInterfaceResponse,
    SetMmioAttributeResponse,
    StartInterfaceResponse,
    StopInterfaceResponse,
    TdispCapabilities,
    TdispError,
    TdispVersionResponse,
    UnbindP2pStreamResponse,
    VdmResponse,
)

__all__ = [
    "HEADER_SIZE",
    "LOCK_FLAGS_MASK",
    "MAX_ADDRESSABLE_REPORT",
    "MMIO_RANGE_SIZE",
    "NONCE_SIZE",
    "PAGE_SHIFT",
    "REQUEST_CLASSES",
    "RESPONSE_CLASSES",
    "SUPPORTED_VERSIONS",
    "TDISP_VERSION_1_0",
    "BindP2pStreamRequest",
    "BindP2pStreamResponse",
    "DeviceInterfaceReport",
    "DeviceInterfaceState",
    "FunctionId",
    "GetDeviceInterfaceReport",
    "GetDeviceInterfaceState",
    "GetTdispCapabilities",
    "GetTdispVersion",
    "InterfaceInfo",
    "InvalidReportRequestError",
    "LockFlags",
    "LockInterfaceRequest",
    "LockInterfaceResponse",
    "MmioRange",
    "RangeAttr",
    "ReportAssembler",
    "ReportSequenceError",
    "SetMmioAttributeRequest",
    "SetMmioAttributeResponse",
    "StartInterfaceRequest",
    "StartInterfaceResponse",
    "StopInterfaceRequest",
    "StopInterfaceResponse",
    "TdiReport",
    "TdiState",
    "TdispCapabilities",
    "TdispError",
    "TdispErrorCode",
    "TdispHeader",
    "TdispMessage",
    "TdispRequest",
    "TdispResponse",
    "TdispVersionResponse",
    "UnbindP2pStreamRequest",
    "UnbindP2pStreamResponse",
    "VdmRequest",
    "VdmResponse",
    "VendorPayload",
    "VendorRegistry",
    "decode_tdisp",
    "decode_tdisp_request",
    "decode_tdisp_response",
    "report_portion",
]
