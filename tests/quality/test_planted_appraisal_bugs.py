# SPDX-License-Identifier: BSD-3-Clause
"""Planted bugs: remove one defence and the fault-catalogue test for it must fail.

Each case monkeypatches one check to be lenient (a signature that always verifies, any
root accepted as anchor, a report rule switched off, no SVN minimum, a TSM that forgets
the nonces it saw, a kernel that never hears of hardware ERROR), runs the *same* case and
check as ``test_attack_catalogue`` and requires the check to raise AssertionError. Where
nothing else stands in the way the faulty device must then reach TCB (the defence was
the only one); where a second, independent defence still holds the device below TCB that
is asserted too, so the table documents the defence in depth.

Finally every check of a rejecting fault is run against a victim that reaches TCB and
must fail there: no catalogue check passes vacuously.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from attack_helpers import (
    AttackCase,
    AttackRun,
    assert_control_at_tcb,
    assert_never_tcb,
    execute,
)
from test_attack_catalogue import CASES, CASES_BY_ID, check_error_in_run, clean_run

import devtrust.appraise.chain as chain_mod
import devtrust.appraise.engine as engine_mod
import devtrust.appraise.measurements_check as meas_mod
from devtrust.appraise.report_check import ReportRules
from devtrust.hw.faults import Fault
from devtrust.platform.emulated import EmulatedPlatform

Planter = Callable[[pytest.MonkeyPatch], None]


# -- the planted bugs ---------------------------------------------------------------------------


def signature_always_verifies(mp: pytest.MonkeyPatch) -> None:
    real = engine_mod.verify_measurement_transcript

    def lenient(*args: Any, **kwargs: Any) -> Any:
        tv = real(*args, **kwargs)
        return SimpleNamespace(evidence=tv.evidence, signature_valid=True,
                               reason="planted: signature not checked")
    mp.setattr(engine_mod, "verify_measurement_transcript", lenient)


def chain_check_always_passes(*names: str) -> Planter:
    """validate_chain reports the named checks (``anchor``, ``validity``) as passed."""
    def plant(mp: pytest.MonkeyPatch) -> None:
        real = engine_mod.validate_chain

        def lenient(*args: Any, **kwargs: Any) -> Any:
            verdict = real(*args, **kwargs)
            checks = tuple(dataclasses.replace(c, ok=True) if c.name in names else c
                           for c in verdict.checks)
            return dataclasses.replace(verdict, checks=checks,
                                       ok=all(c.ok for c in checks))
        mp.setattr(engine_mod, "validate_chain", lenient)
    return plant


def leaf_profile_not_checked(mp: pytest.MonkeyPatch) -> None:
    real = chain_mod.check_leaf

    def lenient(*args: Any, **kwargs: Any) -> Any:
        checks, facts = real(*args, **kwargs)
        return tuple(dataclasses.replace(c, ok=True) for c in checks), facts
    mp.setattr(chain_mod, "check_leaf", lenient)


def report_rule_off(rule: str) -> Planter:
    def plant(mp: pytest.MonkeyPatch) -> None:
        real = ReportRules.level

        def lenient(self: ReportRules, name: str) -> Any:
            return "off" if name == rule else real(self, name)
        mp.setattr(ReportRules, "level", lenient)
    return plant


def no_svn_minimum(mp: pytest.MonkeyPatch) -> None:
    real = meas_mod._judge

    def lenient(block: Any, ref: Any) -> Any:
        if ref.svn_min is not None:
            ref = dataclasses.replace(ref, svn_min=0)
        return real(block, ref)
    mp.setattr(meas_mod, "_judge", lenient)


class _Forgetful(dict[Any, set[bytes]]):
    """A nonce history that never remembers anything."""

    def setdefault(self, key: Any, default: Any = None) -> set[bytes]:
        return set()


def tsm_forgets_nonces(mp: pytest.MonkeyPatch) -> None:
    real = EmulatedPlatform.__init__

    def init(self: EmulatedPlatform, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        self.machine.devsec._nonces = _Forgetful()
    mp.setattr(EmulatedPlatform, "__init__", init)


def kernel_blind_to_hardware(mp: pytest.MonkeyPatch) -> None:
    """Hardware events are drained but never fed to the kernel (no ERROR -> trust 0)."""
    def poll(self: EmulatedPlatform) -> None:
        self.machine.poll_events()
        self._sync_evidence()
    mp.setattr(EmulatedPlatform, "poll_hardware", poll)


# -- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    name: str
    plant: Planter
    case: str                         # an id of test_attack_catalogue.CASES
    reaches_tcb: bool                 # False: a second defence still holds the device
    note: str = ""


PLANTED: tuple[Planted, ...] = (
    Planted("signature-always-verifies", signature_always_verifies,
            "wrong-signing-key-default", True),
    Planted("signature-always-verifies", signature_always_verifies,
            "nonce-not-echoed-default", True,
            "the agent supplies no nonce: binding.nonce is skip, the signature is all there is"),
    Planted("anchor-always-pinned", chain_check_always_passes("anchor"),
            "unknown-root-default", True),
    Planted("validity-not-checked", chain_check_always_passes("validity"),
            "expired-cert-default", True),
    Planted("validity-not-checked", chain_check_always_passes("validity"),
            "not-yet-valid-cert-default", True),
    Planted("leaf-profile-not-checked", leaf_profile_not_checked,
            "leaf-without-profile-requester-only-eku", True),
    Planted("leaf-profile-not-checked", leaf_profile_not_checked,
            "leaf-without-profile-leaf-is-ca", True),
    # (The RootHash check is no longer the only defence against digest-mismatch
    # root-hash: the link TSM's DIGESTS check refuses the device at connect; the
    # appraiser's RootHash check is covered by tests/appraise/test_chain.py.)
    Planted("no-svn-minimum", no_svn_minimum, "firmware-downgrade-same-version-lower-svn", True),
    Planted("no-svn-minimum", no_svn_minimum, "firmware-downgrade-default", False,
            "older firmware also has unknown digests: gpu-unknown-firmware caps it at 1"),
    Planted("overlap-rule-off", report_rule_off("range_overlap"),
            "report-overlapping-ranges-default", False,
            "the kernel's report parser still refuses RUN (EINVAL)"),
    Planted("in-bar-rule-off", report_rule_off("range_in_bar"),
            "report-range-outside-bar-default", False,
            "the kernel's report parser still refuses RUN (EINVAL)"),
    Planted("coverage-rule-off", report_rule_off("bar_coverage"),
            "report-missing-range-default", True),
    Planted("msix-lock-rule-off", report_rule_off("msix_lock"),
            "report-msix-as-tee-default", True),
    Planted("tsm-forgets-nonces", tsm_forgets_nonces, "repeated-start-nonce-default", True),
)
# kernel-blind-to-hardware is not in the table: error-at-step "run" fires inside the START
# exchange, and the platform's accept already sees the TDI is not in RUN, so that case
# holds without the kernel's ERROR handling. The trust-drop defence proper is planted
# against check_error_in_run below.


def _case(planted: Planted) -> AttackCase:
    return CASES_BY_ID[planted.case]


@pytest.mark.parametrize("planted", PLANTED, ids=[f"{p.name}:{p.case}" for p in PLANTED])
def test_planted_bug_fails_the_catalogue_test(planted: Planted,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(planted)
    planted.plant(monkeypatch)
    run = execute(case)
    assert_control_at_tcb(run)   # the planted bug is lenient, not broken
    with pytest.raises(AssertionError):
        case.check(run)
    if planted.reaches_tcb:
        _assert_victim_at_tcb(run)
    else:
        assert_never_tcb(run)


def _assert_victim_at_tcb(run: AttackRun) -> None:
    for bdf in run.victims:
        assert run.in_run(bdf) and run.trust(bdf) == run.tcb, (
            f"{bdf}: trust {run.trust(bdf)}, RUN {run.in_run(bdf)}")


def test_planted_kernel_blindness_fails_the_trust_drop_test(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kernel_blind_to_hardware(monkeypatch)
    run = clean_run()
    with pytest.raises(AssertionError, match=r"assert \(?4 == 0"):
        check_error_in_run(run)


def test_every_planted_case_is_a_catalogue_case() -> None:
    assert {p.case for p in PLANTED} <= set(CASES_BY_ID)


_HARMLESS = CASES_BY_ID["busy-default"]   # the victim rides the fault out and ends at TCB
_RETRY = {Fault.BUSY, Fault.NOT_READY}


@pytest.mark.parametrize("case", [c for c in CASES if c.fault not in _RETRY],
                         ids=[c.id for c in CASES if c.fault not in _RETRY])
def test_check_fails_when_the_device_is_accepted(case: AttackCase) -> None:
    """No catalogue check can pass vacuously: run against a victim that reaches TCB (a
    retry fault it rides out), every check of a rejecting fault must fail."""
    run = execute(_HARMLESS)
    with pytest.raises(AssertionError):
        case.check(run)
