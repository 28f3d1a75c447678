# SPDX-License-Identifier: BSD-3-Clause
"""Hypothesis strategies for every TDISP structure (shared by the tdisp tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from devtrust.wire.tdisp import (
    BindP2pStreamRequest,
    BindP2pStreamResponse,
    DeviceInterfaceReport,
    DeviceInterfaceState,
    FunctionId,
    GetDeviceInterfaceReport,
    GetDeviceInterfaceState,
    GetTdispCapabilities,
    GetTdispVersion,
    InterfaceInfo,
    LockFlags,
    LockInterfaceRequest,
    LockInterfaceResponse,
    MmioRange,
    RangeAttr,
    SetMmioAttributeRequest,
    SetMmioAttributeResponse,
    StartInterfaceRequest,
    StartInterfaceResponse,
    StopInterfaceRequest,
    StopInterfaceResponse,
    TdiReport,
    TdispCapabilities,
    TdispError,
    TdispErrorCode,
    TdispVersionResponse,
    TdiState,
    UnbindP2pStreamRequest,
    UnbindP2pStreamResponse,
    VdmRequest,
    VdmResponse,
    VendorPayload,
    VendorRegistry,
)

__all__ = ["SAMPLE_REPORT", "function_ids", "messages", "mmio_ranges", "reports"]

# protocols.md §2.7: spdm-emu's sample report, hex computed from the sample's field values.
SAMPLE_REPORT = bytes.fromhex(
    "03000000000000000000000004000000"
    "00000000000000000100000004000100"
    "00800000000000000400000008000200"
    "00000100000000000800000008000300"
    "00000200000000000800000008000400"
    "10000000" "74646973705f6465765f656d"  # L = 16, "tdisp_dev_em"
    "75000000")

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, (1 << 64) - 1)
nonces = st.binary(min_size=32, max_size=32)


@st.composite
def function_ids(draw: st.DrawFn) -> FunctionId:
    valid = draw(st.booleans())
    return FunctionId(draw(u8), draw(st.integers(0, 31)), draw(st.integers(0, 7)),
                      draw(u8) if valid else 0, valid)


def mmio_ranges(attrs: int = 0xF) -> st.SearchStrategy[MmioRange]:
    return st.builds(MmioRange, u64, u32, st.integers(0, attrs).map(lambda a: RangeAttr(a & attrs)),
                     u16)


reports = st.builds(TdiReport, st.integers(0, 0x1F).map(InterfaceInfo), u16, u16, u32,
                    st.lists(mmio_ranges(), max_size=6).map(tuple), st.binary(max_size=40))

vendor_payloads = st.builds(VendorPayload, st.sampled_from(VendorRegistry),
                            st.binary(max_size=4), st.binary(max_size=24))

_lock_flags = st.integers(0, 0x1F).map(LockFlags)


@st.composite
def tdisp_errors(draw: st.DrawFn) -> TdispError:
    fid = draw(function_ids())
    code = draw(st.sampled_from(TdispErrorCode))
    if code is TdispErrorCode.VENDOR_SPECIFIC_ERROR:
        return TdispError(fid, code, vendor=draw(vendor_payloads))
    if code is TdispErrorCode.UNSUPPORTED_REQUEST:
        return TdispError(fid, code, draw(u32))
    return TdispError(fid, code)


def _with_fid(cls: type, *body: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(cls, function_ids(), *body)


messages = st.one_of(
    _with_fid(GetTdispVersion),
    _with_fid(GetTdispCapabilities),
    _with_fid(LockInterfaceRequest, _lock_flags, u8,
              st.integers(-(1 << 63), (1 << 63) - 1), u64),
    _with_fid(GetDeviceInterfaceReport, u16, u16),
    _with_fid(GetDeviceInterfaceState),
    _with_fid(StartInterfaceRequest, nonces),
    _with_fid(StopInterfaceRequest),
    _with_fid(BindP2pStreamRequest, u8),
    _with_fid(UnbindP2pStreamRequest, u8),
    _with_fid(SetMmioAttributeRequest, mmio_ranges(int(RangeAttr.NON_TEE))),
    _with_fid(VdmRequest, vendor_payloads),
    _with_fid(TdispVersionResponse, st.lists(u8, min_size=1, max_size=5).map(tuple)),
    _with_fid(TdispCapabilities, st.integers(0, 0xFFF).map(lambda m: m & ~1), _lock_flags,
              u8, u8, u8),
    _with_fid(LockInterfaceResponse, nonces),
    _with_fid(DeviceInterfaceReport, u16, st.binary(max_size=80)),
    _with_fid(DeviceInterfaceState, st.sampled_from(TdiState)),
    _with_fid(StartInterfaceResponse),
    _with_fid(StopInterfaceResponse),
    _with_fid(BindP2pStreamResponse),
    _with_fid(UnbindP2pStreamResponse),
    _with_fid(SetMmioAttributeResponse),
    _with_fid(VdmResponse, vendor_payloads),
    tdisp_errors(),
)
