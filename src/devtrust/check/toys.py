# SPDX-License-Identifier: BSD-3-Clause
"""Small reference models that exercise the checker itself (and document the protocol).

- :class:`Counter`: ``inc`` and ``double`` modulo a wrap value, with a planted
  bug (an ``always`` that the counter never reaches ``bad``).
- :class:`Mutex`: two processes and a lock; ``peterson=True`` is Peterson's
  algorithm (mutual exclusion holds), otherwise a test-then-set lock whose test
  and set are separate steps (mutual exclusion fails).

Both are :class:`~devtrust.check.model.Replayable`: a counterexample renders as
a program that rebuilds the model and replays the actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from devtrust.check.model import Property, always, sometimes

__all__ = ["Counter", "Mutex", "MutexState", "Proc"]


class _ToyReplay:
    """Replay helpers shared by the toy models: rebuild with ``repr(self)``."""

    __slots__ = ()

    def replay_setup(self, init_index: int) -> str:
        cls = type(self).__name__
        return (f"from devtrust.check.toys import {cls}, MutexState, Proc\n"
                f"model = {self!r}\n"
                f"state = model.init_states()[{init_index}]")

    def replay_action(self, action: object) -> str:
        return repr(action)

    def replay_step(self) -> str:
        return "pre, state = state, model.next_state(state, action)"

    def replay_violated(self, prop: str, on_step: bool) -> str:
        return f"not model.prop({prop!r}).on_state(state)"

    def prop(self, name: str) -> Property:
        """The property called ``name``."""
        for p in self.properties():  # type: ignore[attr-defined]
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Counter(_ToyReplay):
    """A counter modulo ``wrap`` that must never equal ``bad`` (the planted bug)."""

    wrap: int = 16
    bad: int = 7
    goal: int = 12

    def init_states(self) -> Sequence[int]:
        return (0,)

    def actions(self, state: int) -> Sequence[str]:
        return ("inc", "double")

    def next_state(self, state: int, action: str) -> int | None:
        if action == "inc":
            return (state + 1) % self.wrap
        if action == "double":
            return (state * 2) % self.wrap
        return None

    def properties(self) -> Sequence[Property]:
        bad, goal = self.bad, self.goal
        return (always("never-bad", lambda s: s != bad, description=f"value never {bad}"),
                sometimes("reaches-goal", lambda s: s == goal, partners=("never-bad",),
                          description=f"value reaches {goal}"))


@dataclass(frozen=True, slots=True)
class Proc:
    """Action: process ``pid`` takes its next step."""

    pid: int


@dataclass(frozen=True, slots=True)
class MutexState:
    pc: tuple[int, int] = (0, 0)       # 0 idle, 1 trying, 2 waiting/test done, 3 critical
    flag: tuple[bool, bool] = (False, False)
    turn: int = 0
    locked: bool = False


@dataclass(frozen=True, slots=True)
class Mutex(_ToyReplay):
    """Two processes entering a critical section; Peterson's algorithm or a racy lock."""

    peterson: bool = True

    def init_states(self) -> Sequence[MutexState]:
        return (MutexState(),)

    def actions(self, state: MutexState) -> Sequence[Proc]:
        return (Proc(0), Proc(1))

    def next_state(self, state: MutexState, action: Proc) -> MutexState | None:
        i, j = action.pid, 1 - action.pid
        pc = state.pc[i]
        if self.peterson:
            return self._peterson(state, i, j, pc)
        if pc == 0:                      # test: is the lock free?
            return self._at(state, i, 1) if not state.locked else None
        if pc == 1:                      # set (too late: the test was a separate step)
            return replace(self._at(state, i, 3), locked=True)
        return replace(self._at(state, i, 0), locked=False)   # leave, release

    def _peterson(self, state: MutexState, i: int, j: int, pc: int) -> MutexState | None:
        if pc == 0:
            flag = tuple(True if k == i else f for k, f in enumerate(state.flag))
            return replace(self._at(state, i, 1), flag=flag)  # type: ignore[arg-type]
        if pc == 1:
            return replace(self._at(state, i, 2), turn=j)
        if pc == 2:
            if state.flag[j] and state.turn == j:
                return None              # busy-wait: not enabled
            return self._at(state, i, 3)
        flag = tuple(False if k == i else f for k, f in enumerate(state.flag))
        return replace(self._at(state, i, 0), flag=flag)  # type: ignore[arg-type]

    @staticmethod
    def _at(state: MutexState, i: int, pc: int) -> MutexState:
        return replace(state, pc=(pc, state.pc[1]) if i == 0 else (state.pc[0], pc))

    def properties(self) -> Sequence[Property]:
        return (
            always("mutual-exclusion", lambda s: s.pc != (3, 3),
                   description="never both processes in the critical section"),
            sometimes("p0-critical", lambda s: s.pc[0] == 3, partners=("mutual-exclusion",)),
            sometimes("p1-critical", lambda s: s.pc[1] == 3, partners=("mutual-exclusion",)),
        )
