# SPDX-License-Identifier: BSD-3-Clause
"""Test-only machinery for the fault-catalogue tests (test_attack_catalogue.py) and the
planted-bug tests that prove those tests can fail (test_planted_appraisal_bugs.py).

Every attack runs on a two-device scenario derived from the shipped default one: the
default's host bridges, vendors, models, TSMs and drivers, one clean ``control`` GPU and
one ``victim`` device carrying exactly the fault under test. The agent runs once plus one
watch / re-validate pass, as ``devtrust run`` does; the checks then drive the platform or
the emulated hardware further where the defence only shows later (re-validation, a
forced accept, a second LOCK).

A check is a function of an :class:`AttackRun` that raises AssertionError when the
defence the catalogue names did not happen. The planted-bug tests run the same checks
with a defence removed and require them to fail.
"""

from __future__ import annotations

import copy
import errno
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from devtrust.agent.acceptance import AcceptanceAgent, DeviceOutcome
from devtrust.agent.runner import EMULATED_POLICY
from devtrust.agent.vendor import vendor_reference_values, vendor_trust_store
from devtrust.agent.watch import watch_once
from devtrust.appraise.claims import Claim, ClaimStatus
from devtrust.appraise.engine import Appraiser
from devtrust.appraise.policy import load_policy
from devtrust.hw.faults import Fault
from devtrust.hw.scenario import Scenario, parse_scenario
from devtrust.kernel.levels import tcb_level
from devtrust.platform.base import PCI_DEVICES
from devtrust.platform.emulated import EmulatedPlatform

__all__ = [
    "CONTROL",
    "DEVSEC_TSM",
    "VICTIM",
    "AttackCase",
    "AttackRun",
    "Check",
    "attack_scenario",
    "execute",
]

CONTROL = "0000:01:00.0"   # pci0 bus 1: the clean control GPU
VICTIM = "0000:02:00.0"    # pci0 bus 2: PF0 of the faulty device
DEVSEC_TSM = "tsm0"        # the guest's devsec TSM (the only TSM a cc-guest sees)

_DEFAULT: dict[str, Any] = yaml.safe_load(
    resources.files("devtrust.hw").joinpath("scenarios/default.yaml").read_text("utf-8"))


def attack_scenario(fault: Fault, params: Mapping[str, object] | None = None, *,
                    model: str = "gx-h100e") -> Scenario:
    """The default scenario cut down to a clean control GPU and one faulty ``model``."""
    data = copy.deepcopy(_DEFAULT)
    data["name"] = f"attack-{fault.value}"
    selected: dict[str, object] = {"fault": fault.value}
    if params:
        selected["params"] = dict(params)
    data["devices"] = [
        {"name": "control", "model": "gx-h100e", "host_bridge": "pci0", "bus": 0x01,
         "serial": "CTRL-0001"},
        {"name": "victim", "model": model, "host_bridge": "pci0", "bus": 0x02,
         "serial": "VICT-0001", "faults": [selected]},
    ]
    return parse_scenario(data, f"<attack {fault.value}>")


@dataclass
class AttackRun:
    """One agent run over an attack scenario, with everything a check may inspect."""

    platform: EmulatedPlatform
    agent: AcceptanceAgent
    outcomes: tuple[DeviceOutcome, ...]
    revalidated: tuple[DeviceOutcome, ...]

    @property
    def tcb(self) -> int:
        return tcb_level(self.platform.state.variant.levels)

    @property
    def final(self) -> dict[str, DeviceOutcome]:
        out = {o.device: o for o in self.outcomes}
        out.update({o.device: o for o in self.revalidated})
        return out

    @property
    def victims(self) -> tuple[str, ...]:
        """Every TDI function of the faulty device."""
        dev = self.platform.fleet.device("victim")
        return tuple(str(fn.bdf) for fn in dev.device.tdis)

    def trust(self, bdf: str) -> int:
        """The kernel's trust level for ``bdf``, read back from sysfs."""
        return int(self.platform.read(f"{PCI_DEVICES}/{bdf}/trust"))

    def in_run(self, bdf: str) -> bool:
        """``tsm/accept`` reads 1: the kernel holds the TDI in RUN."""
        try:
            return self.platform.read(f"{PCI_DEVICES}/{bdf}/tsm/accept") == "1"
        except OSError:
            return False

    def errnos(self, bdf: str, step: str) -> list[int]:
        return [e.errno for e in self.agent.journal.for_device(bdf) if e.step == step]

    def revalidate(self, bdf: str = VICTIM) -> DeviceOutcome:
        """Run the whole flow again for ``bdf`` (unlock, LOCK, evidence, appraise, accept);
        the outcome becomes the device's final one."""
        out = self.agent.accept_device(bdf, DEVSEC_TSM, "devsec")
        self.revalidated = (*self.revalidated, out)
        return out

    def write_errno(self, path: str, value: str) -> int:
        """Write a sysfs attribute directly (bypassing the agent); 0 or the errno."""
        try:
            self.platform.write(path, value)
        except OSError as exc:
            return exc.errno or errno.EIO
        return 0


Check = Callable[["AttackRun"], None]


@dataclass(frozen=True)
class AttackCase:
    """A fault with parameters, the device model carrying it and the defence check."""

    fault: Fault
    check: Check
    params: Mapping[str, object] = field(default_factory=dict)
    model: str = "gx-h100e"
    variant: str = "default"
    reason: str = ""   # for known gaps (xfail): what goes wrong

    @property
    def id(self) -> str:
        return f"{self.fault.value}-{self.variant}"

    def scenario(self) -> Scenario:
        return attack_scenario(self.fault, self.params, model=self.model)


def execute(case: AttackCase) -> AttackRun:
    """Build the platform, run the agent over every device, then one watch pass."""
    platform = EmulatedPlatform(case.scenario())
    fleet = platform.fleet
    appraiser = Appraiser(load_policy(EMULATED_POLICY), vendor_trust_store(fleet),
                          vendor_reference_values(fleet))
    agent = AcceptanceAgent(platform, appraiser, clock=lambda: fleet.now,
                            kernel_levels=tcb_level(platform.state.variant.levels) + 1)
    outcomes = agent.run()
    revalidated = watch_once(agent, DEVSEC_TSM)
    return AttackRun(platform, agent, outcomes, revalidated)


# -- assertions shared by the checks ------------------------------------------------------------

def failed_claims(outcome: DeviceOutcome) -> dict[str, Claim]:
    assert outcome.result is not None, f"{outcome.device}: no appraisal ({outcome.error})"
    return {c.name: c for c in outcome.result.claims if c.status is ClaimStatus.FAIL}


def assert_control_at_tcb(run: AttackRun) -> None:
    ctl = run.final[CONTROL]
    assert ctl.accepted and ctl.kernel_level == run.tcb, (
        f"control device not at TCB: level {ctl.kernel_level}, accepted {ctl.accepted}, "
        f"error {ctl.error!r}")
    assert run.trust(CONTROL) == run.tcb and run.in_run(CONTROL)


def assert_never_tcb(run: AttackRun, *, max_level: int | None = None) -> None:
    """No function of the faulty device is in RUN or at TCB (or above ``max_level``)."""
    ceiling = run.tcb - 1 if max_level is None else max_level
    for bdf in run.victims:
        assert not run.in_run(bdf), f"{bdf} is in RUN"
        assert run.trust(bdf) <= ceiling, f"{bdf} at trust {run.trust(bdf)} (> {ceiling})"
        out = run.final.get(bdf)
        assert out is not None and not out.accepted, f"{bdf} accepted"


def assert_reaches_tcb(run: AttackRun) -> None:
    """For retry-succeeds faults: every victim function is accepted at TCB."""
    for bdf in run.victims:
        out = run.final[bdf]
        assert out.accepted and out.kernel_level == run.tcb and not out.error, (
            f"{bdf}: level {out.kernel_level}, accepted {out.accepted}, error {out.error!r}")


def assert_claim_fails(run: AttackRun, claim: str, *, crypto: bool | None = None,
                       reason: str = "", capped_by: str | None = None) -> None:
    """Every victim function's appraisal fails ``claim`` (optionally as a crypto failure,
    with ``reason`` in its text, and with the decision capped by ``capped_by``)."""
    for bdf in run.victims:
        out = run.final[bdf]
        bad = failed_claims(out)
        assert claim in bad, f"{bdf}: {claim} did not fail; failed: {sorted(bad)}"
        if crypto is not None:
            assert bad[claim].crypto is crypto, f"{bdf}: {claim} crypto={bad[claim].crypto}"
        assert reason.lower() in bad[claim].reason.lower(), bad[claim].reason
        if capped_by is not None:
            assert out.result is not None
            assert out.result.capped_by.source == capped_by, out.result.capped_by


def assert_journal_errno(run: AttackRun, step: str, code: int, bdf: str = VICTIM) -> None:
    seen = run.errnos(bdf, step)
    assert code in seen, (f"{bdf}: no {step} failing with {errno.errorcode[code]}; "
                          f"{step} errnos {seen}")
