# SPDX-License-Identifier: BSD-3-Clause
"""Appraise one device's evidence: from kernel-shaped objects to a trust level.

Order (each step a set of named claims, DESIGN.md principle 7):

1. integrity mode - where the TSM gave digests, every blob must match the digest
   it vouched for (digest mode); otherwise the signed transcript carries integrity;
2. certificate chain of the slot the TSM used, anchored in the local trust store;
3. measurement transcript signature with the leaf key (VCA from the ``vca`` object);
4. binding - our nonce is the one signed, the generation did not move;
5. measurements against reference values;
6. the TDISP interface report against the BARs and the LOCK parameters;
7. policy decision (highest qualifying level, capped and explained).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime

from devtrust.appraise.bundle import EvidenceBundle
from devtrust.appraise.certs import load_certificates
from devtrust.appraise.chain import validate_chain
from devtrust.appraise.claims import (
    Category,
    Claim,
    ClaimStatus,
    LevelCap,
    binding_claims,
    claims_from_checks,
)
from devtrust.appraise.decide import Decision, decide
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.leaf_profile import CertModel, LeafProfile, cma_identity_string
from devtrust.appraise.measurements_check import MeasurementView, check_measurements
from devtrust.appraise.policy import LeafModel, Policy
from devtrust.appraise.refstore import RefStore
from devtrust.appraise.refvalues import RefValues, ref_digest_name
from devtrust.appraise.report_check import LockParams, check_report_bytes
from devtrust.appraise.results import AppraisalResult, build_result
from devtrust.appraise.spdm_evidence import MeasurementEvidence, verify_measurement_transcript
from devtrust.appraise.trust_store import TrustStore
from devtrust.wire.errors import WireError
from devtrust.wire.evidence import EvidenceType
from devtrust.wire.spdm.algorithms import NegotiatedAlgorithms, measurement_hash_name
from devtrust.wire.spdm.transcript import negotiated_from_vca

__all__ = ["Appraiser", "appraise_bundle"]

# The requirement family each evidence object feeds: a substituted object fails it.
_FEEDS = {EvidenceType.VCA: "signature", EvidenceType.MEASUREMENTS: "signature",
          EvidenceType.REPORT: "report", **{EvidenceType(i): "chain" for i in range(8)}}


def _claim(name: str, ok: bool, reason: str, pointer: str, category: Category, *,
           crypto: bool = False) -> Claim:
    return Claim(name, ClaimStatus.PASS if ok else ClaimStatus.FAIL, reason, pointer, category,
                 (), crypto and not ok)


def _digest_claims(bundle: EvidenceBundle) -> tuple[Claim, ...]:
    """Digest mode: a blob counts only if it matches the digest the TSM vouched for.

    A mismatch fails ``integrity.digest.<object>`` and also the requirement family
    the object feeds (``chain``, ``signature`` or ``report``), so a substituted
    blob can never satisfy the requirement it would otherwise satisfy.
    """
    out = []
    algo = bundle.evidence.digest_algo
    for kind in EvidenceType:
        obj = bundle.evidence.get(kind)
        if obj.digest is None:
            continue
        pointer = f"/objects/{kind.uapi_name}"
        try:
            actual = hashlib.new(algo, obj.data).digest()
        except (ValueError, TypeError):
            actual = b""
        same = bool(actual) and hmac.compare_digest(actual, obj.digest)
        reason = (f"{kind.uapi_name} matches the TSM's {algo} digest" if same else
                  f"{kind.uapi_name} does not match the TSM's {algo} digest (substituted blob)"
                  if actual else f"unknown TSM digest algorithm {algo!r}")
        out.append(_claim(f"integrity.digest.{kind.uapi_name}", same, reason, pointer,
                          Category.INSTANCE_IDENTITY, crypto=True))
        if not same:
            out.append(_claim(f"{_FEEDS[kind]}.integrity.{kind.uapi_name}", False, reason,
                              pointer, Category.INSTANCE_IDENTITY, crypto=True))
    return tuple(out)


def _contraindicated(decision: Decision) -> Decision:
    """Evidence that failed a cryptographic check earns no trust at all (fail closed)."""
    bad = [c for c in decision.claims if c.crypto and c.status is ClaimStatus.FAIL]
    if not bad or decision.level == 0:
        return decision
    cap = LevelCap(f"claim:{bad[0].name}", 0,
                   f"cryptographic check failed ({bad[0].reason}); contraindicated evidence "
                   "earns no trust")
    return replace(decision, level=0, capped_by=cap, caps=(*decision.caps, cap),
                   run_allowed=False)


def _leaf_profile(leaf: LeafModel, identity: DeviceIdentity,
                  algos: NegotiatedAlgorithms | None) -> LeafProfile:
    """The leaf profile the policy class asks for, with this device's CMA identity."""
    cma = None
    if leaf.require_cma_san and None not in (identity.vendor_id, identity.device_id,
                                             identity.class_code, identity.revision):
        assert identity.vendor_id is not None and identity.device_id is not None
        assert identity.class_code is not None and identity.revision is not None
        cma = cma_identity_string(identity.vendor_id, identity.device_id, identity.class_code,
                                  identity.revision, ssvid=identity.subsystem_vendor_id,
                                  ssid=identity.subsystem_id)
    return LeafProfile(spdm_version=algos.spdm_version if algos else 0x12,
                       base_asym=algos.base_asym if algos else None,
                       require_dmtf_eku=leaf.require_dmtf_eku,
                       expected_model=CertModel(leaf.cert_model) if leaf.cert_model else None,
                       require_cma_san=leaf.require_cma_san, cma_identity=cma)


def _reference_hash_name(algos: NegotiatedAlgorithms | None) -> str | None:
    """The measurement hash as reference values name it (None: unknown or raw only)."""
    try:
        return ref_digest_name(measurement_hash_name(algos.measurement_hash)) if algos else None
    except (KeyError, ValueError):
        return None


def _algorithms(vca: bytes) -> tuple[NegotiatedAlgorithms | None, tuple[Claim, ...]]:
    if not vca:
        return None, ()
    try:
        algos = negotiated_from_vca(vca)
    except WireError as exc:
        return None, (_claim("vca.decode", False, f"VCA transcript does not decode: {exc}",
                             "/objects/vca", Category.INSTANCE_IDENTITY),)
    return algos, (_claim("vca.decode", True, f"SPDM {algos.version_string}, "
                          f"{algos.base_asym.name}/{algos.base_hash.name}", "/objects/vca",
                          Category.INSTANCE_IDENTITY),)


@dataclass(frozen=True, slots=True)
class Appraiser:
    """Policy, reference values and trust anchors: everything an appraisal is judged by."""

    policy: Policy
    trust_store: TrustStore
    refs: RefStore | RefValues | None = None
    verifier: str = "devtrust"

    def appraise(self, bundle: EvidenceBundle, *, at: datetime,
                 generation_now: int | None = None) -> AppraisalResult:
        """Appraise ``bundle`` at time ``at``; ``generation_now`` is a re-read generation."""
        cls = self.policy.for_device(bundle.identity)
        ev = bundle.evidence
        claims: list[Claim] = list(_digest_claims(bundle))
        algos, vca_claims = _algorithms(ev.get(EvidenceType.VCA).data)
        claims += vca_claims

        # Certificate chain of the slot the TSM used (fall back to the first populated slot).
        slot_kind = EvidenceType(ev.slot) if 0 <= ev.slot <= 7 else EvidenceType.CERT0
        cert_blob = ev.get(slot_kind).data or next(
            (ev.get(EvidenceType(i)).data for i in range(8) if ev.get(EvidenceType(i)).data), b"")
        pointer = f"/objects/{slot_kind.uapi_name}"
        leaf_key = None
        if not cert_blob:
            claims.append(_claim("chain.present", False, "no certificate chain in the evidence",
                                 pointer, Category.HARDWARE))
        else:
            try:
                certs = load_certificates(cert_blob, hash_size=algos.h if algos else None)
                profile = _leaf_profile(cls.leaf, bundle.identity, algos)
                verdict = validate_chain(certs, self.trust_store, at=at, profile=profile)
                claims += claims_from_checks("chain", verdict.checks, category=Category.HARDWARE,
                                             pointer=pointer, crypto=True)
                leaf_key = verdict.leaf_public_key
            except AppraisalInputError as exc:
                # A chain that does not hold together cannot authenticate the device:
                # contraindicated, like a failed signature.
                claims.append(_claim("chain.decode", False, str(exc), pointer, Category.HARDWARE,
                                     crypto=True))

        evidence: MeasurementEvidence | None = None
        meas_blob = ev.get(EvidenceType.MEASUREMENTS).data
        if not meas_blob:
            claims.append(_claim("signature.measurements", False, "no signed measurements",
                                 "/objects/measurements", Category.INSTANCE_IDENTITY))
        elif leaf_key is None:
            claims.append(_claim("signature.measurements", False,
                                 "no usable leaf key to verify the measurements",
                                 "/objects/measurements", Category.INSTANCE_IDENTITY))
        else:
            try:
                tv = verify_measurement_transcript(meas_blob, leaf_key,
                                                   vca=ev.get(EvidenceType.VCA).data or None)
                evidence = tv.evidence
                claims.append(_claim("signature.measurements", tv.signature_valid, tv.reason,
                                     "/objects/measurements", Category.INSTANCE_IDENTITY,
                                     crypto=True))
            except AppraisalInputError as exc:
                claims.append(_claim("signature.measurements", False, str(exc),
                                     "/objects/measurements", Category.INSTANCE_IDENTITY))

        signed_nonce = evidence.requester_nonce if evidence and evidence.is_signed else None
        claims += binding_claims(expected_nonce=bundle.nonce or None, signed_nonce=signed_nonce,
                                 generation=ev.generation, generation_now=generation_now)

        hash_alg = _reference_hash_name(algos)
        blocks = MeasurementView.from_blocks(evidence.blocks, hash_alg) if evidence else ()
        refs = self.refs.lookup(bundle.identity) if self.refs else None
        claims += check_measurements(blocks, refs, bundle.identity.describe())

        report = ev.get(EvidenceType.REPORT).data
        if report:
            claims += check_report_bytes(report, bundle.bars, bundle.msix,
                                         bundle.lock or LockParams(0), cls.report)

        decision = _contraindicated(decide(claims, cls, bundle.decision_context()))
        return build_result(bundle.device_name, bundle.identity, cls, decision,
                            evidence_generation=ev.generation, nonce=bundle.nonce, at=at,
                            verifier=self.verifier)


def appraise_bundle(bundle: EvidenceBundle, *, policy: Policy, trust_store: TrustStore,
                    refs: RefStore | None, at: datetime,
                    generation_now: int | None = None) -> AppraisalResult:
    """Convenience wrapper around :class:`Appraiser`."""
    return Appraiser(policy, trust_store, refs).appraise(bundle, at=at,
                                                        generation_now=generation_now)
