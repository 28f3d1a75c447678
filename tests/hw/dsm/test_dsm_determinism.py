# SPDX-License-Identifier: BSD-3-Clause
"""Same seed, byte-identical wire traffic and evidence; a different seed changes them."""

from __future__ import annotations

from dsm_rig import Platform, make_platform

from devtrust.wire.evidence import EvidenceSet


def run(p: Platform) -> tuple[tuple[bytes | None, ...], EvidenceSet | None]:
    p.connect_bind_lock()
    assert p.devsec.accept(p.pf0) == 0
    assert p.link.refresh_evidence(p.pf0, b"nonce") == 0
    assert p.devsec.refresh_evidence(p.pf0, b"nonce") == 0
    trace = tuple(x for e in p.dsm.mailbox.trace for x in (e.request, e.response))
    return trace, p.devsec.evidence(p.pf0)


def test_same_seed_byte_identical() -> None:
    a, b = run(make_platform(b"seed-1")), run(make_platform(b"seed-1"))
    assert a == b
    assert a[1] is not None and a[1].generation == 2


def test_different_seed_differs() -> None:
    a, b = run(make_platform(b"seed-1")), run(make_platform(b"seed-2"))
    assert a[0] != b[0]
    assert a[1] is not None and b[1] is not None
    # Same device identity (the rig's PKI is fixed) but fresh nonces and signatures.
    assert a[1].get(0) == b[1].get(0)
    assert a[1].get(9) != b[1].get(9)
