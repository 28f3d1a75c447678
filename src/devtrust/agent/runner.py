# SPDX-License-Identifier: BSD-3-Clause
"""``devtrust run``: the agent over the built-in emulated platform, checked against the
scenario's own expectations."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devtrust.agent.acceptance import AcceptanceAgent, DeviceOutcome
from devtrust.agent.journal import Journal
from devtrust.agent.vendor import vendor_reference_values, vendor_trust_store
from devtrust.agent.watch import watch_once
from devtrust.appraise.bundle import EvidenceBundle, save_bundle
from devtrust.appraise.corim import encode_corim
from devtrust.appraise.engine import Appraiser
from devtrust.appraise.policy import load_policy
from devtrust.hw.fleet import Fleet
from devtrust.hw.scenario import load_scenario
from devtrust.kernel.levels import tcb_level
from devtrust.kernel.variants import EvidenceBinding, RunDriver
from devtrust.platform.emulated import EmulatedPlatform
from devtrust.platform.variants import variant_by_name

# How the agent honours the kernel's TOCTOU binding (V10).
_BINDING = {EvidenceBinding.NONE: "none", EvidenceBinding.GENERATION_INTO_ACCEPT: "accept",
            EvidenceBinding.VALIDATE_COMMAND: "validate"}

__all__ = ["EMULATED_POLICY", "Expectation", "RunReport", "export_vendor_data", "run_emulated"]

EMULATED_POLICY = Path(__file__).resolve().parent.parent / "appraise" / "policies" / \
    "emulated.yaml"


@dataclass(frozen=True, slots=True)
class Expectation:
    """Whether a device's final state matches what the scenario author expected."""

    device: str
    met: bool
    reason: str


@dataclass(frozen=True, slots=True)
class RunReport:
    outcomes: tuple[DeviceOutcome, ...]
    revalidated: tuple[DeviceOutcome, ...]
    expectations: tuple[Expectation, ...]
    journal: Journal
    variant: str

    @property
    def final(self) -> dict[str, DeviceOutcome]:
        """Last outcome per function (re-validation wins)."""
        out = {o.device: o for o in self.outcomes}
        out.update({o.device: o for o in self.revalidated})
        return out

    @property
    def ok(self) -> bool:
        return all(e.met for e in self.expectations)


def _effective_level(outcome: DeviceOutcome, top: int) -> int:
    """The kernel level, or for v2 (no trust attribute) top when accepted, else 0."""
    if outcome.kernel_level is not None:
        return outcome.kernel_level
    return top if outcome.accepted else 0


def _expectations(platform: EmulatedPlatform, final: dict[str, DeviceOutcome],
                  top: int) -> tuple[Expectation, ...]:
    out = []
    for dev in platform.fleet.devices:
        if dev.expect is None:
            continue
        names = [str(fn.bdf) for fn in dev.device.tdis]
        # Without a trust attribute (v2) acceptance is the only level: RUN = top.
        levels = [_effective_level(final[n], top) for n in names if n in final]
        running = [final[n].accepted for n in names if n in final]
        if not levels:
            continue
        exp = dev.expect
        if exp.max_trust is not None:
            met = max(levels) <= exp.max_trust
            why = f"max kernel trust {max(levels)} (expected <= {exp.max_trust})"
        elif exp.accepted:
            met = all(running) and min(levels) == top
            why = f"levels {sorted(set(levels))}, RUN on {sum(running)}/{len(running)}"
        else:
            met = not any(running) and max(levels) < top
            why = f"levels {sorted(set(levels))}, RUN on {sum(running)}/{len(running)}"
        out.append(Expectation(dev.name, met, why))
    return tuple(out)


def export_vendor_data(fleet: Fleet, directory: Path) -> None:
    """What an offline relying party needs besides bundles: the vendors' roots (PEM) in
    ``trust/`` and their reference values as a CoRIM in ``refs/``."""
    (directory / "trust").mkdir(parents=True, exist_ok=True)
    (directory / "refs").mkdir(parents=True, exist_ok=True)
    (directory / "trust" / "vendor-roots.pem").write_bytes(fleet.trust_anchors_pem)
    refs = vendor_reference_values(fleet)
    (directory / "refs" / "vendors.cbor").write_bytes(
        encode_corim(refs.entries, f"devtrust:{fleet.scenario.name}"))


def run_emulated(*, scenario: Path | None = None, variant: str = "devtrust",
                 policy: Path | None = None, digest_mode: bool = False,
                 export: Path | None = None) -> RunReport:
    """Build the platform, run the agent once, then one watch/re-validate pass.

    With ``export``, every evidence bundle the agent appraised is written to
    ``export/bundles/`` (the last one per function) with the vendor data beside it,
    so ``devtrust appraise`` can re-appraise offline.
    """
    platform = EmulatedPlatform(load_scenario(scenario) if scenario else None,
                                variant=variant_by_name(variant), digest_mode=digest_mode)
    fleet = platform.fleet
    appraiser = Appraiser(load_policy(policy or EMULATED_POLICY), vendor_trust_store(fleet),
                          vendor_reference_values(fleet))
    levels = platform.state.variant.levels
    kvariant = platform.state.variant
    sink = None
    if export is not None:
        export_vendor_data(fleet, export)
        (export / "bundles").mkdir(parents=True, exist_ok=True)

        def sink(bundle: EvidenceBundle) -> None:
            save_bundle(bundle, export / "bundles" / f"{bundle.device_name}.json")
    agent = AcceptanceAgent(platform, appraiser, clock=lambda: fleet.now,
                            kernel_levels=tcb_level(levels) + 1,
                            run_via="trust" if kvariant.run_driver is RunDriver.TRUST_WRITE
                            else "accept",
                            bind_generation=_BINDING[kvariant.evidence_binding],
                            bundle_sink=sink)
    outcomes = agent.run()
    devsec = next((t for t, m in sorted(agent.tsms().items()) if m == "devsec"), None)
    revalidated = watch_once(agent, devsec) if devsec else ()
    report = RunReport(outcomes, revalidated, (), agent.journal, platform.state.variant.name)
    final = report.final
    return RunReport(outcomes, revalidated, _expectations(platform, final, tcb_level(levels)),
                     agent.journal, report.variant)
