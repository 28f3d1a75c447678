# SPDX-License-Identifier: BSD-3-Clause
"""Certificate chunk reassembly and transcript splitting, built from valid objects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.wire.errors import LengthError, TruncatedError, WireError
from devtrust.wire.spdm import (
    Algorithms,
    AlgStruct,
    AlgType,
    BaseAsymAlgo,
    BaseHashAlgo,
    Capabilities,
    Certificate,
    CertificateAssembler,
    GetCapabilities,
    GetMeasurements,
    GetVersion,
    MeasurementBlock,
    MeasurementHashAlgo,
    MeasurementRecord,
    Measurements,
    NegotiateAlgorithms,
    SupportedAlgorithms,
    Version,
    VersionEntry,
    iter_measurement_exchanges,
    negotiated_from_vca,
    split_vca,
)


@given(st.binary(min_size=1, max_size=3000), st.integers(1, 700))
def test_assembler_reassembles_any_chunking(chain: bytes, chunk: int) -> None:
    asm = CertificateAssembler(3)
    while not asm.complete:
        req = asm.next_request(0x12, chunk)
        portion = chain[req.offset:req.offset + req.length]
        rsp = Certificate(0x12, 3, portion, len(chain) - req.offset - len(portion))
        asm = asm.add(Certificate.decode(rsp.encode()), req)
    assert asm.chain() == chain


def test_assembler_refuses_inconsistency() -> None:
    first = Certificate(0x12, 0, b"a" * 10, 20)
    asm = CertificateAssembler(0).add(first)
    assert asm.total == 30 and not asm.complete
    with pytest.raises(LengthError):  # the chain grows: 10 + 10 + 20 != 30
        asm.add(Certificate(0x12, 0, b"b" * 10, 20))
    with pytest.raises(WireError):  # wrong slot echoed
        asm.add(Certificate(0x12, 1, b"b" * 20, 0))
    with pytest.raises(LengthError):  # portion longer than requested
        asm.add(Certificate(0x12, 0, b"b" * 20, 0), asm.next_request(0x12, 5))
    with pytest.raises(LengthError):  # request offset does not continue the chain
        asm.add(Certificate(0x12, 0, b"b" * 20, 0), asm.next_request(0x12).__class__(
            0x12, 0, 0, 20))
    with pytest.raises(LengthError):  # over the size limit
        CertificateAssembler(0, max_size=100).add(Certificate(0x12, 0, b"x", 100))
    with pytest.raises(LengthError):  # no progress
        asm.add(Certificate(0x12, 0, b"", 20))
    done = asm.add(Certificate(0x12, 0, b"b" * 20, 0))
    assert done.chain() == b"a" * 10 + b"b" * 20
    with pytest.raises(LengthError):
        done.add(Certificate(0x12, 0, b"c", 0))
    with pytest.raises(LengthError):
        asm.chain()


def _vca(version: int, *, block: bool) -> bytes:
    structs = (AlgStruct(AlgType.DHE, 0x18), AlgStruct(AlgType.AEAD, 0x2),
               AlgStruct(AlgType.REQ_BASE_ASYM_ALG, 0x80), AlgStruct(AlgType.KEY_SCHEDULE, 1))
    chosen = (AlgStruct(AlgType.DHE, 0x10), AlgStruct(AlgType.AEAD, 0x2),
              AlgStruct(AlgType.REQ_BASE_ASYM_ALG, 0x80), AlgStruct(AlgType.KEY_SCHEDULE, 1))
    sup = SupportedAlgorithms(BaseAsymAlgo(0x90), BaseHashAlgo(0x3), 1, 0x2, 0, (), (),
                              structs) if block else None
    parts = [
        GetVersion(), Version((VersionEntry(1, 2), VersionEntry(1, 3))),
        GetCapabilities(version, 10, request_supported_algorithms=block,
                        data_transfer_size=4096, max_spdm_msg_size=4096),
        Capabilities(version, 12, data_transfer_size=4096, max_spdm_msg_size=8192,
                     supported_algorithms=sup),
        NegotiateAlgorithms(version, BaseAsymAlgo(0x90), BaseHashAlgo(0x3), 1, 2,
                            alg_structs=structs),
        Algorithms(version, BaseAsymAlgo.ECDSA_P384, BaseHashAlgo.SHA_384,
                   MeasurementHashAlgo.SHA_384, 1, 2, alg_structs=chosen),
    ]
    return b"".join(p.encode() for p in parts)


@pytest.mark.parametrize(("version", "block"), [(0x12, False), (0x13, False), (0x13, True)])
def test_vca_split_and_negotiate(version: int, block: bool) -> None:
    vca = _vca(version, block=block)
    msgs = split_vca(vca)
    assert (msgs[3].supported_algorithms is not None) == block
    algos = negotiated_from_vca(vca)
    assert (algos.spdm_version, algos.h, algos.s, algos.d) == (version, 48, 96, 96)
    with pytest.raises(TruncatedError):
        negotiated_from_vca(vca[:-1])
    with pytest.raises(WireError):
        negotiated_from_vca(vca + b"\x00")


def test_multi_request_transcript() -> None:
    """Count query, each index unsigned, last signed (libspdm multi-request shape)."""
    blocks = [MeasurementBlock(i, 0, bytes([i]) * 48) for i in (1, 2, 3)]
    parts: list[bytes] = []
    parts += [GetMeasurements(0x13, 0, 0, requester_context=b"c" * 8).encode(),
              Measurements(0x13, MeasurementRecord(), bytes(32), total_measurement_indices=3,
                           requester_context=b"c" * 8).encode()]
    for b in blocks[:2]:
        parts += [GetMeasurements(0x13, 0, b.index, requester_context=b"c" * 8).encode(),
                  Measurements(0x13, MeasurementRecord((b,)), bytes(32),
                               requester_context=b"c" * 8).encode()]
    signed = Measurements(0x13, MeasurementRecord((blocks[2],)), bytes(32), b"opq",
                          b"S" * 96, requester_context=b"c" * 8)
    parts += [GetMeasurements(0x13, 1, 3, b"n" * 32, 0, b"c" * 8).encode(), signed.encode()]
    full = b"".join(parts)
    pairs = iter_measurement_exchanges(full, signature_size=96, digest_size=48)
    assert [p.operation for p, _ in pairs] == [0, 1, 2, 3]
    assert pairs[0][1].total_measurement_indices == 3
    assert pairs[-1][1].signature == b"S" * 96
    tbs = full[:-96]
    tbs_pairs = iter_measurement_exchanges(tbs, signature_size=96, tbs=True)
    assert tbs_pairs[-1][1].raw == signed.unsigned_bytes
    with pytest.raises(WireError):  # a to-be-signed transcript must end signed
        iter_measurement_exchanges(b"".join(parts[:2]), signature_size=96, tbs=True)
    with pytest.raises(WireError):
        iter_measurement_exchanges(full[:-1], signature_size=96)
