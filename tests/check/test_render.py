# SPDX-License-Identifier: BSD-3-Clause
"""Counterexamples render as a step table, DOT and a Python program that replays (STYLE 20)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from devtrust.check import CheckReport, explore, python_snippet, step_table, to_dot
from devtrust.check.toys import Counter, Mutex
from devtrust.kernel.variants import presets

NAMES = [v.name for v in presets()]


def _broken() -> tuple[Mutex, object]:
    model = Mutex(peterson=False)
    trace = explore(model).discovery("mutual-exclusion")
    assert trace is not None
    return model, trace


def test_step_table_shows_changes_per_step() -> None:
    model, trace = _broken()
    table = step_table(model, trace, "mutual-exclusion")  # type: ignore[arg-type]
    lines = table.splitlines()
    assert lines[2].split()[:3] == ["0", "(initial", "state)"]
    assert lines[-2].endswith("pc=(3, 3)")
    assert lines[-1] == "mutual-exclusion violated at step 4"


def test_dot_has_one_node_per_state_and_one_edge_per_action() -> None:
    model, trace = _broken()
    dot = to_dot(model, trace, "mutual-exclusion")  # type: ignore[arg-type]
    assert dot.startswith('digraph "mutual-exclusion" {') and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == 4
    assert dot.count("[label=\"s") == 5
    assert 'fillcolor="#f4cccc"' in dot


def test_toy_snippets_replay_and_a_prefix_does_not_violate() -> None:
    for model, prop in ((Mutex(peterson=False), "mutual-exclusion"), (Counter(), "never-bad")):
        trace = explore(model).discovery(prop)
        assert trace is not None
        exec(python_snippet(model, trace, prop), {})
        shorter = replace(trace, actions=trace.actions[:-1], states=trace.states[:-1])
        with pytest.raises(AssertionError, match="not violated"):
            exec(python_snippet(model, shorter, prop), {})


@pytest.mark.parametrize("variant", NAMES)
def test_every_kernel_counterexample_snippet_replays(
        variant: str, small_report: Callable[[str], CheckReport]) -> None:
    """Every rendered program, executed on the pure core, sees its violation."""
    report = small_report(variant)
    assert report.counterexamples
    for cx in report.counterexamples:
        namespace: dict[str, object] = {}
        exec(compile(cx.snippet, f"<{variant}:{cx.prop}>", "exec"), namespace)
        assert cx.dot.count(" -> ") == len(cx.actions)
        assert cx.table.splitlines()[-1].startswith(f"{cx.prop} violated at step {len(cx.actions)}")


def test_kernel_snippet_with_last_step_dropped_does_not_violate(
        small_report: Callable[[str], CheckReport]) -> None:
    cx = next(c for c in small_report("b3-bus-unblock").counterexamples if c.prop == "S4")
    lines = cx.snippet.splitlines()
    # The last step is two lines (action, step) before the final assert.
    truncated = "\n".join(lines[:-3] + lines[-1:])
    with pytest.raises(AssertionError, match="S4 not violated"):
        exec(truncated, {})
