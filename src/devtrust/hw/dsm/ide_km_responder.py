# SPDX-License-Identifier: BSD-3-Clause
"""IDE_KM responder: QUERY, KEY_PROG, K_SET_GO and K_SET_STOP over an SPDM session (§5.2).

Only port index 0 (the device's own upstream port) exists. Keys arrive only inside an SPDM
session (the SPDM layer drops unsecured IDE_KM requests), and once one session has
programmed keys, QUERY/KEY_PROG from a different concurrent session are discarded (§5.1
binding rules) - answered with no response, like an unsecured request.
"""

from __future__ import annotations

from devtrust.hw.dsm.ide_keys import IdeKeyTable, KeySlot
from devtrust.wire.errors import WireError
from devtrust.wire.ide_km import (
    KeyProg,
    KGoStopAck,
    KpAck,
    KpAckStatus,
    KSetGo,
    KSetStop,
    Query,
    QueryResp,
    decode_ide_km,
)

__all__ = ["MAX_STREAM_ID", "IdeKmResponder"]

MAX_STREAM_ID = 0xFF


class IdeKmResponder:
    """Answers IDE_KM objects for one device port; key state lives in ``keys``.

    ``bus``/``dev_func``/``segment`` describe PF0 for QUERY_RESP; ``registers`` is the
    image of the IDE extended capability returned with it.
    """

    def __init__(self, keys: IdeKeyTable, *, bus: int, dev_func: int, segment: int,
                 registers: tuple[int, ...] = ()) -> None:
        self.keys = keys
        self.bus = bus
        self.dev_func = dev_func
        self.segment = segment
        self.registers = registers
        self.owner_session: int | None = None

    def handle(self, body: bytes, session_id: int) -> bytes | None:
        """One IDE_KM object in (bytes after the protocol id); response bytes or None."""
        try:
            message = decode_ide_km(body)
        except WireError:
            return None
        if self.owner_session is not None and session_id != self.owner_session:
            # A second concurrent session may not touch the keys (§5.1).
            return None
        if isinstance(message, Query):
            return QueryResp(message.port_index, self.dev_func, self.bus, self.segment, 0,
                             self.registers).encode()
        if isinstance(message, KeyProg):
            return self._key_prog(message, session_id).encode()
        if isinstance(message, KSetGo | KSetStop):
            return self._go_stop(message)
        return None  # responses sent to a responder are ignored

    def _key_prog(self, message: KeyProg, session_id: int) -> KpAck:
        sub = message.key_sub_stream
        status = KpAckStatus.SUCCESS
        if message.port_index != 0:
            status = KpAckStatus.UNSUPPORTED_PORT_INDEX
        else:
            self.keys.program(message.stream_id, sub.key_set, sub.direction, sub.sub_stream,
                              KeySlot(message.key, message.ifv, session_id))
            self.owner_session = session_id
        return KpAck(message.stream_id, status, sub, message.port_index)

    def _go_stop(self, message: KSetGo | KSetStop) -> bytes | None:
        sub = message.key_sub_stream
        if message.port_index != 0:
            return None
        if isinstance(message, KSetGo):
            if not self.keys.go(message.stream_id, sub.key_set, sub.direction, sub.sub_stream):
                return None  # no key to switch to: no acknowledgement
        else:
            self.keys.stop(message.stream_id, sub.key_set, sub.direction, sub.sub_stream)
            if not self.keys.slots:
                self.owner_session = None
        return KGoStopAck(message.stream_id, sub, message.port_index).encode()

    def session_ended(self, session_id: int) -> tuple[int, ...]:
        """Erase keys programmed over ``session_id``; returns streams that became insecure."""
        lost = self.keys.drop_session(session_id)
        if self.owner_session == session_id:
            self.owner_session = None
        return lost
