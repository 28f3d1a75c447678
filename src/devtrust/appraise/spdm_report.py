# SPDX-License-Identifier: BSD-3-Clause
"""``devtrust spdm verify``: one transcript, one chain, one JSON report (schema v1)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from devtrust.appraise.certs import is_issued_by, load_certificates
from devtrust.appraise.chain import validate_chain
from devtrust.appraise.leaf_profile import LeafProfile
from devtrust.appraise.spdm_evidence import verify_measurement_transcript
from devtrust.appraise.trust_store import TrustStore

__all__ = ["SPDM_VERIFY_SCHEMA_VERSION", "spdm_verify_report"]

SPDM_VERIFY_SCHEMA_VERSION = 1


def _links(certificates: tuple[Any, ...]) -> tuple[bool, str]:
    """Each certificate (root first) signs the next: a chain, not a pile."""
    for i in range(1, len(certificates)):
        if not is_issued_by(certificates[i], certificates[i - 1]):
            return False, f"certificate {i} is not issued by certificate {i - 1}"
    return True, f"{len(certificates)} certificate(s) link root to leaf"


def spdm_verify_report(transcript: bytes, certs: bytes, *, nonce: bytes | None,
                       vca: bytes | None, trust_store: Path | None,
                       at: datetime) -> dict[str, Any]:
    """Verify ``transcript`` with the leaf of ``certs``; return the JSON-ready report.

    ``ok`` is the overall verdict: signature valid, nonce matches (if given), the
    chain links, and (with a trust store) the chain validates against a pinned root.
    """
    bundle = load_certificates(certs)
    verdict = verify_measurement_transcript(transcript, bundle.leaf.public_key(), vca=vca,
                                            nonce=nonce)
    ev = verdict.evidence
    links_ok, links_reason = _links(bundle.certificates)
    chain: dict[str, Any] = {"format": str(bundle.input_format), "certificates":
                             len(bundle.certificates), "links_ok": links_ok,
                             "links_reason": links_reason, "anchored": False}
    ok = verdict.ok and links_ok
    if trust_store is not None:
        store = TrustStore.from_dir(trust_store)
        profile = LeafProfile(spdm_version=max(ev.spdm_version, 0x10))
        chain_verdict = validate_chain(bundle, store, at=at, profile=profile)
        chain.update(anchored=chain_verdict.anchor is not None, valid=chain_verdict.ok,
                     reason=chain_verdict.reason)
        ok = ok and chain_verdict.ok
    sig = verdict.signature
    return {
        "schema_version": SPDM_VERIFY_SCHEMA_VERSION,
        "ok": ok,
        "signature_valid": verdict.signature_valid,
        "reason": verdict.reason,
        "spdm_version": f"{ev.spdm_version >> 4}.{ev.spdm_version & 0xF}",
        "signature_scheme": sig.scheme if sig else None,
        "algorithms_inferred": bool(sig and sig.algorithms_inferred),
        "base_asym": sig.base_asym.name if sig and sig.base_asym else None,
        "base_hash": sig.base_hash.name if sig and sig.base_hash else None,
        "nonce_valid": None if verdict.nonce is None else verdict.nonce.ok,
        "requester_nonce": ev.requester_nonce.hex(),
        "responder_nonce": ev.responder_nonce.hex(),
        "exchanges": len(ev.exchanges),
        "chain": chain,
        "measurement_blocks": [
            {"index": b.index, "value_type": int(b.value_type),
             "value_type_name": b.value_type.name.lower(), "raw": b.is_raw,
             "value": b.value.hex()} for b in ev.blocks],
    }
