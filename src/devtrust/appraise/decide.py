# SPDX-License-Identifier: BSD-3-Clause
"""The trust-level decision: the highest level whose requirements pass, then every cap.

1. In relaxed mode, failing claims named in the policy's ``relaxable`` list become
   warnings (never cryptographic failures).
2. ``qualified_level`` = the highest level L such that every requirement of levels 1..L is
   met (requirements are cumulative; level 0 and, by default, 1 need nothing).
3. Caps, each a :class:`LevelCap` with its source, in this order: the class target level;
   the class ``hold_at``; every policy cap whose ``when`` holds; the provider ceiling
   (trust-model.md §2.3: no TSM = native SPDM -> 2, link TSM -> 3, devsec TSM -> 4;
   level set 4: 2, 2, 3); the first unmet requirement; a class ``require_level`` that was
   not qualified for (then the level is 0).
4. ``level`` = the lowest cap; ``capped_by`` = the first cap in that order at that level,
   so an intentional policy statement is named before an incidental failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from devtrust.appraise.claims import Claim, ClaimStatus, LevelCap
from devtrust.appraise.policy import LEVEL_NAMES, CapModel, PolicyClass

__all__ = ["Decision", "DecisionContext", "RequirementOutcome", "apply_mode", "decide",
           "evaluate_requirement", "provider_ceiling"]

TsmKind = Literal["none", "link", "devsec"]


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """Facts about the platform that are not claims: which TSM, TDISP state, link security.

    ``link_protected`` is true when IDE (or another TSM assurance) protects the link; a
    devsec TSM implies it (TDISP runs over the TSM's secure session).
    """

    tsm_kind: TsmKind = "none"
    tdisp_state: Literal["unlocked", "locked", "run", "error", "none"] = "none"
    link_protected: bool = False


@dataclass(frozen=True, slots=True)
class RequirementOutcome:
    """Whether one requirement is met, and why (never a bare bool, STYLE 12)."""

    name: str
    met: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The decided level, every cap that applied and the claims as the mode left them."""

    level: int
    qualified_level: int
    target_level: int
    capped_by: LevelCap
    caps: tuple[LevelCap, ...]
    run_allowed: bool
    claims: tuple[Claim, ...]
    requirements: tuple[RequirementOutcome, ...]


def provider_ceiling(tsm_kind: str, level_set: int) -> int:
    """Highest level a provider can grant (Dan 2026-03-23; Jason's 4-level mapping)."""
    if level_set == 5:
        return {"none": 2, "link": 3, "devsec": 4}[tsm_kind]
    return {"none": 2, "link": 2, "devsec": 3}[tsm_kind]


def apply_mode(claims: Sequence[Claim], cls: PolicyClass) -> tuple[Claim, ...]:
    """Relaxed mode: failing, non-crypto claims matching ``relaxable`` become warnings.

    A ``relaxable`` entry matches a claim name exactly, or as a prefix when it ends in
    ``*`` (``report.*``).
    """
    if cls.mode != "relaxed":
        return tuple(claims)

    def relaxable(name: str) -> bool:
        return any(name == p or (p.endswith("*") and name.startswith(p[:-1]))
                   for p in cls.relaxable)

    return tuple(c.with_status(ClaimStatus.WARN, "relaxed mode")
                 if c.status is ClaimStatus.FAIL and not c.crypto and relaxable(c.name) else c
                 for c in claims)


_FAMILY = {"chain": "chain", "signature": "signature", "measurements_known": "measurement",
           "measurements_ok": "measurement", "report": "report", "binding": "binding"}


def evaluate_requirement(name: str, claims: Sequence[Claim], ctx: DecisionContext,
                         strict: bool) -> RequirementOutcome:
    """Evaluate one named requirement against the claims and context."""
    if name in _FAMILY:
        fam = _FAMILY[name]
        relevant = [c for c in claims if c.family == fam and c.status is not ClaimStatus.SKIP]
        if not relevant:
            return RequirementOutcome(name, False, f"no {fam} claims were produced")
        bad_status = {ClaimStatus.FAIL}
        if name != "measurements_ok":
            bad_status.add(ClaimStatus.UNKNOWN)
        if strict:
            bad_status.add(ClaimStatus.WARN)
        bad = [c for c in relevant if c.status in bad_status]
        if bad:
            first = bad[0]
            more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
            return RequirementOutcome(
                name, False, f"{first.name} is {first.status.value}: {first.reason}{more}")
        return RequirementOutcome(name, True, f"{len(relevant)} {fam} claim(s) satisfied")
    facts = {
        "link_protected": (ctx.link_protected or ctx.tsm_kind == "devsec",
                           "the link is not protected (no IDE / TSM assurance)"),
        "tsm_link": (ctx.tsm_kind in ("link", "devsec"), "no TSM is present"),
        "tsm_devsec": (ctx.tsm_kind == "devsec", f"TSM kind is {ctx.tsm_kind}, not devsec"),
        "tdisp_locked_or_run": (ctx.tdisp_state in ("locked", "run"),
                                f"TDISP state is {ctx.tdisp_state}, not LOCKED or RUN"),
        "tdisp_run": (ctx.tdisp_state == "run", f"TDISP state is {ctx.tdisp_state}, not RUN"),
    }
    if name not in facts:
        return RequirementOutcome(name, False, f"unknown requirement {name!r}")
    met, why_not = facts[name]
    return RequirementOutcome(name, met, f"{name} holds" if met else why_not)


def _cap_applies(cap: CapModel, claims: Sequence[Claim], ctx: DecisionContext) -> bool:
    w = cap.when
    if w.tsm_kind is not None and ctx.tsm_kind not in w.tsm_kind:
        return False
    if w.tdisp_state is not None and ctx.tdisp_state not in w.tdisp_state:
        return False
    if w.link_protected is not None and (
            ctx.link_protected or ctx.tsm_kind == "devsec") != w.link_protected:
        return False
    if w.firmware_unknown is not None:
        unknown = any(c.family == "measurement" and c.status is ClaimStatus.UNKNOWN
                      for c in claims)
        if unknown != w.firmware_unknown:
            return False
    return True


def decide(claims: Sequence[Claim], cls: PolicyClass, ctx: DecisionContext) -> Decision:
    """Decide the trust level for one device; every cap is explained (DESIGN principle 7)."""
    top = cls.level_set - 1
    names = LEVEL_NAMES[cls.level_set]
    claims = apply_mode(claims, cls)
    strict = cls.mode == "strict"
    outcomes: list[RequirementOutcome] = []
    qualified, unmet = 0, None
    for level in range(1, top + 1):
        results = [evaluate_requirement(r, claims, ctx, strict) for r in cls.requirements[level]]
        outcomes.extend(results)
        failed = next((r for r in results if not r.met), None)
        if failed is not None:
            unmet = LevelCap(f"requirement:{failed.name}", level - 1,
                             f"level {level} ({names[level]}) needs {failed.name}: "
                             f"{failed.reason}")
            break
        qualified = level

    caps = [LevelCap(cls.target_source, min(cls.target_level, top), cls.target_reason)]
    if cls.hold_at is not None:
        caps.append(LevelCap(f"policy:class[{cls.name}].hold_at", cls.hold_at,
                             f"class {cls.name} holds the device at {cls.hold_at}"))
    for cap in cls.caps:
        if _cap_applies(cap, claims, ctx):
            caps.append(LevelCap(f"policy:cap[{cap.name}]", cap.max_level,
                                 cap.reason or f"policy cap {cap.name}"))
    ceiling = provider_ceiling(ctx.tsm_kind, cls.level_set)
    caps.append(LevelCap(f"provider:{ctx.tsm_kind}", ceiling,
                         f"a {ctx.tsm_kind} provider can grant at most {ceiling} "
                         f"({names[ceiling]})"))
    if unmet is not None:
        caps.append(unmet)
    if cls.require_level is not None and qualified < cls.require_level:
        why = unmet.reason if unmet else "requirements not met"
        caps.append(LevelCap(f"policy:class[{cls.name}].require_level", 0,
                             f"class {cls.name} must qualify for level {cls.require_level} "
                             f"but qualified for {qualified}: {why}"))
    level = min(c.level for c in caps)
    capped_by = next(c for c in caps if c.level == level)
    run_allowed = (cls.run_allowed and qualified >= cls.tcb_level and ctx.tsm_kind == "devsec"
                   and level > 0)
    return Decision(level, qualified, cls.target_level, capped_by, tuple(caps), run_allowed,
                    claims, tuple(outcomes))
