# SPDX-License-Identifier: BSD-3-Clause
"""Trust-level decisions, including the four statements of the default policy."""

from __future__ import annotations

import pytest

from devtrust.appraise.claims import Category, Claim, ClaimStatus
from devtrust.appraise.decide import DecisionContext, apply_mode, decide, provider_ceiling
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.policy import DEFAULT_POLICY, load_policy, parse_policy

GPU = DeviceIdentity(0x10DE, 0x2330)
NVME = DeviceIdentity(0x144D, 0xA80A, class_code=0x010802)
STRANGER = DeviceIdentity(0x1234, 0x5678)
DEVSEC_LOCKED = DecisionContext("devsec", "locked")



def good_claims(*, firmware: ClaimStatus = ClaimStatus.PASS,
                report: ClaimStatus = ClaimStatus.PASS) -> tuple[Claim, ...]:
    return (
        Claim("chain.path", ClaimStatus.PASS, "ok", "/objects/cert0", Category.HARDWARE),
        Claim("signature.measurements", ClaimStatus.PASS, "ok", "/objects/measurements",
              Category.INSTANCE_IDENTITY),
        Claim("measurement.reference", ClaimStatus.PASS, "refs", "/objects/measurements",
              Category.EXECUTABLES),
        Claim("measurement[1]", firmware, "digest", "/objects/measurements/index/1",
              Category.EXECUTABLES),
        Claim("report.range_in_bar", report, "ranges", "/objects/report",
              Category.CONFIGURATION),
    )


@pytest.fixture(scope="module")
def policy():
    return load_policy(DEFAULT_POLICY)


# --- the four statements --------------------------------------------------------------------

def test_statement_gpu_at_tcb_when_firmware_known(policy) -> None:
    d = decide(good_claims(), policy.for_device(GPU), DEVSEC_LOCKED)
    assert (d.level, d.qualified_level) == (4, 4)
    assert d.capped_by.source == "policy:class[gpu-model-x].target_level"
    assert d.run_allowed


def test_statement_gpu_with_unknown_firmware_is_not_tcb(policy) -> None:
    d = decide(good_claims(firmware=ClaimStatus.UNKNOWN), policy.for_device(GPU), DEVSEC_LOCKED)
    assert d.level == 1
    assert d.capped_by.source == "policy:cap[gpu-unknown-firmware]"
    assert any(c.source == "requirement:measurements_known" for c in d.caps)
    assert not d.run_allowed


def test_statement_nvme_attested_in_run_but_held_at_1(policy) -> None:
    d = decide(good_claims(), policy.for_device(NVME), DecisionContext("devsec", "run"))
    assert d.qualified_level == 4 and d.level == 1
    assert d.capped_by.source == "policy:class[nvme].hold_at"
    assert d.run_allowed  # the agent still moves it to RUN


def test_statement_nvme_not_attested_gets_0(policy) -> None:
    d = decide(good_claims(report=ClaimStatus.FAIL), policy.for_device(NVME), DEVSEC_LOCKED)
    assert d.level == 0
    assert d.capped_by.source == "policy:class[nvme].require_level"
    assert "report.range_in_bar is fail" in d.capped_by.reason
    assert not d.run_allowed


def test_statement_never_above_2_without_tsm(policy) -> None:
    d = decide(good_claims(), policy.for_device(GPU), DecisionContext("none"))
    assert d.level == 2
    assert d.capped_by.source == "policy:cap[no-tsm]"
    assert any(c.source == "provider:none" and c.level == 2 for c in d.caps)


def test_statement_unknown_devices_0(policy) -> None:
    d = decide(good_claims(), policy.for_device(STRANGER), DEVSEC_LOCKED)
    assert d.level == 0
    assert d.capped_by.source == "policy:unknown_devices"
    assert "unknown devices" in d.capped_by.reason


# --- mechanics ------------------------------------------------------------------------------

def test_requirements_are_cumulative_and_first_failure_caps(policy) -> None:
    claims = tuple(c if c.family != "chain" else c.with_status(ClaimStatus.FAIL, "bad")
                   for c in good_claims())
    d = decide(claims, policy.for_device(GPU), DEVSEC_LOCKED)
    assert d.level == 1 and d.qualified_level == 1
    assert d.capped_by.source == "requirement:chain"
    assert "level 2 (DMA) needs chain" in d.capped_by.reason


def test_missing_claim_family_does_not_satisfy(policy) -> None:
    claims = tuple(c for c in good_claims() if c.family != "report")
    d = decide(claims, policy.for_device(GPU), DEVSEC_LOCKED)
    assert d.level == 3
    assert d.capped_by.source == "requirement:report"
    assert "no report claims" in d.capped_by.reason


def test_tcb_needs_locked_or_run_state(policy) -> None:
    d = decide(good_claims(), policy.for_device(GPU), DecisionContext("devsec", "unlocked"))
    assert d.level == 3 and d.capped_by.source == "requirement:tdisp_locked_or_run"


def test_link_tsm_ceiling_3(policy) -> None:
    d = decide(good_claims(), policy.for_device(GPU), DecisionContext("link", "none", True))
    assert d.level == 3
    assert d.capped_by.source in ("provider:link", "requirement:tsm_devsec")


def test_link_level_needs_link_protection(policy) -> None:
    d = decide(good_claims(), policy.for_device(GPU), DecisionContext("link", "none", False))
    assert d.level == 2 and d.capped_by.source == "requirement:link_protected"


@pytest.mark.parametrize(("kind", "five", "four"), [("none", 2, 2), ("link", 3, 2),
                                                    ("devsec", 4, 3)])
def test_provider_ceilings(kind: str, five: int, four: int) -> None:
    assert provider_ceiling(kind, 5) == five and provider_ceiling(kind, 4) == four


RELAXABLE_POLICY = """
version: 1
id: relaxed-test
mode: {mode}
relaxable: ["report.*"]
classes:
  - {{name: gpu, match: {{vendor_id: 0x10de}}, target_level: 4}}
"""


def test_strict_vs_relaxed_mode() -> None:
    claims = good_claims(report=ClaimStatus.FAIL)
    strict = parse_policy("s.yaml", RELAXABLE_POLICY.format(mode="strict")).for_device(GPU)
    relaxed = parse_policy("r.yaml", RELAXABLE_POLICY.format(mode="relaxed")).for_device(GPU)
    assert decide(claims, strict, DEVSEC_LOCKED).level == 3
    d = decide(claims, relaxed, DEVSEC_LOCKED)
    assert d.level == 4
    assert next(c for c in d.claims if c.family == "report").status is ClaimStatus.WARN


def test_strict_mode_warning_blocks_but_relaxed_does_not() -> None:
    claims = good_claims(report=ClaimStatus.WARN)
    strict = parse_policy("s.yaml", RELAXABLE_POLICY.format(mode="strict")).for_device(GPU)
    relaxed = parse_policy("r.yaml", RELAXABLE_POLICY.format(mode="relaxed")).for_device(GPU)
    assert decide(claims, strict, DEVSEC_LOCKED).level == 3
    assert decide(claims, relaxed, DEVSEC_LOCKED).level == 4


def test_relaxed_mode_never_relaxes_crypto_failures() -> None:
    cls = parse_policy("r.yaml", RELAXABLE_POLICY.format(mode="relaxed")
                       .replace('"report.*"', '"signature.*"')).for_device(GPU)
    bad = Claim("signature.measurements", ClaimStatus.FAIL, "bad sig", crypto=True)
    assert apply_mode((bad,), cls) == (bad,)


def test_level_set_4() -> None:
    text = """
version: 1
id: four
level_set: 4
classes: [{name: gpu, match: {vendor_id: 0x10de}, target_level: 3}]
"""
    cls = parse_policy("4.yaml", text).for_device(GPU)
    assert decide(good_claims(), cls, DEVSEC_LOCKED).level == 3
    assert decide(good_claims(), cls, DecisionContext("link", "none", True)).level == 2


def test_requirement_override_per_class() -> None:
    text = """
version: 1
id: override
classes:
  - name: gpu
    match: {vendor_id: 0x10de}
    target_level: 4
    requirements: {4: [chain, signature, measurements_ok, tsm_devsec, tdisp_run]}
"""
    cls = parse_policy("o.yaml", text).for_device(GPU)
    claims = tuple(c for c in good_claims(firmware=ClaimStatus.UNKNOWN) if c.family != "report")
    assert decide(claims, cls, DecisionContext("devsec", "run")).level == 4
    assert decide(claims, cls, DEVSEC_LOCKED).capped_by.source == "requirement:tdisp_run"


def test_every_cap_is_explained(policy) -> None:
    d = decide(good_claims(), policy.for_device(NVME), DecisionContext("none"))
    assert d.caps and all(c.reason for c in d.caps)
    assert d.level == min(c.level for c in d.caps)
