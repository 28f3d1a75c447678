# SPDX-License-Identifier: BSD-3-Clause
"""Explicit-state exploration of a :class:`~devtrust.check.model.Model` (STYLE 18).

Breadth-first by default, so the first violation found for each property is a
shortest one. Every visited state is kept only as a fingerprint with a parent
pointer (parent fingerprint, action, depth); traces are rebuilt by replaying
the actions from the initial state. Limits (states, depth, a time budget read
from an injected clock) make a run *bounded*, and every verdict says so. No
I/O and no wall clock: the explorer is as pure as the model it drives.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from devtrust.check.model import Model, Property, PropertyKind, fingerprint

__all__ = [
    "CheckResult",
    "Limits",
    "Search",
    "Stats",
    "Status",
    "Trace",
    "Verdict",
    "explore",
]


class Search(Enum):
    BFS = "bfs"   # shortest counterexamples
    DFS = "dfs"   # less memory on deep models; traces not minimal


class Status(Enum):
    HOLDS = "holds"            # always: no violation in the explored space
    VIOLATED = "violated"      # always: a counterexample exists
    REACHED = "reached"        # sometimes: a witness exists
    UNREACHED = "unreached"    # sometimes: no witness in the explored space (the run fails)


@dataclass(frozen=True, slots=True)
class Limits:
    """Optional bounds; ``time_budget`` needs ``clock`` (seconds, monotonic)."""

    max_states: int | None = None
    max_depth: int | None = None
    time_budget: float | None = None
    clock: Callable[[], float] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.time_budget is not None and self.clock is None:
            raise ValueError("a time budget needs a clock callable")


@dataclass(frozen=True, slots=True)
class Trace:
    """A path from ``init_states()[init_index]``: ``states[i+1] = next(states[i], actions[i])``.

    ``on_step`` says the property failed (or held) on the last transition rather
    than in the last state.
    """

    init_index: int
    actions: tuple[Any, ...]
    states: tuple[Any, ...]
    on_step: bool = False

    def __len__(self) -> int:
        return len(self.actions)


@dataclass(frozen=True, slots=True)
class Verdict:
    prop: str
    kind: PropertyKind
    status: Status
    exhaustive: bool
    bound: str = ""            # why the search was bounded, empty when exhaustive
    trace: Trace | None = None

    @property
    def ok(self) -> bool:
        return self.status in (Status.HOLDS, Status.REACHED)

    @property
    def scope(self) -> str:
        """'exhaustive' or 'bounded (<reason>)'; a found trace is final either way."""
        if self.trace is not None or self.exhaustive:
            return "exhaustive" if self.exhaustive else "final (trace found)"
        return f"bounded ({self.bound})"


@dataclass(frozen=True, slots=True)
class Stats:
    states: int
    transitions: int
    depth: int
    search: Search
    exhaustive: bool
    stop_reason: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    verdicts: tuple[Verdict, ...]
    stats: Stats

    @property
    def ok(self) -> bool:
        """Every ``always`` holds and every ``sometimes`` was reached."""
        return all(v.ok for v in self.verdicts)

    def verdict(self, prop: str) -> Verdict:
        for v in self.verdicts:
            if v.prop == prop:
                return v
        raise KeyError(prop)

    def discovery(self, prop: str) -> Trace | None:
        """The counterexample (``always``) or witness (``sometimes``) for ``prop``."""
        return self.verdict(prop).trace

    def violations(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.status is Status.VIOLATED)

    def unreached(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.status is Status.UNREACHED)

    def assert_no_discovery(self, prop: str) -> None:
        """``prop`` is an ``always`` that holds over the whole (exhaustively) explored space."""
        v = self.verdict(prop)
        assert v.kind is PropertyKind.ALWAYS, f"{prop} is not an always property"
        assert v.status is Status.HOLDS, f"{prop} violated: {v.trace and v.trace.actions}"
        assert v.exhaustive, f"{prop} holds only {v.scope}"

    def assert_discovery(self, prop: str, actions: Sequence[Any]) -> None:
        """``prop`` has a discovery whose action sequence is exactly ``actions``."""
        trace = self.discovery(prop)
        assert trace is not None, f"{prop}: no discovery ({self.verdict(prop).scope})"
        assert tuple(trace.actions) == tuple(actions), \
            f"{prop}: found {trace.actions!r}, expected {tuple(actions)!r}"


@dataclass(slots=True)
class _Node:
    parent: bytes | None
    action: Any
    depth: int
    init_index: int


def explore(model: Model[Any, Any], *, search: Search = Search.BFS, limits: Limits | None = None,
            canonicalize: Callable[[Any], Any] | None = None,
            fingerprint_of: Callable[[Any], bytes] = fingerprint,
            stop_when_decided: bool = True) -> CheckResult:
    """Explore every reachable state of ``model`` (within ``limits``) and judge its properties.

    ``canonicalize`` is the optional symmetry reduction: states with equal
    canonical forms count as one (the first one reached is the one expanded, so
    traces stay real paths). ``fingerprint_of`` maps a (canonical) state to its
    stable digest. With ``stop_when_decided`` the search ends once every
    property has a discovery.
    """
    limits = limits if limits is not None else Limits()
    props = tuple(model.properties())
    names = [p.name for p in props]
    if len(set(names)) != len(names):
        raise ValueError("duplicate property names")
    state_props = tuple(p for p in props if p.on_state is not None)
    step_props = tuple(p for p in props if p.on_step is not None)
    found: dict[str, tuple[bytes, Any, bool]] = {}   # prop -> (fp, action on last step?, step?)

    def key(state: Any) -> bytes:
        return fingerprint_of(canonicalize(state) if canonicalize is not None else state)

    def judge_state(state: Any, fp: bytes) -> None:
        for p in state_props:
            if p.name in found:
                continue
            assert p.on_state is not None
            if bool(p.on_state(state)) is (p.kind is PropertyKind.SOMETIMES):
                found[p.name] = (fp, None, False)

    def judge_step(pre: Any, fp: bytes, action: Any, post: Any) -> None:
        for p in step_props:
            if p.name in found:
                continue
            assert p.on_step is not None
            if bool(p.on_step(pre, action, post)) is (p.kind is PropertyKind.SOMETIMES):
                found[p.name] = (fp, action, True)

    nodes: dict[bytes, _Node] = {}
    frontier: deque[tuple[Any, bytes, int]] = deque()
    for i, s in enumerate(model.init_states()):
        fp = key(s)
        if fp not in nodes:
            nodes[fp] = _Node(None, None, 0, i)
            judge_state(s, fp)
            frontier.append((s, fp, 0))

    transitions = depth_seen = 0
    bound = ""
    start = limits.clock() if limits.clock is not None else 0.0
    pop = frontier.popleft if search is Search.BFS else frontier.pop
    while frontier:
        if stop_when_decided and len(found) == len(props):
            break
        if limits.max_states is not None and len(nodes) >= limits.max_states:
            bound = f"max_states={limits.max_states}"
            break
        if limits.time_budget is not None and limits.clock is not None \
                and limits.clock() - start > limits.time_budget:
            bound = f"time budget {limits.time_budget}s"
            break
        state, fp, depth = pop()
        for action in model.actions(state):
            post = model.next_state(state, action)
            if post is None:
                continue
            if limits.max_depth is not None and depth >= limits.max_depth:
                bound = f"max_depth={limits.max_depth}"
                break
            transitions += 1
            judge_step(state, fp, action, post)
            pfp = key(post)
            if pfp in nodes:
                continue
            nodes[pfp] = _Node(fp, action, depth + 1, nodes[fp].init_index)
            depth_seen = max(depth_seen, depth + 1)
            judge_state(post, pfp)
            frontier.append((post, pfp, depth + 1))

    decided = len(found) == len(props)
    exhaustive = not bound and not frontier
    stop = ("all properties decided" if decided and frontier else
            f"bounded: {bound}" if bound else "state space exhausted")
    stats = Stats(len(nodes), transitions, depth_seen, search, exhaustive, stop)
    verdicts = tuple(_verdict(model, p, found.get(p.name), nodes, key, exhaustive, bound)
                     for p in props)
    return CheckResult(verdicts, stats)


def _verdict(model: Model[Any, Any], p: Property, hit: tuple[bytes, Any, bool] | None,
             nodes: dict[bytes, _Node], key: Callable[[Any], bytes], exhaustive: bool,
             bound: str) -> Verdict:
    if hit is None:
        status = Status.HOLDS if p.kind is PropertyKind.ALWAYS else Status.UNREACHED
        return Verdict(p.name, p.kind, status, exhaustive, bound)
    status = Status.VIOLATED if p.kind is PropertyKind.ALWAYS else Status.REACHED
    trace = _rebuild(model, nodes, key, *hit)
    return Verdict(p.name, p.kind, status, exhaustive, bound, trace)


def _rebuild(model: Model[Any, Any], nodes: dict[bytes, _Node], key: Callable[[Any], bytes],
             fp: bytes, last: Any, on_step: bool) -> Trace:
    """Follow parent pointers back to an initial state, then replay forward."""
    actions: list[Any] = [last] if on_step else []
    node = nodes[fp]
    while node.parent is not None:
        actions.append(node.action)
        node = nodes[node.parent]
    actions.reverse()
    state = model.init_states()[node.init_index]
    states = [state]
    for action in actions:
        state = model.next_state(state, action)
        if state is None:
            raise AssertionError(f"model is not deterministic: {action!r} no longer applies")
        states.append(state)
    end = states[-2] if on_step else states[-1]
    if key(end) != fp:
        raise AssertionError("model is not deterministic: replay reached a different state")
    return Trace(node.init_index, tuple(actions), tuple(states), on_step)

