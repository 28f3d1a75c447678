# SPDX-License-Identifier: BSD-3-Clause
"""A Hypothesis state machine over the kernel model, reusable by other platforms (STYLE 24).

:func:`kernel_machine` builds a ``RuleBasedStateMachine`` class for one variant
and topology. Each rule picks an action from
:func:`devtrust.kernel.enabled.enabled_actions`, applies it to the pure core
(the model) and, when a ``target`` factory is given, to the target too (for
example the emulated platform), comparing errnos. After every step all state
invariants and step invariants are checked; a violation outside
:func:`devtrust.kernel.invariants.expected_violations` fails the run, and the
expected ones are collected in ``observed`` (class attribute) for reporting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from devtrust.kernel.actions import Action, Result
from devtrust.kernel.boot import initial_state
from devtrust.kernel.core import step
from devtrust.kernel.enabled import enabled_actions
from devtrust.kernel.invariants import check_state, check_step, expected_violations
from devtrust.kernel.state import KernelState, Topology
from devtrust.kernel.variants import Variant

__all__ = ["KernelTarget", "kernel_machine"]


class KernelTarget(Protocol):
    """Something else that implements the kernel (emulated platform, real Linux)."""

    def apply(self, action: Action) -> Result:
        ...


def kernel_machine(variant: Variant, topology: Topology, *, queries: bool = True,
                   target: Callable[[], KernelTarget] | None = None
                   ) -> type[RuleBasedStateMachine]:
    """A state machine class checking invariants after every step under ``variant``."""
    allowed = expected_violations(variant)

    class KernelMachine(RuleBasedStateMachine):
        observed: set[str] = set()   # noqa: RUF012 - deliberately shared across runs

        def __init__(self) -> None:
            super().__init__()
            self.state: KernelState = initial_state(topology, variant)
            self.target = target() if target is not None else None
            self._record(check_state(self.state))

        def _record(self, violations: tuple) -> None:
            names = {v.invariant for v in violations}
            type(self).observed.update(names)
            unexpected = [v for v in violations if v.invariant not in allowed]
            assert not unexpected, f"{variant.name}: unexpected {unexpected}"

        @rule(data=st.data())
        def act(self, data: st.DataObject) -> None:
            actions = enabled_actions(self.state, queries=queries)
            action = data.draw(st.sampled_from(actions), label="action")
            pre = self.state
            post, result = step(pre, action)
            if self.target is not None:
                got = self.target.apply(action)
                assert got.errno == result.errno, (action, got, result)
            self.state = post
            self._record(check_step(pre, action, post, result))

        @invariant()
        def invariants_hold(self) -> None:
            self._record(check_state(self.state))

    KernelMachine.__name__ = f"KernelMachine_{variant.name.replace('-', '_')}"
    return KernelMachine
