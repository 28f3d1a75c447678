# SPDX-License-Identifier: BSD-3-Clause
"""Splitting transcripts back into messages (protocols.md §3.11).

Transcripts are raw concatenations, so each message's extent comes from its own
header and length fields. :func:`negotiated_from_vca` turns a VCA
(GET_VERSION ‖ VERSION ‖ GET_CAPABILITIES ‖ CAPABILITIES ‖ NEGOTIATE_ALGORITHMS ‖
ALGORITHMS) into the parameters every later decoder needs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from devtrust.wire.codec import Reader
from devtrust.wire.errors import TruncatedError, UnknownCodeError, WireError
from devtrust.wire.spdm.algorithms import NegotiatedAlgorithms
from devtrust.wire.spdm.algorithms_msg import Algorithms, NegotiateAlgorithms
from devtrust.wire.spdm.capabilities import Capabilities, GetCapabilities
from devtrust.wire.spdm.header import NONCE_SIZE, REQUESTER_CONTEXT_SIZE, SpdmVersion
from devtrust.wire.spdm.measurements import GetMeasurements, Measurements
from devtrust.wire.spdm.version import GetVersion, Version

__all__ = [
    "VcaMessages",
    "iter_measurement_exchanges",
    "negotiated_from_vca",
    "split_vca",
    "vca_length",
]

VcaMessages = tuple[GetVersion, Version, GetCapabilities, Capabilities, NegotiateAlgorithms,
                    Algorithms]
_STRUCTURE = "SPDM VCA transcript"
_MEAS_STRUCTURE = "SPDM measurement transcript"


def _u8(data: bytes, at: int, field: str, structure: str) -> int:
    if at >= len(data):
        raise TruncatedError(structure, field, at, "transcript ends inside a message header")
    return data[at]


def _u16(data: bytes, at: int, field: str, structure: str) -> int:
    return _u8(data, at, field, structure) | _u8(data, at + 1, field, structure) << 8


def _vca_sizes(data: bytes) -> list[int]:
    """Byte extents of the six VCA messages, from their own fields."""
    sizes = [4]
    pos = 4
    sizes.append(6 + 2 * _u8(data, pos + 5, "VERSION.version_number_entry_count", _STRUCTURE))
    pos += sizes[-1]
    version = _u8(data, pos, "GET_CAPABILITIES.spdm_version", _STRUCTURE)
    req_caps = 4 if version == SpdmVersion.V10 else 12 if version == SpdmVersion.V11 else 20
    sizes.append(req_caps)
    pos += req_caps
    resp_caps = 12 if version < SpdmVersion.V12 else 20
    if version >= SpdmVersion.V13 and _u8(data, pos + 2, "CAPABILITIES.param1", _STRUCTURE) & 1:
        # The SupportedAlgorithms block's own Length follows its two parameter bytes.
        resp_caps += _u16(data, pos + 22, "CAPABILITIES.supported_algorithms.length", _STRUCTURE)
    sizes.append(resp_caps)
    pos += resp_caps
    for name in ("NEGOTIATE_ALGORITHMS", "ALGORITHMS"):
        size = _u16(data, pos + 4, f"{name}.length", _STRUCTURE)
        sizes.append(size)
        pos += size
    return sizes


def vca_length(data: bytes) -> int:
    """Size of the VCA at the start of ``data`` (a transcript that begins with GET_VERSION).

    Only the length fields are read; :func:`split_vca` on the prefix validates it.
    """
    size = sum(_vca_sizes(data))
    if size > len(data):
        raise TruncatedError(_STRUCTURE, "ALGORITHMS", len(data), "transcript ends inside the VCA")
    return size


def split_vca(vca: bytes) -> VcaMessages:
    """Decode the six VCA messages and check they agree with each other.

    The negotiated version (header of messages 3-6) must be one the VERSION
    response listed, and all four must carry it.
    """
    r = Reader(vca, _STRUCTURE)
    sizes = _vca_sizes(r.data)
    parts: list[Any] = []
    decoders = (GetVersion.decode, Version.decode, GetCapabilities.decode, Capabilities.decode,
                NegotiateAlgorithms.decode, Algorithms.decode)
    for size, decode in zip(sizes, decoders, strict=True):
        at = r.offset
        chunk = r.take(size, decode.__qualname__.split(".")[0])
        try:
            parts.append(decode(chunk))
        except WireError as exc:
            raise type(exc)(f"{_STRUCTURE} / {exc.structure}", exc.field, at + exc.offset,
                            exc.reason) from None
    r.end()
    msgs: VcaMessages = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    version = msgs[2].spdm_version
    listed = {e.header_byte for e in msgs[1].entries}
    if version not in listed:
        raise UnknownCodeError(_STRUCTURE, "GET_CAPABILITIES.spdm_version", sizes[0] + sizes[1],
                               f"version 0x{version:02x} not offered in VERSION")
    for i in range(3, 6):
        if parts[i].spdm_version != version:
            raise UnknownCodeError(_STRUCTURE, f"{type(parts[i]).__name__}.spdm_version",
                                   sum(sizes[:i]), "version differs within the VCA")
    return msgs


def negotiated_from_vca(vca: bytes) -> NegotiatedAlgorithms:
    """The negotiated version and algorithms of a VCA transcript (WireError on any flaw)."""
    if type(vca) is bytes:
        return _negotiated_from_vca_bytes(vca)
    return split_vca(vca)[5].to_negotiated()


@lru_cache(maxsize=256)
def _negotiated_from_vca_bytes(vca: bytes) -> NegotiatedAlgorithms:
    """Memoised for immutable input: an appraisal asks for the same VCA's algorithms
    twice (engine and transcript verifier); the result is a frozen dataclass and
    a flawed VCA raises every time (exceptions are not cached)."""
    return split_vca(vca)[5].to_negotiated()


def _get_measurements_size(data: bytes, at: int) -> int:
    version = _u8(data, at, "GET_MEASUREMENTS.spdm_version", _MEAS_STRUCTURE)
    signed = _u8(data, at + 2, "GET_MEASUREMENTS.param1", _MEAS_STRUCTURE) & 1
    size = 4
    if signed:
        size += NONCE_SIZE + (1 if version >= SpdmVersion.V11 else 0)
    if version >= SpdmVersion.V13:
        size += REQUESTER_CONTEXT_SIZE
    return size


def iter_measurement_exchanges(data: bytes, *, signature_size: int,
                               digest_size: int | None = None, tbs: bool = False
                               ) -> tuple[tuple[GetMeasurements, Measurements], ...]:
    """Split GET_MEASUREMENTS ‖ MEASUREMENTS [‖ ...] into decoded pairs.

    A response carries ``signature_size`` signature bytes when its request asked
    for one. With ``tbs=True`` the input is a to-be-signed L1/L2 transcript (VCA
    already removed): its last response is signed but its signature is cut off,
    and no earlier response may be signed, since a signed response resets L1/L2.
    """
    r = Reader(data, _MEAS_STRUCTURE)
    pairs: list[tuple[GetMeasurements, Measurements]] = []
    while r.remaining:
        name = f"exchanges[{len(pairs)}]"
        at = r.offset
        req_size = _get_measurements_size(r.data, r.pos)
        try:
            req = GetMeasurements.decode(r.take(req_size, f"{name}.request"))
        except WireError as exc:
            raise type(exc)(f"{_MEAS_STRUCTURE} / {exc.structure}", f"{name}.{exc.field}",
                            at + exc.offset, exc.reason) from None
        signed = req.signature_requested
        sig = signature_size if signed else 0
        rest = r.data[r.pos:]
        last = False
        at = r.offset
        try:
            if tbs and signed:
                size = Measurements.measure_length(rest, signature_size=0)
                last = True
            else:
                size = Measurements.measure_length(rest, signature_size=sig)
            resp = Measurements.decode(r.take(size, f"{name}.response"), signature_size=0
                                       if last else sig, signed=signed,
                                       digest_size=digest_size)
        except WireError as exc:
            raise type(exc)(f"{_MEAS_STRUCTURE} / {exc.structure}", f"{name}.{exc.field}",
                            at + exc.offset, exc.reason) from None
        if resp.spdm_version != req.spdm_version:
            raise UnknownCodeError(_MEAS_STRUCTURE, f"{name}.response.spdm_version", at,
                                   "response version differs from request")
        pairs.append((req, resp))
        if last and r.remaining:
            raise WireError(_MEAS_STRUCTURE, f"{name}.response", r.offset,
                            "a signed response must end the to-be-signed transcript")
    if tbs and not (pairs and pairs[-1][0].signature_requested):
        raise WireError(_MEAS_STRUCTURE, "exchanges", len(data),
                        "to-be-signed transcript does not end with a signed exchange")
    return tuple(pairs)
