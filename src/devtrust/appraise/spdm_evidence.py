# SPDX-License-Identifier: BSD-3-Clause
"""Verify an SPDM measurement transcript the way relying parties receive it.

Accepted shapes (libspdm's "standard measurement report" and what GPUs hand
over through their drivers):

* ``GET_MEASUREMENTS || MEASUREMENTS`` - SPDM 1.0/1.1 all-measurements report,
  the signature covers exactly these bytes minus the trailing signature;
* ``VCA || GET_MEASUREMENTS || MEASUREMENTS`` - SPDM 1.2+ all-measurements
  report, the signature covers VCA and the exchange;
* one-by-one reports: a count query, unsigned per-index exchanges and a final
  signed one, with or without the VCA prefix;
* the same with the VCA supplied separately (the kernel's ``vca`` evidence
  object next to its ``measurements`` object).

Algorithms come from the VCA when there is one, otherwise they are inferred from
the leaf key (and the verdict says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from devtrust.appraise.checks import CheckResult
from devtrust.appraise.errors import EvidenceFormatError
from devtrust.appraise.signature import SignatureVerdict, check_nonce, verify_spdm_signature
from devtrust.wire.errors import WireError
from devtrust.wire.spdm.algorithms import NegotiatedAlgorithms
from devtrust.wire.spdm.measurement_block import MeasurementBlock
from devtrust.wire.spdm.measurements import GetMeasurements, Measurements
from devtrust.wire.spdm.signing import CONTEXT_MEASUREMENTS
from devtrust.wire.spdm.transcript import (
    iter_measurement_exchanges,
    negotiated_from_vca,
    vca_length,
)

__all__ = [
    "MeasurementEvidence",
    "TranscriptVerdict",
    "parse_measurement_transcript",
    "signature_size_for_key",
    "verify_measurement_transcript",
]

_GET_VERSION = 0x84
_SOURCE = "SPDM measurement transcript"


def signature_size_for_key(public_key: object) -> int:
    """S implied by the leaf key when no VCA says which algorithm was negotiated."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 2 * ((public_key.curve.key_size + 7) // 8)
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.key_size // 8
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return 64
    if isinstance(public_key, ed448.Ed448PublicKey):
        return 114
    raise EvidenceFormatError(_SOURCE, f"unsupported leaf key type {type(public_key).__name__}")


@dataclass(frozen=True, slots=True)
class MeasurementEvidence:
    """A parsed measurement transcript: what was asked, what came back, what is signed."""

    spdm_version: int
    algorithms: NegotiatedAlgorithms | None
    vca: bytes
    exchanges: tuple[tuple[GetMeasurements, Measurements], ...]
    signed_transcript: bytes

    @property
    def final(self) -> tuple[GetMeasurements, Measurements]:
        return self.exchanges[-1]

    @property
    def blocks(self) -> tuple[MeasurementBlock, ...]:
        """Every measurement block delivered, in order (one-by-one reports concatenated)."""
        return tuple(b for _, resp in self.exchanges for b in resp.blocks)

    @property
    def is_signed(self) -> bool:
        return self.final[1].is_signed

    @property
    def requester_nonce(self) -> bytes:
        return self.final[0].nonce

    @property
    def responder_nonce(self) -> bytes:
        return self.final[1].nonce

    @property
    def signature(self) -> bytes:
        return self.final[1].signature


@dataclass(frozen=True, slots=True)
class TranscriptVerdict:
    """Signature and freshness outcome of one transcript (never a bare bool)."""

    evidence: MeasurementEvidence
    signature: SignatureVerdict | None
    nonce: CheckResult | None

    @property
    def signature_valid(self) -> bool:
        return self.signature is not None and self.signature.ok

    @property
    def ok(self) -> bool:
        return self.signature_valid and (self.nonce is None or self.nonce.ok)

    @property
    def reason(self) -> str:
        if self.signature is None:
            return "transcript carries no signature"
        if not self.signature.ok:
            return self.signature.reason
        if self.nonce is not None and not self.nonce.ok:
            return self.nonce.reason
        return "signature verifies"


def _split_vca(data: bytes) -> tuple[bytes, bytes]:
    if len(data) >= 2 and data[1] == _GET_VERSION:
        size = vca_length(data)
        return data[:size], data[size:]
    return b"", data


def parse_measurement_transcript(data: bytes, *, public_key: object | None = None,
                                 vca: bytes | None = None) -> MeasurementEvidence:
    """Split and decode a transcript. Raises :class:`EvidenceFormatError` on malformed input.

    ``public_key`` (the leaf key) is needed only to size the signature when no
    VCA is available; ``vca`` supplies the VCA when it is not in ``data``.
    """
    try:
        embedded_vca, exchanges_bytes = _split_vca(bytes(data))
        the_vca = embedded_vca or (vca or b"")
        algos = negotiated_from_vca(the_vca) if the_vca else None
        if algos is not None:
            sig_size = algos.s
            digest_size = algos.measurement_digest_size or None
        elif public_key is not None:
            sig_size, digest_size = signature_size_for_key(public_key), None
        else:
            sig_size, digest_size = 0, None
        pairs = iter_measurement_exchanges(exchanges_bytes, signature_size=sig_size,
                                           digest_size=digest_size)
    except WireError as exc:
        raise EvidenceFormatError(_SOURCE, str(exc)) from None
    if not pairs:
        raise EvidenceFormatError(_SOURCE, "no GET_MEASUREMENTS/MEASUREMENTS exchange")
    version = pairs[-1][0].spdm_version
    if algos is not None and algos.spdm_version != version:
        raise EvidenceFormatError(_SOURCE, "VCA version differs from the measurement exchange")
    # L1/L2: 1.2+ start with VCA; every exchange since the last signed one, the
    # final response without its signature (protocols.md §3.11).
    body = b"".join(req.raw + resp.raw for req, resp in pairs[:-1])
    body += pairs[-1][0].raw + pairs[-1][1].unsigned_bytes
    signed = (the_vca if version >= 0x12 else b"") + body
    return MeasurementEvidence(version, algos, the_vca, pairs, signed)


def verify_measurement_transcript(data: bytes, public_key: object, *, vca: bytes | None = None,
                                  nonce: bytes | None = None,
                                  tolerant_le: bool = False) -> TranscriptVerdict:
    """Parse ``data`` and verify its signature with ``public_key`` (and the nonce, if given)."""
    evidence = parse_measurement_transcript(data, public_key=public_key, vca=vca)
    if not evidence.is_signed:
        return TranscriptVerdict(evidence, None, None)
    if evidence.spdm_version >= 0x12 and not evidence.vca:
        verdict = SignatureVerdict(
            False, "SPDM 1.2+ signatures cover the VCA transcript, which was not supplied",
            evidence.spdm_version, CONTEXT_MEASUREMENTS, "combined-prefix")
    else:
        verdict = verify_spdm_signature(
            public_key, evidence.algorithms, spdm_version=evidence.spdm_version,
            transcript=evidence.signed_transcript, signature=evidence.signature,
            context=CONTEXT_MEASUREMENTS, tolerant_le=tolerant_le)
    nonce_check = (check_nonce(nonce, evidence.requester_nonce, name="requester nonce")
                   if nonce is not None else None)
    return TranscriptVerdict(evidence, verdict, nonce_check)
