# SPDX-License-Identifier: BSD-3-Clause
"""The agent over the emulated platform: every scenario expectation, determinism, watch."""

from __future__ import annotations

from devtrust.agent.acceptance import AcceptanceAgent, map_level
from devtrust.agent.facts import parse_msix, parse_resource
from devtrust.agent.runner import EMULATED_POLICY, run_emulated
from devtrust.agent.vendor import vendor_reference_values, vendor_trust_store
from devtrust.agent.watch import watch_once
from devtrust.appraise.engine import Appraiser
from devtrust.appraise.policy import load_policy
from devtrust.platform.base import PCI_DEVICES
from devtrust.platform.emulated import EmulatedPlatform


def test_default_scenario_meets_every_expectation() -> None:
    report = run_emulated()
    assert report.expectations and report.ok, [e for e in report.expectations if not e.met]
    final = report.final
    assert final["0000:03:00.0"].kernel_level == 1 and final["0000:03:00.0"].accepted  # NVMe
    assert final["0000:04:00.0"].result.capped_by.source == "claim:chain.anchor"
    assert final["0000:01:00.0"].kernel_level == 4 and final["0000:01:00.0"].accepted


def test_digest_mode_meets_every_expectation() -> None:
    assert run_emulated(digest_mode=True).ok


def test_runs_are_deterministic() -> None:
    first, second = run_emulated(), run_emulated()
    assert first.journal.to_jsonl() == second.journal.to_jsonl()


def test_watch_revalidates_a_device_that_left_run() -> None:
    platform = EmulatedPlatform()
    fleet = platform.fleet
    agent = AcceptanceAgent(
        platform, Appraiser(load_policy(EMULATED_POLICY), vendor_trust_store(fleet),
                            vendor_reference_values(fleet)), clock=lambda: fleet.now)
    nic = "0000:02:00.0"
    assert agent.accept_device(nic, "tsm0", "devsec").kernel_level == 4
    platform.machine.device_at(nic).clear_command_bits(nic)
    outcomes = watch_once(agent, "tsm0")
    assert [o.device for o in outcomes] == [nic]
    assert outcomes[0].kernel_level == 4 and outcomes[0].accepted
    steps = [e.step for e in agent.journal.for_device(nic)]
    assert steps[-6:] == ["revalidate", "unlock", "lock", "evidence", "appraise", "accept"] \
        or "revalidate" in steps


def test_level_mapping() -> None:
    assert [map_level(n, 5, 4) for n in range(5)] == [0, 1, 2, 2, 3]
    assert [map_level(n, 4, 5) for n in range(4)] == [0, 1, 2, 4]
    assert map_level(3, 5, 5) == 3


def test_facts_parsers_are_bounded() -> None:
    assert parse_msix(b"") is None
    assert parse_msix(bytes(64)) is None
    looped = bytearray(256)
    looped[0x06] = 0x10          # status: capability list
    looped[0x34] = 0x40
    looped[0x40:0x42] = b"\x05\x40"  # MSI cap pointing at itself
    assert parse_msix(bytes(looped)) is None
    bars = parse_resource("0x1000 0x1fff 0x200\n" + "0x0 0x0 0x0\n" * 5)
    assert bars[0].size == 0x1000 and bars[0].is_memory


def test_facts_from_platform() -> None:
    platform = EmulatedPlatform()
    from devtrust.agent.facts import read_facts
    facts = read_facts(platform, "0000:01:00.0")
    assert facts.identity.vendor_id == 0x1F3D and facts.msix is not None
    assert platform.exists(f"{PCI_DEVICES}/0000:01:00.0/trust")


def test_exported_bundles_reappraise_offline_to_the_same_decision(tmp_path) -> None:
    """Bundles + vendor roots (PEM) + reference values (CoRIM) are enough to re-appraise."""
    from devtrust.appraise.bundle import load_bundle
    from devtrust.appraise.engine import appraise_bundle
    from devtrust.appraise.refstore import RefStore
    from devtrust.appraise.trust_store import TrustStore

    report = run_emulated(export=tmp_path)
    policy = load_policy(EMULATED_POLICY)
    store = TrustStore.from_dir(tmp_path / "trust")
    refs = RefStore.from_dir(tmp_path / "refs")
    seen = 0
    for device, outcome in report.final.items():
        if outcome.result is None:
            continue
        bundle = load_bundle(tmp_path / "bundles" / f"{device}.json")
        offline = appraise_bundle(bundle, policy=policy, trust_store=store, refs=refs,
                                  at=bundle.collected_at)
        assert offline.trust_level == outcome.decided_level, device
        assert offline.capped_by.source == outcome.result.capped_by.source, device
        seen += 1
    assert seen >= 15


def test_nvme_in_run_but_held_at_one_cannot_reach_private_memory() -> None:
    """The kernel discussion's NVMe example end to end: attested, T=1 (RUN), trust 1 -
    the IOMMU keeps its DMA to shared (bounce) memory; the GPU at TCB reaches private."""
    platform = EmulatedPlatform()
    fleet = platform.fleet
    agent = AcceptanceAgent(
        platform, Appraiser(load_policy(EMULATED_POLICY), vendor_trust_store(fleet),
                            vendor_reference_values(fleet)), clock=lambda: fleet.now)
    nvme, gpu = "0000:03:00.0", "0000:01:00.0"
    assert agent.accept_device(nvme, "tsm0", "devsec").kernel_level == 1
    assert agent.accept_device(gpu, "tsm0", "devsec").kernel_level == 4
    assert platform.device_dma(nvme, private=True, t_bit=True) != "allowed"
    assert platform.device_dma(nvme, private=False, t_bit=False) == "allowed"
    assert platform.device_dma(gpu, private=True, t_bit=True) == "allowed"
    counterfeit = "0000:04:00.0"
    agent.accept_device(counterfeit, "tsm0", "devsec")
    assert platform.device_dma(counterfeit, private=False, t_bit=False) == "blocked"
