# SPDX-License-Identifier: BSD-3-Clause
"""Devsec TSM: lock (+report), accept, unlock, status, evidence, errnos."""

from __future__ import annotations

import errno
import hashlib

from dsm_rig import make_platform

from devtrust.hw.tsm.devsec import DEFAULT_REPORTING_OFFSET
from devtrust.wire.evidence import EvidenceType
from devtrust.wire.tdisp.header import TdiState
from devtrust.wire.tdisp.report import TdiReport


def test_lock_accept_unlock_cycle() -> None:
    p = make_platform()
    p.connect_bind_lock()
    assert p.devsec.tdi_state(p.pf0) is TdiState.CONFIG_LOCKED
    assert p.devsec.lock(p.pf0) == errno.EBUSY
    assert p.devsec.accept(p.pf0) == 0
    assert p.devsec.status(p.pf0) is TdiState.RUN
    assert p.devsec.accept(p.pf0) == errno.EBUSY  # START in RUN: INVALID_INTERFACE_STATE
    assert p.devsec.unlock(p.pf0) == 0
    assert p.devsec.tdi_state(p.pf0) is TdiState.CONFIG_UNLOCKED
    assert p.devsec.unlock(p.pf0) == errno.EINVAL
    assert p.devsec.evidence(p.pf0) is None


def test_lock_needs_host_binding() -> None:
    p = make_platform()
    assert p.devsec.lock(p.pf0) == errno.ENXIO
    assert p.link.connect(p.pf0) == 0
    assert p.devsec.lock(p.pf0) == errno.ENXIO  # connected but not bound
    assert p.devsec.accept(p.pf0) == errno.EINVAL


def test_unlock_without_accept_is_fine() -> None:
    p = make_platform()
    p.connect_bind_lock()
    assert p.devsec.unlock(p.pf0) == 0  # the sample's NULL dereference (§10.2) has no twin


def test_evidence_after_lock_adds_report() -> None:
    p = make_platform()
    p.connect_bind_lock(p.fn1)
    ev = p.devsec.evidence(p.fn1)
    link_ev = p.link.evidence(p.pf0)
    assert ev is not None and link_ev is not None
    for kind in (EvidenceType.CERT0, EvidenceType.VCA, EvidenceType.MEASUREMENTS):
        assert ev.get(kind).data == link_ev.get(kind).data
    report = TdiReport.decode(ev.get(EvidenceType.REPORT).data)
    fn = p.dsm.functions[p.fn1.requester_id]
    assert report.mmio_ranges[0].byte_start(DEFAULT_REPORTING_OFFSET) == fn.bars[0].address
    assert p.devsec.evidence(p.pf0) is None


def test_report_is_paged_through_the_relay() -> None:
    p = make_platform()
    p.devsec.report_buffer = 16
    p.connect_bind_lock()
    size = len(p.devsec.evidence(p.pf0).get(EvidenceType.REPORT).data)  # type: ignore[union-attr]
    fetches = [x for x in p.dsm.mailbox.trace if len(x.request) > 12
               and x.request[11] == 1 and x.request[13] == 0x84]
    # The TSM reads the report twice (a locked report must not change) in 16-byte portions.
    assert len(fetches) == 2 * -(-size // 16)


def test_generation_changes_with_evidence() -> None:
    p = make_platform()
    p.connect_bind_lock()
    g1 = p.devsec.evidence(p.pf0).generation  # type: ignore[union-attr]
    assert p.devsec.refresh_evidence(p.pf0, b"relying-party") == 0
    g2 = p.devsec.evidence(p.pf0).generation  # type: ignore[union-attr]
    assert g2 == g1 + 1
    assert p.devsec.unlock(p.pf0) == 0 and p.devsec.lock(p.pf0) == 0
    g3 = p.devsec.evidence(p.pf0).generation  # type: ignore[union-attr]
    assert g3 > g2  # generations never restart, even across unlock/lock


def test_digest_mode() -> None:
    p = make_platform(digest_mode=True)
    p.connect_bind_lock()
    ev = p.devsec.evidence(p.pf0)
    assert ev is not None
    report = ev.get(EvidenceType.REPORT)
    assert report.digest == hashlib.sha384(report.data).digest()


def test_events_for_locked_tdis() -> None:
    p = make_platform()
    p.connect_bind_lock()
    p.dsm.clear_command_bits(p.pf0)
    p.dsm.clear_command_bits(p.fn1)
    events = p.devsec.poll_events()
    assert {e.bdf for e in events} == {str(p.pf0)}
    assert events[-1].state is TdiState.ERROR
    assert p.devsec.poll_events() == ()
