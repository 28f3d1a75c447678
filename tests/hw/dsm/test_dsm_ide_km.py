# SPDX-License-Identifier: BSD-3-Clause
"""IDE_KM responder: six keys K0 × {RX,TX} × {PR,NPR,CPL}, GO/STOP, port and session rules."""

from __future__ import annotations

import pytest
from dsm_rig import make_dsm

from devtrust.hw.dsm.device import DsmDevice
from devtrust.hw.rng import Drbg
from devtrust.hw.tsm.requester import RequesterError, SpdmRequester
from devtrust.wire.ide_km import (
    KeyDirection,
    KeyProg,
    KeySubStream,
    KGoStopAck,
    KpAck,
    KpAckStatus,
    KSetGo,
    KSetStop,
    Query,
    QueryResp,
    SubStream,
)
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage

SUBS = [KeySubStream(0, d, s) for d in KeyDirection for s in SubStream]


def session(dsm: DsmDevice, label: str = "a") -> SpdmRequester:
    req = SpdmRequester(dsm.mailbox, Drbg(label.encode(), "req"))
    req.negotiate()
    req.key_exchange(req.certificate(0))
    return req


def ask(req: SpdmRequester, body: bytes) -> bytes:
    return req.vendor(PciProtocol.IDE_KM, body)


@pytest.fixture
def dsm() -> DsmDevice:
    return make_dsm()


def test_query_describes_pf0(dsm: DsmDevice) -> None:
    resp = QueryResp.decode(ask(session(dsm), Query(0).encode()))
    assert (resp.bus, resp.dev_func, resp.port_index) == (1, 0, 0)


def test_six_keys_then_go_makes_the_stream_secure(dsm: DsmDevice) -> None:
    req = session(dsm)
    for i, sub in enumerate(SUBS):
        key = bytes([i]) * 32
        ack = KpAck.decode(ask(req, KeyProg(3, sub, 0, key).encode()))
        assert ack.status is KpAckStatus.SUCCESS and ack.key_sub_stream == sub
        assert not dsm.ide.is_secure(3)
    for sub in SUBS:
        assert KGoStopAck.decode(ask(req, KSetGo(3, sub, 0).encode())).stream_id == 3
    assert dsm.ide.is_secure(3, req.session_id)
    assert not dsm.ide.is_secure(3, 0x1234)
    slot = dsm.ide.slots[(3, 0, KeyDirection.RX, SubStream.PR)]
    assert slot.key == bytes(32)  # natural byte order survived the DW swap on the wire
    KGoStopAck.decode(ask(req, KSetStop(3, SUBS[0], 0).encode()))
    assert not dsm.ide.is_secure(3)


def test_unsupported_port_and_go_without_key(dsm: DsmDevice) -> None:
    req = session(dsm)
    ack = KpAck.decode(ask(req, KeyProg(1, SUBS[0], 2, bytes(32)).encode()))
    assert ack.status is KpAckStatus.UNSUPPORTED_PORT_INDEX
    with pytest.raises(RequesterError):
        ask(req, KSetGo(1, SUBS[0], 0).encode())  # no key, no acknowledgement


def test_second_session_cannot_touch_keys(dsm: DsmDevice) -> None:
    first = session(dsm, "a")
    KpAck.decode(ask(first, KeyProg(1, SUBS[0], 0, bytes(32)).encode()))
    second = SpdmRequester(dsm.mailbox, Drbg(b"b", "req"))
    second.conn = first.conn
    second.key_exchange(first.certificate(0))
    assert second.session_id is not None
    query = VendorDefinedMessage.pci_sig(0x12, True, PciProtocol.IDE_KM, Query(0).encode())
    assert dsm.mailbox.exchange_secured(second.session_id, query.encode()) is None


def test_session_end_erases_its_keys(dsm: DsmDevice) -> None:
    req = session(dsm)
    for sub in SUBS:
        ask(req, KeyProg(0, sub, 0, bytes(32)).encode())
        ask(req, KSetGo(0, sub, 0).encode())
    assert dsm.ide.is_secure(0)
    req.end_session()
    assert not dsm.ide.slots
