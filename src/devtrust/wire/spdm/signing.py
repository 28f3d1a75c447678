# SPDX-License-Identifier: BSD-3-Clause
"""The bytes an SPDM signature covers (protocols.md §3.12).

SPDM 1.0/1.1 sign the transcript itself (the signature primitive hashes it).
SPDM 1.2/1.3 sign ``combined_spdm_prefix || Hash(transcript)`` where the
100-byte prefix is ``"dmtf-spdm-v1.X.*"`` four times, zero padding, and the
context string ending exactly at byte 100. Both the emulated device (which signs)
and the appraiser (which verifies) build the message here, so the two can never
disagree; no cryptographic primitive lives in this module.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "CONTEXT_CHALLENGE_AUTH",
    "CONTEXT_ENDPOINT_INFO",
    "CONTEXT_KEY_EXCHANGE_RSP",
    "CONTEXT_MEASUREMENTS",
    "CONTEXT_REQUESTER_CHALLENGE_AUTH",
    "CONTEXT_REQUESTER_FINISH",
    "PREFIX_SIZE",
    "combined_spdm_prefix",
    "signed_message",
    "uses_combined_prefix",
]

CONTEXT_CHALLENGE_AUTH = "responder-challenge_auth signing"
CONTEXT_REQUESTER_CHALLENGE_AUTH = "requester-challenge_auth signing"
CONTEXT_MEASUREMENTS = "responder-measurements signing"
CONTEXT_KEY_EXCHANGE_RSP = "responder-key_exchange_rsp signing"
CONTEXT_REQUESTER_FINISH = "requester-finish signing"
CONTEXT_ENDPOINT_INFO = "responder-endpoint_info signing"

PREFIX_SIZE = 100
_VERSION_PART = 64


def uses_combined_prefix(spdm_version: int) -> bool:
    """True for SPDM 1.2 and later (header byte >= 0x12)."""
    return spdm_version >= 0x12


def combined_spdm_prefix(spdm_version: int, context: str) -> bytes:
    """The 100-byte combined prefix for ``spdm_version`` (header byte) and ``context``."""
    if not uses_combined_prefix(spdm_version):
        raise ValueError("SPDM 1.0/1.1 have no combined signing prefix")
    label = f"dmtf-spdm-v{spdm_version >> 4}.{spdm_version & 0xF}.*".encode()
    ctx = context.encode()
    if len(label) * 4 != _VERSION_PART or len(ctx) > PREFIX_SIZE - _VERSION_PART:
        raise ValueError(f"cannot build a combined prefix for context {context!r}")
    return label * 4 + bytes(PREFIX_SIZE - _VERSION_PART - len(ctx)) + ctx


def signed_message(spdm_version: int, context: str, transcript: bytes, hash_name: str) -> bytes:
    """What the signature primitive is applied to for this version.

    1.0/1.1: the transcript itself. 1.2+: prefix || Hash(transcript), with
    ``hash_name`` the hashlib name of the negotiated BaseHashAlgo.
    """
    if not uses_combined_prefix(spdm_version):
        return bytes(transcript)
    return combined_spdm_prefix(spdm_version, context) + hashlib.new(hash_name, transcript).digest()
