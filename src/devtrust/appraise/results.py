# SPDX-License-Identifier: BSD-3-Clause
"""Appraisal results: claims, the EAR/AR4SI trust vector and the decided trust level.

The JSON form is versioned (``schema_version``) and documented by
``schema/result-v1.json`` (JSON Schema 2020-12). AR4SI values follow
draft-ietf-rats-ar4si as summarised in landscape.md Appendix A: ``0`` no claim,
``2`` affirming, ``32..95`` warning, ``96..127`` contraindicated, ``99`` cryptographic
validation failed, ``-1`` verifier malfunction. Per category the worst claim wins:

=================  ====  =====  =======  ====  ======
category           pass  warn   unknown  fail  crypto
=================  ====  =====  =======  ====  ======
instance-identity  2     32     97       96    99
configuration      2     32     36       96    99
executables        2     32     33       96    99
hardware           2     32     97       96    99
=================  ====  =====  =======  ====  ======

The overall EAR status is the worst tier in the vector; ``-1`` counts as contraindicated
(fail closed), all-zero as ``none``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from devtrust.appraise.claims import Category, Claim, ClaimStatus, LevelCap
from devtrust.appraise.decide import Decision
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.policy import PolicyClass

__all__ = [
    "RESULT_SCHEMA_PATH",
    "RESULT_SCHEMA_VERSION",
    "AppraisalResult",
    "EarStatus",
    "TrustVector",
    "ar4si_tier",
    "build_result",
]

RESULT_SCHEMA_VERSION = 1
RESULT_SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "result-v1.json"

# (pass, warn, unknown, fail) per category; crypto failures are always 99.
_VALUES: dict[Category, tuple[int, int, int, int]] = {
    Category.INSTANCE_IDENTITY: (2, 32, 97, 96),
    Category.CONFIGURATION: (2, 32, 36, 96),
    Category.EXECUTABLES: (2, 32, 33, 96),
    Category.HARDWARE: (2, 32, 97, 96),
    Category.FILE_SYSTEM: (2, 32, 33, 96),
    Category.RUNTIME_OPAQUE: (2, 32, 32, 96),
    Category.STORAGE_OPAQUE: (2, 32, 32, 96),
    Category.SOURCED_DATA: (2, 32, 33, 96),
}
_CRYPTO_FAILED = 99
_RANK = {ClaimStatus.PASS: 0, ClaimStatus.WARN: 1, ClaimStatus.UNKNOWN: 2, ClaimStatus.FAIL: 3}


class EarStatus(StrEnum):
    """EAR overall status (``ear.status``)."""

    NONE = "none"
    AFFIRMING = "affirming"
    WARNING = "warning"
    CONTRAINDICATED = "contraindicated"


def ar4si_tier(value: int) -> EarStatus:
    """Tier of one AR4SI claim value; ``-1`` (verifier malfunction) is contraindicated."""
    if not -128 <= value <= 127:
        raise ValueError("AR4SI values are signed bytes")
    if value == 0:
        return EarStatus.NONE
    if 2 <= value <= 31:
        return EarStatus.AFFIRMING
    if value == 1 or 32 <= value <= 95:
        return EarStatus.WARNING
    return EarStatus.CONTRAINDICATED


_TIER_ORDER = (EarStatus.NONE, EarStatus.AFFIRMING, EarStatus.WARNING,
               EarStatus.CONTRAINDICATED)


@dataclass(frozen=True, slots=True)
class TrustVector:
    """AR4SI trustworthiness vector; ``0`` means "no claim" for a category."""

    instance_identity: int = 0
    configuration: int = 0
    executables: int = 0
    file_system: int = 0
    hardware: int = 0
    runtime_opaque: int = 0
    storage_opaque: int = 0
    sourced_data: int = 0

    def __post_init__(self) -> None:
        for value in self.values():
            ar4si_tier(value)

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, c.value.replace("-", "_")) for c in Category)

    def as_ear(self) -> dict[str, int]:
        """The ``ear.trustworthiness-vector`` map, omitting no-claim categories."""
        return {c.value: v for c, v in zip(Category, self.values(), strict=True) if v != 0}

    @property
    def status(self) -> EarStatus:
        """The worst tier among the categories."""
        tiers = [ar4si_tier(v) for v in self.values()]
        return max(tiers, key=_TIER_ORDER.index, default=EarStatus.NONE)

    @classmethod
    def from_claims(cls, claims: Iterable[Claim]) -> TrustVector:
        """Derive the vector: per category, the worst non-skipped claim sets the value."""
        worst: dict[Category, Claim] = {}
        for claim in claims:
            if claim.category is None or claim.status is ClaimStatus.SKIP:
                continue
            held = worst.get(claim.category)
            if held is None or _severity(claim) > _severity(held):
                worst[claim.category] = claim
        fields = {}
        for category, claim in worst.items():
            p, w, u, f = _VALUES[category]
            if claim.crypto and claim.status is ClaimStatus.FAIL:
                value = _CRYPTO_FAILED
            else:
                value = {ClaimStatus.PASS: p, ClaimStatus.WARN: w, ClaimStatus.UNKNOWN: u,
                         ClaimStatus.FAIL: f}[claim.status]
            fields[category.value.replace("-", "_")] = value
        return cls(**fields)


def _severity(claim: Claim) -> int:
    return _RANK[claim.status] + (1 if claim.crypto and claim.status is ClaimStatus.FAIL else 0)


def _cap_dict(cap: LevelCap) -> dict[str, Any]:
    return {"source": cap.source, "level": cap.level, "reason": cap.reason}


def _identity_dict(ident: DeviceIdentity) -> dict[str, Any]:
    return {k: getattr(ident, k) for k in ("vendor_id", "device_id", "subsystem_vendor_id",
                                           "subsystem_id", "class_code", "hw_identity")}


@dataclass(frozen=True, slots=True)
class AppraisalResult:
    """Everything the appraiser concluded about one device, and why.

    ``evidence_generation`` and ``nonce`` bind the result to the evidence that was
    appraised: the agent must refuse to accept if either has moved since. ``trust_level``
    is the decided level; ``qualified_level`` the highest level whose requirements all
    passed before policy caps; ``capped_by`` the cap that set ``trust_level``.
    ``run_allowed`` says whether policy lets the agent move the TDI to RUN (true for an
    attested device held low, the NVMe example).
    """

    device: str
    identity: DeviceIdentity
    device_class: str
    policy_id: str
    mode: str
    level_set: int
    trust_level: int
    target_level: int
    qualified_level: int
    capped_by: LevelCap
    caps: tuple[LevelCap, ...]
    run_allowed: bool
    claims: tuple[Claim, ...]
    evidence_generation: int
    nonce: bytes
    appraised_at: datetime
    verifier: str = "devtrust"
    schema_version: int = RESULT_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.appraised_at.tzinfo is None:
            raise ValueError("appraised_at must be timezone-aware")
        for name in ("trust_level", "target_level", "qualified_level"):
            if not 0 <= getattr(self, name) <= 4:
                raise ValueError(f"{name} must be a trust level 0..4")
        if self.trust_level > self.qualified_level:
            raise ValueError("trust_level cannot exceed qualified_level")
        if not isinstance(self.claims, tuple) or not isinstance(self.caps, tuple):
            raise TypeError("claims and caps are tuples")

    @property
    def trust_vector(self) -> TrustVector:
        return TrustVector.from_claims(self.claims)

    @property
    def status(self) -> EarStatus:
        return self.trust_vector.status

    def claim(self, name: str) -> Claim:
        """The claim called ``name`` (``KeyError`` if absent)."""
        for c in self.claims:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object (schema/result-v1.json)."""
        return {
            "schema_version": self.schema_version,
            "verifier": self.verifier,
            "device": self.device,
            "identity": _identity_dict(self.identity),
            "device_class": self.device_class,
            "policy_id": self.policy_id,
            "mode": self.mode,
            "level_set": self.level_set,
            "trust_level": self.trust_level,
            "target_level": self.target_level,
            "qualified_level": self.qualified_level,
            "capped_by": _cap_dict(self.capped_by),
            "caps": [_cap_dict(c) for c in self.caps],
            "run_allowed": self.run_allowed,
            "status": self.status.value,
            "trust_vector": self.trust_vector.as_ear(),
            "evidence_generation": self.evidence_generation,
            "nonce": self.nonce.hex(),
            "appraised_at": self.appraised_at.astimezone(UTC).isoformat().replace(
                "+00:00", "Z"),
            "claims": [{
                "name": c.name, "status": c.status.value, "reason": c.reason,
                "evidence_pointer": c.evidence_pointer,
                "category": c.category.value if c.category else None,
                "details": dict(c.details), "crypto": c.crypto,
            } for c in self.claims],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Deterministic JSON (sorted keys) of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppraisalResult:
        """Rebuild a result from :meth:`to_dict` output (schema version 1 only)."""
        if data.get("schema_version") != RESULT_SCHEMA_VERSION:
            raise ValueError(f"unsupported result schema_version {data.get('schema_version')!r}")

        def cap(d: Mapping[str, Any]) -> LevelCap:
            return LevelCap(d["source"], d["level"], d["reason"])

        claims = tuple(Claim(
            c["name"], ClaimStatus(c["status"]), c["reason"], c["evidence_pointer"],
            Category(c["category"]) if c["category"] else None,
            tuple(sorted(c["details"].items())), c["crypto"]) for c in data["claims"])
        at = datetime.fromisoformat(data["appraised_at"].replace("Z", "+00:00"))
        return cls(data["device"], DeviceIdentity(**data["identity"]), data["device_class"],
                   data["policy_id"], data["mode"], data["level_set"], data["trust_level"],
                   data["target_level"], data["qualified_level"], cap(data["capped_by"]),
                   tuple(cap(c) for c in data["caps"]), data["run_allowed"], claims,
                   data["evidence_generation"], bytes.fromhex(data["nonce"]), at,
                   data["verifier"], data["schema_version"])

    def ear_claims(self) -> dict[str, Any]:
        """EAR claims-set (draft-ietf-rats-ear) for this one device as a submodule."""
        return {
            "eat_profile": "tag:github.com,2023:veraison/ear",
            "iat": int(self.appraised_at.timestamp()),
            "ear.verifier-id": {"developer": "devtrust", "build": self.verifier},
            "submods": {self.device: {
                "ear.status": self.status.value,
                "ear.trustworthiness-vector": self.trust_vector.as_ear(),
                "ear.appraisal-policy-id": self.policy_id,
                "devtrust.trust-level": self.trust_level,
                "devtrust.capped-by": self.capped_by.source,
                "devtrust.evidence-generation": self.evidence_generation,
                "devtrust.nonce": self.nonce.hex(),
            }},
        }

    def to_ear_jwt(self, signing_key: Any) -> str:
        """This result as a compact JWS (ES256/ES384), see :mod:`devtrust.appraise.ear`."""
        from devtrust.appraise.ear import sign_ear_jwt

        return sign_ear_jwt(self.ear_claims(), signing_key)


def build_result(device: str, identity: DeviceIdentity, cls: PolicyClass, decision: Decision,
                 *, evidence_generation: int, nonce: bytes, at: datetime,
                 verifier: str = "devtrust") -> AppraisalResult:
    """Assemble the result for one device from its policy class and decision."""
    return AppraisalResult(
        device, identity, cls.name, cls.policy_id, cls.mode, cls.level_set, decision.level,
        cls.target_level, decision.qualified_level, decision.capped_by, decision.caps,
        decision.run_allowed, decision.claims, evidence_generation, nonce, at, verifier)
