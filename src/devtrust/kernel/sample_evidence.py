# SPDX-License-Identifier: BSD-3-Clause
"""The devsec sample's simulated evidence store: ``certs`` and ``transcript`` (§9.8, §4.7).

The link sample TSM binds CERT0 to ``certs`` and MEASUREMENTS to ``transcript``
at connect (:func:`sample_evidence_set` builds that evidence for the platform).
"""

from __future__ import annotations

import errno
from dataclasses import replace

from devtrust.kernel.actions import Result, SampleEvidenceWrite
from devtrust.kernel.state import KernelState
from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

__all__ = ["SAMPLE_MAX", "sample_busy", "sample_evidence_set", "sample_write_apply",
           "sample_write_check"]

SAMPLE_MAX = 16 * 1024 * 1024


def sample_busy(state: KernelState) -> bool:
    """"Prevent evidence from changing while any sample device is connected or locked"."""
    return any(d.ctx is not None for d in state.devices)


def sample_write_check(state: KernelState, a: SampleEvidenceWrite) -> int:
    """Binary write to ``/sys/bus/faux/devices/devsec_link_tsm/{certs,transcript}``.

    Context: the store's mutex (samples/devsec/common.c).
    Return: ENOENT (no such attribute), EFBIG (offset + count > 16 MiB), EBUSY
    (a sample device is connected or locked).
    """
    if a.which not in ("certs", "transcript") or a.offset < 0:
        return errno.ENOENT
    if a.offset + len(a.data) > SAMPLE_MAX:
        return errno.EFBIG
    if sample_busy(state):
        return errno.EBUSY
    return 0


def sample_write_apply(state: KernelState, a: SampleEvidenceWrite) -> tuple[KernelState, Result]:
    """Grow to offset + count and copy; a single byte at offset 0 resets the buffer."""
    old = state.sample_certs if a.which == "certs" else state.sample_transcript
    if a.offset + len(a.data) == 1:
        new = b""
    else:
        grown = old.ljust(a.offset + len(a.data), b"\0")
        new = grown[:a.offset] + a.data + grown[a.offset + len(a.data):]
    if a.which == "certs":
        return replace(state, sample_certs=new), Result(value=str(len(a.data)))
    return replace(state, sample_transcript=new), Result(value=str(len(a.data)))


def sample_evidence_set(state: KernelState) -> EvidenceSet:
    """What the link sample's probe binds: CERT0, MEASUREMENTS, generation 1, slot 0."""
    objs = [EvidenceObject() for _ in EvidenceType]
    objs[EvidenceType.CERT0] = EvidenceObject(state.sample_certs)
    objs[EvidenceType.MEASUREMENTS] = EvidenceObject(state.sample_transcript)
    return EvidenceSet(generation=1, slot=0, digest_algo="sha384", objects=tuple(objs))
