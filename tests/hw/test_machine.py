# SPDX-License-Identifier: BSD-3-Clause
"""The emulated machine built from a scenario: the full flow per device and determinism."""

from __future__ import annotations

import pytest

from devtrust.hw.dsm.events import HwEventKind
from devtrust.hw.machine import DEVSEC_TSM, LINK_TSM, Machine
from devtrust.hw.scenario import default_scenario
from devtrust.wire.evidence import EvidenceSet
from devtrust.wire.tdisp.header import TdiState


def run_flow(machine: Machine) -> list[EvidenceSet | None]:
    """connect, bind, lock, accept on every TDI of every device; the evidence seen."""
    out: list[EvidenceSet | None] = []
    for name in sorted(machine.devices):
        dev = machine.devices[name]
        assert machine.link.connect(dev.pf0_bdf) == 0, name
        out.append(machine.link.evidence(dev.pf0_bdf))
        for rid in sorted(dev.tdis):
            bdf = dev.bdf_of(rid)
            assert machine.link.bind(bdf, rid) == 0
            code = machine.devsec.lock(bdf)
            out.append(machine.devsec.evidence(bdf))
            if code == 0:
                machine.devsec.accept(bdf)
    return out


@pytest.fixture(scope="module")
def flows() -> tuple[Machine, list[EvidenceSet | None], list[EvidenceSet | None]]:
    a, b = Machine.build(), Machine.build()
    return a, run_flow(a), run_flow(b)


def test_tsm_identities() -> None:
    machine = Machine.build()
    assert [t.identity.name for t in machine.tsms] == [LINK_TSM, DEVSEC_TSM]
    assert [t.identity.pci_mode.value for t in machine.tsms] == ["link", "devsec"]


def test_same_seed_same_bytes(flows) -> None:  # type: ignore[no-untyped-def]
    _, first, second = flows
    assert first == second
    assert all(ev is not None for ev in first)


def test_different_seed_different_bytes(flows) -> None:  # type: ignore[no-untyped-def]
    scenario = default_scenario()
    other = Machine.build(scenario.model_copy(update={"seed": "another-seed"}))
    evidence = run_flow(other)
    assert evidence[0] is not None and flows[1][0] is not None
    assert evidence[0].objects != flows[1][0].objects


def test_devices_end_in_expected_states(flows) -> None:  # type: ignore[no-untyped-def]
    machine = flows[0]
    unstable = machine.device("gpu-unstable")
    assert unstable.tdi_state(unstable.pf0_bdf) is TdiState.ERROR
    healthy = machine.device("devsec-ep0")
    assert healthy.tdi_state(healthy.pf0_bdf) is TdiState.RUN
    events = machine.poll_events()
    assert any(e.kind is HwEventKind.TDI_STATE and e.bdf == str(unstable.pf0_bdf)
               for e in events)
    assert machine.poll_events() == ()


def test_devsec_sample_stream_accounting() -> None:
    machine = Machine.build()
    ep = machine.device("devsec-ep0")
    assert machine.link.available_streams(ep.host_bridge) == 4
    assert machine.link.connect(ep.pf0_bdf) == 0
    assert machine.link.available_streams(ep.host_bridge) == 3
    assert [name for name, _ in machine.link.streams(ep.host_bridge)] == ["stream0.0.0"]
    assert machine.link.disconnect(ep.pf0_bdf) == 0
    assert machine.link.available_streams(ep.host_bridge) == 4
