# SPDX-License-Identifier: BSD-3-Clause
"""Core contracts: determinism, plan/step agreement, no side effects on failure, sharing."""

from __future__ import annotations

import random

import pytest

from devtrust.kernel.actions import NeedsProvider, Ready, Result
from devtrust.kernel.boot import cc_vm_topology, devsec_topology, initial_state
from devtrust.kernel.core import plan, step
from devtrust.kernel.enabled import enabled_actions
from devtrust.kernel.variants import Variant, presets


def _walk(variant: Variant, seed: int, steps: int = 30):
    rng = random.Random(seed)
    topo = cc_vm_topology() if seed % 2 else devsec_topology()
    state = initial_state(topo, variant)
    for _ in range(steps):
        yield state
        state, _ = step(state, rng.choice(enabled_actions(state, queries=True)))


@pytest.mark.parametrize("variant", presets(), ids=lambda v: v.name)
def test_enabled_actions_deterministic(variant: Variant) -> None:
    for state in _walk(variant, 3):
        assert enabled_actions(state, queries=True) == enabled_actions(state, queries=True)
        assert hash(state) == hash(state)


@pytest.mark.parametrize("variant", presets(), ids=lambda v: v.name)
def test_plan_agrees_with_step(variant: Variant) -> None:
    for state in _walk(variant, 4, 15):
        for action in enabled_actions(state, queries=True):
            planned = plan(state, action)
            new, result = step(state, action)
            if isinstance(planned, Result):
                assert planned.errno == result.errno != 0
                assert new == state   # a precheck failure has no side effects
            else:
                assert isinstance(planned, NeedsProvider | Ready)
            if result.errno:
                assert new.devices == state.devices or new.violations != state.violations \
                    or new == state


def test_step_touches_one_device_record() -> None:
    from devtrust.kernel.actions import Lock, RegisterTsm

    state = initial_state(devsec_topology(), Variant())
    state, _ = step(state, RegisterTsm("devsec"))
    new, _ = step(state, Lock("10000:01:00.0", "tsm0"))
    same = [a is b for a, b in zip(state.devices, new.devices, strict=True)]
    assert same == [False, True, True, True]
    assert new.topology is state.topology


def test_evidence_source_for_the_dump_server() -> None:
    from devtrust.kernel.actions import Connect, Lock, RegisterTsm
    from devtrust.kernel.evidence import evidence_source
    from devtrust.wire.evidence import EvidenceSet

    state = initial_state(devsec_topology(), Variant())
    state, _ = step(state, RegisterTsm("link"))
    state, _ = step(state, RegisterTsm("devsec"))
    ev = EvidenceSet(generation=3)
    state, _ = step(state, Lock("10001:03:00.0", "tsm1", evidence=ev))
    state, _ = step(state, Connect("10000:01:00.0", "tsm0"))
    lookup = evidence_source(state)
    assert lookup("nope") is None
    assert lookup("10001:03:00.1") == (False, None)
    assert lookup("10001:03:00.0") == (True, ev)
    has, fn_ev = lookup("10000:01:00.1")    # dependent function: context, no evidence
    assert has and fn_ev is not None and fn_ev.generation == 0


def test_evidence_refresh_carries_new_evidence_and_bumps_generation() -> None:
    from devtrust.kernel.actions import HwEvent, HwKind, Lock, RegisterTsm
    from devtrust.kernel.levels import LevelSet
    from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

    state = initial_state(devsec_topology(), Variant())
    state, _ = step(state, RegisterTsm("devsec"))
    state, _ = step(state, Lock("10000:01:00.0", "tsm0", evidence=EvidenceSet(generation=1)))
    fresh = EvidenceSet(generation=1).replace(EvidenceType.REPORT, EvidenceObject(b"r"))
    state, _ = step(state, HwEvent("10000:01:00.0", HwKind.EVIDENCE_REFRESH, evidence=fresh))
    ev = state.dev("10000:01:00.0").ctx.evidence  # type: ignore[union-attr]
    assert ev.generation == 2 and ev.get(EvidenceType.REPORT).data == b"r"
    assert LevelSet.FIVE.tcb == 4 and LevelSet.FOUR.link is None and LevelSet.FIVE.link == 3
