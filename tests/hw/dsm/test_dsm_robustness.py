# SPDX-License-Identifier: BSD-3-Clause
"""Arbitrary bytes never crash the responders: every input gets a response or None."""

from __future__ import annotations

from dsm_rig import make_dsm, make_rig
from hypothesis import given
from hypothesis import strategies as st

from devtrust.hw.rng import Drbg
from devtrust.hw.tsm.requester import SpdmRequester
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage

DSM = make_dsm(b"fuzz")
REQ = SpdmRequester(DSM.mailbox, Drbg(b"fuzz", "req"))
REQ.negotiate()
SID = REQ.key_exchange(REQ.certificate(0))
RIG = make_rig()

_headers = st.sampled_from([b"\x12\xfe", b"\x12\xe0", b"\x12\x84", b"\x10\x84", b"\x12\x82",
                            b"\x12\xe4", b"\x12\xff", b"\x13\x81", b""])


@given(_headers, st.binary(max_size=120))
def test_spdm_responder_total(head: bytes, tail: bytes) -> None:
    for response in (DSM.mailbox.exchange(head + tail),
                     DSM.mailbox.exchange_secured(SID, head + tail)):
        assert response is None or isinstance(response, bytes)
    # Keep the session usable for the next example.
    if SID not in DSM.spdm.sessions or DSM.spdm.conn.stage < 3:
        globals()["SID"] = _reconnect()


def _reconnect() -> int:
    REQ.negotiate()
    return REQ.key_exchange(REQ.certificate(0))


@given(st.sampled_from(range(0x80, 0x8D)), st.binary(max_size=64))
def test_tdisp_responder_total(code: int, body: bytes) -> None:
    message = bytes([0x10, code, 0, 0]) + (0x0100).to_bytes(4, "little") + bytes(8) + body
    response = RIG.responder.handle(message, 1)
    assert response[1] in (code - 0x80, 0x7F)


@given(st.binary(max_size=80))
def test_secured_vendor_garbage(body: bytes) -> None:
    for protocol in PciProtocol:
        vdm = VendorDefinedMessage.pci_sig(0x12, True, protocol, body).encode()
        if SID in DSM.spdm.sessions:
            DSM.mailbox.exchange_secured(SID, vdm)
