# SPDX-License-Identifier: BSD-3-Clause
"""Per-check claims: the unit every appraisal result and trust decision is built from.

A :class:`Claim` names one check, says how it came out (:class:`ClaimStatus`), why, and
where in the evidence it looked (``evidence_pointer``, a JSON pointer into the evidence
bundle such as ``/objects/measurements/index/3``). Each claim also names the AR4SI
trustworthiness category it informs (:class:`Category`), so the trust vector is derived
from the claims and never set by hand.

Claim names are dotted and start with a family prefix that policy requirements refer to:
``chain.``, ``signature.``, ``measurement.``, ``report.``, ``binding.``, ``tsm.``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from devtrust.appraise.checks import CheckResult

__all__ = ["Category", "Claim", "ClaimStatus", "LevelCap", "binding_claims", "claims_from_checks",
           "family"]


class ClaimStatus(StrEnum):
    """How a check came out.

    ``unknown`` means "the verifier could not tell" (e.g. firmware with no reference
    value); it is a first-class outcome that policy decides on, never an exception.
    ``skip`` means the check did not apply or was disabled by policy.
    """

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    UNKNOWN = "unknown"


class Category(StrEnum):
    """AR4SI trustworthiness-vector categories (landscape.md Appendix A)."""

    INSTANCE_IDENTITY = "instance-identity"
    CONFIGURATION = "configuration"
    EXECUTABLES = "executables"
    FILE_SYSTEM = "file-system"
    HARDWARE = "hardware"
    RUNTIME_OPAQUE = "runtime-opaque"
    STORAGE_OPAQUE = "storage-opaque"
    SOURCED_DATA = "sourced-data"


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of one named check.

    ``details`` is a tuple of ``(key, value)`` string pairs for machine-readable context
    (expected/observed values); ``crypto`` marks a cryptographic-validation failure, which
    AR4SI reports with the dedicated value 99.
    """

    name: str
    status: ClaimStatus
    reason: str
    evidence_pointer: str = ""
    category: Category | None = None
    details: tuple[tuple[str, str], ...] = ()
    crypto: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a claim needs a name")
        if not isinstance(self.status, ClaimStatus):
            raise TypeError("status must be a ClaimStatus")
        if not isinstance(self.details, tuple):
            raise TypeError("details must be a tuple of (key, value) pairs")
        if self.evidence_pointer and not self.evidence_pointer.startswith("/"):
            raise ValueError("evidence_pointer is a JSON pointer and starts with '/'")

    @property
    def family(self) -> str:
        """The name's first dotted component (``measurement`` for ``measurement[3]``)."""
        return family(self.name)

    @property
    def is_satisfied(self) -> bool:
        """Pass, or warn (a warning never blocks by itself; strict mode decides, see decide)."""
        return self.status in (ClaimStatus.PASS, ClaimStatus.WARN)

    def with_status(self, status: ClaimStatus, note: str) -> Claim:
        """A copy with another status; ``note`` is appended to the reason to say why."""
        return Claim(self.name, status, f"{self.reason} [{note}]", self.evidence_pointer,
                     self.category, self.details, self.crypto)

    def __str__(self) -> str:
        where = f" @{self.evidence_pointer}" if self.evidence_pointer else ""
        return f"{self.status.value.upper():7} {self.name}{where}: {self.reason}"


def family(name: str) -> str:
    """Family prefix of a claim name: text before the first ``.`` or ``[``."""
    for i, ch in enumerate(name):
        if ch in ".[":
            return name[:i]
    return name


def claims_from_checks(prefix: str, checks: Iterable[CheckResult], *,
                       category: Category, pointer: str = "",
                       crypto: bool = False) -> tuple[Claim, ...]:
    """Adapt chain/signature :class:`CheckResult` items into claims named ``prefix.<name>``.

    A failed check becomes ``fail`` (with ``crypto`` set when the caller says these are
    cryptographic checks, so AR4SI reports 99); a passed one ``pass``.
    """
    out = []
    for check in checks:
        sub = f"{pointer}/{check.subject}" if pointer and check.subject else pointer
        name = check.name if check.name.startswith(prefix + ".") else f"{prefix}.{check.name}"
        out.append(Claim(name, ClaimStatus.PASS if check.ok else ClaimStatus.FAIL,
                         check.reason, sub.replace("[", "/").replace("]", ""), category,
                         (("subject", check.subject),) if check.subject else (),
                         crypto and not check.ok))
    return tuple(out)


def binding_claims(*, expected_nonce: bytes | None, signed_nonce: bytes | None,
                   generation: int, generation_now: int | None = None) -> tuple[Claim, ...]:
    """``binding.nonce`` and ``binding.generation``: the evidence is fresh and did not move.

    ``expected_nonce`` is the nonce the relying party supplied, ``signed_nonce`` the one
    found in the signed measurements (``None`` when unsigned); ``generation_now`` is the
    evidence generation re-read after appraisal (``None`` = not re-read: skip).
    """
    if expected_nonce is None:
        nonce = Claim("binding.nonce", ClaimStatus.SKIP, "no relying-party nonce was supplied",
                      "/evidence/nonce", Category.INSTANCE_IDENTITY)
    elif signed_nonce is None:
        nonce = Claim("binding.nonce", ClaimStatus.FAIL, "the nonce is not covered by a "
                      "signature", "/evidence/nonce", Category.INSTANCE_IDENTITY)
    elif hmac.compare_digest(expected_nonce, signed_nonce):
        nonce = Claim("binding.nonce", ClaimStatus.PASS, "signed measurements carry our nonce",
                      "/evidence/nonce", Category.INSTANCE_IDENTITY)
    else:
        nonce = Claim("binding.nonce", ClaimStatus.FAIL, "signed nonce differs from ours "
                      "(replayed or stale evidence)", "/evidence/nonce",
                      Category.INSTANCE_IDENTITY, crypto=True)
    if generation <= 0:
        gen = Claim("binding.generation", ClaimStatus.FAIL, "evidence generation 0 means no "
                    "evidence", "/evidence/generation", Category.INSTANCE_IDENTITY)
    elif generation_now is None:
        gen = Claim("binding.generation", ClaimStatus.SKIP, f"generation {generation} not "
                    "re-read", "/evidence/generation", Category.INSTANCE_IDENTITY)
    elif generation_now != generation:
        gen = Claim("binding.generation", ClaimStatus.FAIL, f"evidence moved from generation "
                    f"{generation} to {generation_now} during appraisal",
                    "/evidence/generation", Category.INSTANCE_IDENTITY)
    else:
        gen = Claim("binding.generation", ClaimStatus.PASS, f"generation {generation} stable",
                    "/evidence/generation", Category.INSTANCE_IDENTITY)
    return nonce, gen


@dataclass(frozen=True, slots=True)
class LevelCap:
    """One reason the trust level is no higher: ``level`` is the ceiling it imposes.

    ``source`` names what imposed it: a claim or requirement (``requirement:chain``), a
    policy statement (``policy:class[nvme].hold_at``) or a provider ceiling
    (``provider:link``).
    """

    source: str
    level: int
    reason: str

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError("a cap needs a source")
        if not 0 <= self.level <= 4:
            raise ValueError("trust levels are 0..4")

    def __str__(self) -> str:
        return f"<= {self.level} by {self.source}: {self.reason}"
