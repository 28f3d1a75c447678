# SPDX-License-Identifier: BSD-3-Clause
"""The explorer on reference models: shortest traces, passes, bounds, DFS, symmetry, clocks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devtrust.check import Limits, Search, Status, explore, fingerprint
from devtrust.check.toys import Counter, Mutex, MutexState, Proc


def test_counter_planted_bug_at_exact_shortest_depth() -> None:
    result = explore(Counter())
    result.assert_discovery("never-bad", ("inc", "inc", "inc", "double", "inc"))
    trace = result.discovery("never-bad")
    assert trace is not None and trace.states == (0, 1, 2, 3, 6, 7)


def test_broken_lock_violation_trace_is_exact() -> None:
    result = explore(Mutex(peterson=False))
    result.assert_discovery("mutual-exclusion", (Proc(0), Proc(1), Proc(0), Proc(1)))
    assert not result.ok


def test_peterson_has_no_discovery_and_reaches_both_critical_sections() -> None:
    result = explore(Mutex(peterson=True))
    result.assert_no_discovery("mutual-exclusion")
    assert result.verdict("p0-critical").status is Status.REACHED
    assert result.verdict("p1-critical").status is Status.REACHED
    assert result.ok and result.stats.exhaustive
    assert result.stats.stop_reason == "state space exhausted"


def test_unreached_sometimes_fails_the_run() -> None:
    result = explore(Counter(goal=99))
    assert result.verdict("reaches-goal").status is Status.UNREACHED
    assert result.verdict("reaches-goal").exhaustive
    assert not result.ok


def test_bounded_verdicts_say_bounded() -> None:
    result = explore(Mutex(peterson=True), limits=Limits(max_depth=3))
    v = result.verdict("mutual-exclusion")
    assert v.status is Status.HOLDS and not v.exhaustive
    assert v.scope == "bounded (max_depth=3)"
    assert not result.stats.exhaustive
    with pytest.raises(AssertionError, match="holds only bounded"):
        result.assert_no_discovery("mutual-exclusion")


def test_state_limit_bounds_the_run() -> None:
    result = explore(Mutex(peterson=True), limits=Limits(max_states=5))
    assert result.verdict("mutual-exclusion").scope == "bounded (max_states=5)"


def test_time_budget_reads_only_the_injected_clock() -> None:
    ticks = iter(range(1000))
    result = explore(Mutex(peterson=True),
                     limits=Limits(time_budget=2.5, clock=lambda: float(next(ticks))))
    assert result.stats.stop_reason == "bounded: time budget 2.5s"
    with pytest.raises(ValueError, match="clock"):
        Limits(time_budget=1.0)


def test_dfs_finds_the_violation_too() -> None:
    result = explore(Mutex(peterson=False), search=Search.DFS)
    trace = result.discovery("mutual-exclusion")
    assert trace is not None and trace.states[-1].pc == (3, 3)
    assert result.stats.search is Search.DFS


def _swap(s: MutexState) -> MutexState:
    return replace(s, pc=s.pc[::-1], flag=s.flag[::-1], turn=1 - s.turn)


def test_symmetry_reduction_shrinks_the_space_and_keeps_real_traces() -> None:
    def canon(s: MutexState) -> MutexState:
        return min(s, _swap(s), key=fingerprint)

    full = explore(Mutex(peterson=True))
    reduced = explore(Mutex(peterson=True), canonicalize=canon)
    assert reduced.stats.states < full.stats.states
    reduced.assert_no_discovery("mutual-exclusion")
    broken = explore(Mutex(peterson=False), canonicalize=canon)
    broken.assert_discovery("mutual-exclusion", (Proc(0), Proc(1), Proc(0), Proc(1)))


def test_fingerprints_are_stable_across_processes() -> None:
    # A literal: Python's hash() of str is salted per process, blake2b is not.
    assert fingerprint(MutexState()).hex() == "16ed18dd132d664e43ffab1b0d284452"
    assert fingerprint((1, "a", None)) != fingerprint((1, "a", False))
    with pytest.raises(TypeError):
        fingerprint({"mutable": 1})


def test_stop_when_decided_can_be_turned_off() -> None:
    early = explore(Mutex(peterson=False))
    full = explore(Mutex(peterson=False), stop_when_decided=False)
    assert early.stats.states <= full.stats.states and full.stats.exhaustive
    assert early.discovery("mutual-exclusion") == full.discovery("mutual-exclusion")
