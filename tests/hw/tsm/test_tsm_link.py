# SPDX-License-Identifier: BSD-3-Clause
"""Link TSM: connect/disconnect, IDE stream accounting, bind/unbind, evidence after connect."""

from __future__ import annotations

import errno

from dsm_rig import identity, make_platform

from devtrust.hw.keys import KeyType
from devtrust.hw.pci import Bdf
from devtrust.wire.evidence import EvidenceType
from devtrust.wire.spdm.transcript import iter_measurement_exchanges, negotiated_from_vca
from devtrust.wire.tdisp.header import TdiState


def test_connect_programs_six_keys_and_takes_a_stream() -> None:
    p = make_platform()
    assert p.link.available_streams("hb0") == 4
    assert p.link.connect(p.pf0) == 0
    assert p.link.available_streams("hb0") == 3
    assert p.link.streams("hb0") == (("stream0.0.0", p.pf0),)
    assert len(p.dsm.ide.slots) == 6 and p.dsm.ide.is_secure(0)
    sid = p.link.link_of(p.pf0).session_id  # type: ignore[union-attr]
    assert p.dsm.ide.is_secure(0, sid)
    assert p.link.connect(p.pf0) == errno.EBUSY


def test_connect_refuses_non_pf0_and_unknown() -> None:
    p = make_platform()
    assert p.link.connect(p.fn1) == errno.ENXIO
    assert p.link.connect(Bdf(0, 9, 0, 0)) == errno.ENXIO
    assert p.link.disconnect(p.pf0) == errno.ENXIO


def test_stream_pool_exhaustion() -> None:
    p = make_platform(nr_streams=0)
    assert p.link.connect(p.pf0) == errno.EBUSY
    assert not p.dsm.spdm.sessions


def test_disconnect_releases_everything() -> None:
    p = make_platform()
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.fn1, 3) == 0
    assert p.link.disconnect(p.pf0) == 0
    assert p.link.available_streams("hb0") == 4 and p.link.streams("hb0") == ()
    assert not p.dsm.ide.slots and not p.dsm.spdm.sessions
    assert p.link.evidence(p.pf0) is None and p.link.bound_tdi(p.fn1) is None
    assert p.link.connect(p.pf0) == 0  # reconnect works


def test_bind_rules() -> None:
    p = make_platform()
    assert p.link.bind(p.pf0, 1) == errno.ENXIO  # not connected
    assert p.link.connect(p.pf0) == 0
    assert p.link.bind(p.fn1, 5) == 0
    assert p.link.bind(p.fn1, 5) == 0  # idempotent for the same tdi id
    assert p.link.bind(p.fn1, 6) == errno.EBUSY
    assert p.link.unbind(p.fn1) == 0 and p.link.unbind(p.fn1) == 0
    assert p.link.guest_req(p.fn1, b"")[0] == errno.ENXIO


def test_evidence_after_connect() -> None:
    p = make_platform()
    assert p.link.connect(p.pf0) == 0
    ev = p.link.evidence(p.pf0)
    assert ev is not None and ev.generation == 1 and ev.slot == 0
    assert ev.get(EvidenceType.CERT0).data == identity(KeyType.ECDSA_P384).spdm_chain("sha384")
    assert all(not ev.get(EvidenceType(i)).data for i in range(1, 8))
    assert negotiated_from_vca(ev.get(EvidenceType.VCA).data).spdm_version == 0x12
    ((request, response),) = iter_measurement_exchanges(
        ev.get(EvidenceType.MEASUREMENTS).data, signature_size=96)
    assert request.signature_requested and len(response.signature) == 96
    assert not ev.get(EvidenceType.REPORT).data
    assert all(o.digest is None for o in ev.objects)
    # Dependent functions see the device's evidence.
    assert p.link.evidence(p.fn1) == ev


def test_refresh_bumps_generation_and_uses_the_nonce() -> None:
    p = make_platform()
    assert p.link.connect(p.pf0) == 0
    first = p.link.evidence(p.pf0)
    assert p.link.refresh_evidence(p.pf0, bytes(range(32))) == 0
    second = p.link.evidence(p.pf0)
    assert second is not None and first is not None
    assert second.generation == first.generation + 1
    ((request, _),) = iter_measurement_exchanges(
        second.get(EvidenceType.MEASUREMENTS).data, signature_size=96)
    assert request.nonce == bytes(range(32))
    assert second.get(EvidenceType.CERT0) == first.get(EvidenceType.CERT0)


def test_tdi_state_over_the_session() -> None:
    p = make_platform()
    assert p.link.tdi_state(p.pf0) is None
    p.connect_bind_lock()
    assert p.link.tdi_state(p.pf0) is TdiState.CONFIG_LOCKED
    assert p.link.tdi_state(p.fn1) is TdiState.CONFIG_UNLOCKED


def test_digest_mode_objects_carry_sha384() -> None:
    import hashlib

    p = make_platform(digest_mode=True)
    assert p.link.connect(p.pf0) == 0
    ev = p.link.evidence(p.pf0)
    assert ev is not None
    for obj in ev.objects:
        assert obj.digest == (hashlib.sha384(obj.data).digest() if obj.data else None)
