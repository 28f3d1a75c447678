# SPDX-License-Identifier: BSD-3-Clause
"""One TDI's TDISP state machine, with the legal-state table as data (protocols.md §2.3, §2.8).

This module knows nothing about bytes: :class:`Tdi` holds the live state of one
interface and its methods return either a success value or a :class:`TdispFailure`
(error code + ERROR_DATA). :mod:`devtrust.hw.dsm.tdisp_responder` turns wire requests into
these calls. The START nonce is compared in constant time and is single use (§2.6).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from devtrust.wire.tdisp.header import FunctionId, TdispErrorCode, TdispRequest, TdiState

__all__ = [
    "LEGAL_STATES",
    "LOCKED_STATES",
    "NONCE_SIZE",
    "LockParams",
    "Tdi",
    "TdispFailure",
    "is_legal",
]

NONCE_SIZE = 32
_ALL = frozenset(TdiState)
LOCKED_STATES = frozenset({TdiState.CONFIG_LOCKED, TdiState.RUN})

# §2.3 "Legal TDI states for the request", for every request the emulator implements.
# STOP is legal everywhere (§7 row 3: success without change in CONFIG_UNLOCKED); REPORT is
# legal in CONFIG_LOCKED and RUN (§7 rows 4, 5). The P2P/MMIO-attribute requests are optional
# and not implemented: they answer UNSUPPORTED_REQUEST before this table is consulted.
LEGAL_STATES: Mapping[TdispRequest, frozenset[TdiState]] = MappingProxyType({
    TdispRequest.GET_TDISP_VERSION: _ALL,
    TdispRequest.GET_TDISP_CAPABILITIES: _ALL,
    TdispRequest.LOCK_INTERFACE_REQUEST: frozenset({TdiState.CONFIG_UNLOCKED}),
    TdispRequest.GET_DEVICE_INTERFACE_REPORT: LOCKED_STATES,
    TdispRequest.GET_DEVICE_INTERFACE_STATE: _ALL,
    TdispRequest.START_INTERFACE_REQUEST: frozenset({TdiState.CONFIG_LOCKED}),
    TdispRequest.STOP_INTERFACE_REQUEST: _ALL,
})


def is_legal(request: TdispRequest, state: TdiState) -> bool:
    """True if ``request`` may be processed in ``state`` (§2.3)."""
    return state in LEGAL_STATES.get(request, frozenset())


@dataclass(frozen=True, slots=True)
class TdispFailure:
    """A TDISP_ERROR to send: ERROR_CODE and ERROR_DATA (§2.9)."""

    code: TdispErrorCode
    data: int = 0


@dataclass(frozen=True, slots=True)
class LockParams:
    """The LOCK_INTERFACE_REQUEST parameters the TDI was locked with (§2.4, §2.5)."""

    flags: int
    stream_id: int
    mmio_reporting_offset: int
    p2p_address_mask: int
    session_id: int


class Tdi:
    """Live TDISP state of one interface (mutable emulated hardware).

    ``report`` is the interface report frozen at LOCK time; ``reading_report`` is True
    while a multi-part report fetch is in progress (§2.7: no interleaving).
    """

    __slots__ = ("function_id", "lock", "nonce", "reading_report", "report", "state")

    def __init__(self, function_id: FunctionId) -> None:
        self.function_id = function_id
        self.state = TdiState.CONFIG_UNLOCKED
        self.nonce: bytes | None = None
        self.lock: LockParams | None = None
        self.report: bytes | None = None
        self.reading_report = False

    def __repr__(self) -> str:
        return f"Tdi({self.function_id.requester_id:#06x}, {self.state.name})"

    @property
    def is_locked(self) -> bool:
        return self.state in LOCKED_STATES

    # -- transitions ------------------------------------------------------------------
    def do_lock(self, params: LockParams, nonce: bytes | None, report: bytes) -> None:
        """CONFIG_UNLOCKED -> CONFIG_LOCKED with a fresh nonce (preconditions checked by caller)."""
        assert self.state is TdiState.CONFIG_UNLOCKED, self
        assert nonce is not None and len(nonce) == NONCE_SIZE
        self.state = TdiState.CONFIG_LOCKED
        self.nonce = nonce
        self.lock = params
        self.report = report
        self.reading_report = False

    def do_start(self, nonce: bytes) -> TdispFailure | None:
        """CONFIG_LOCKED -> RUN if ``nonce`` matches; the nonce is consumed either way only on
        success (a wrong nonce leaves the TDI CONFIG_LOCKED, tee-io-validator case 6.2)."""
        assert self.state is TdiState.CONFIG_LOCKED, self
        expected = self.nonce
        if expected is None or not hmac.compare_digest(expected, nonce):
            return TdispFailure(TdispErrorCode.INVALID_NONCE)
        # Single use: invalidated before the TDI enters RUN (§2.6).
        self.nonce = None
        self.state = TdiState.RUN
        self.reading_report = False
        return None

    def do_stop(self) -> None:
        """Any state -> CONFIG_UNLOCKED; secrets (nonce, lock, report) are scrubbed."""
        self._unlock()

    def do_error(self) -> bool:
        """A security event: CONFIG_LOCKED/RUN -> ERROR. Returns True if the state changed."""
        if not self.is_locked:
            return False
        self.state = TdiState.ERROR
        # The nonce is destroyed on CONFIG_LOCKED -> ERROR (§2.6); the report is no longer
        # legal to fetch in ERROR, so it goes too.
        self.nonce = None
        self.report = None
        self.reading_report = False
        return True

    def do_reset(self) -> None:
        """Conventional reset: back to CONFIG_UNLOCKED from anywhere (§2.8)."""
        self._unlock()

    def _unlock(self) -> None:
        self.state = TdiState.CONFIG_UNLOCKED
        self.nonce = None
        self.lock = None
        self.report = None
        self.reading_report = False
