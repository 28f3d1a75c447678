# SPDX-License-Identifier: BSD-3-Clause
"""The ``pci-tsm`` evidence-read dump: a 16 MiB object through the emulated kernel.

``handle_request`` (kernel side: dump start, callbacks filling 32 KiB receive
buffers) and ``dump_evidence`` (user side: family lookup, reply parsing and
reassembly) talk in netlink bytes, exactly as the emulated platform does.
"""

from __future__ import annotations

from typing import Any

from _util import throughput

from devtrust.kernel.netlink.server import DumpOptions, handle_request
from devtrust.platform.netlink_client import dump_evidence
from devtrust.wire.evidence import MAX_OBJECT_SIZE, EvidenceObject, EvidenceSet, EvidenceType

DEVICE = "0000:01:00.0"
SIZE = MAX_OBJECT_SIZE  # 16 MiB, PCI_TSM_MAX_OBJECT_SIZE


def make_transport(size: int) -> tuple[Any, list[int]]:
    """A ``send`` over the emulated kernel serving one MEASUREMENTS object of ``size`` bytes,
    and a list that collects the number of reply messages per request."""
    blob = bytes(range(256)) * (size // 256) + bytes(size % 256)
    objects = [EvidenceObject() for _ in EvidenceType]
    objects[EvidenceType.MEASUREMENTS] = EvidenceObject(blob)
    evidence = EvidenceSet(generation=1, objects=tuple(objects))
    options = DumpOptions(family_id=0x1D)
    counts: list[int] = []

    def source(name: str) -> tuple[bool, EvidenceSet] | None:
        return (True, evidence) if name == DEVICE else None

    def send(request: bytes) -> tuple[bytes, ...]:
        reply = handle_request(request, source, is_admin=True, options=options)
        counts.append(len(reply))
        return reply

    return send, counts


def dump(send: Any, size: int) -> int:
    reply = dump_evidence(send, DEVICE, EvidenceType.MEASUREMENTS.flag)
    data = reply.get(EvidenceType.MEASUREMENTS)
    assert len(data) == size
    return len(data)


def test_dump_16mib(benchmark: Any, size: int = SIZE) -> None:
    """One dump of a 16 MiB object: family lookup + evidence-read, reassembled."""
    send, counts = make_transport(size)
    benchmark.pedantic(dump, args=(send, size), rounds=3, iterations=1, warmup_rounds=0)
    throughput(benchmark, nbytes=size, messages=counts[-1])
