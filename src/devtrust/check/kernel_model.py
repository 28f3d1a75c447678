# SPDX-License-Identifier: BSD-3-Clause
"""The pure kernel core (``devtrust.kernel``) as a checker :class:`~devtrust.check.model.Model`.

States are :class:`~devtrust.kernel.state.KernelState`, actions come from
:func:`~devtrust.kernel.enabled.enabled_actions` (provider replies and hardware
events included), successors from :func:`~devtrust.kernel.core.step`. Nothing
here decides a kernel rule (DESIGN principle 1); a :class:`Scope` only chooses
the topology, the setup actions and which parts of the alphabet are explored,
and caps the counters that would otherwise make the space infinite.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from devtrust.check.kernel_props import KNOWN, not_applicable, reachability, step_violations
from devtrust.check.model import Fingerprinter, Property, always
from devtrust.check.render import source_of
from devtrust.kernel.actions import (
    Action,
    LoadModule,
    RegisterTsm,
    Result,
    SetModulesAutoprobe,
    UnloadModule,
    UnregisterTsm,
)
from devtrust.kernel.boot import initial_state
from devtrust.kernel.core import step
from devtrust.kernel.enabled import enabled_actions
from devtrust.kernel.invariants import STATE_INVARIANTS, Violation, expected_violations
from devtrust.kernel.state import Bar, DeviceSpec, DriverSpec, HostBridge, KernelState, Topology
from devtrust.kernel.variants import Variant

__all__ = ["FULL", "SMALL", "KernelModel", "Scope", "one_device_topology"]

_FAILURES = (errno.ENOMEM, errno.EPERM)   # the "plausible provider failure" replies


def one_device_topology() -> Topology:
    """A CC guest with one TDISP-capable PF0 (one 2 MiB BAR) whose driver is a module."""
    dev = DeviceSpec("0000:01:00.0", "pci0000:00", bars=(Bar(0, 0xF000_0000, 0x20_0000),),
                     driver="nvme")
    return Topology(devices=(dev,), drivers=(DriverSpec("nvme", "nvme"),),
                    host_bridges=(HostBridge("pci0000:00"),), cc_guest=True)


@dataclass(frozen=True, slots=True)
class Scope:
    """What part of the kernel's behaviour one exploration covers.

    ``setup`` actions run (and must succeed) before exploration starts. The
    ``max_*`` caps make states that exceed them leaves (judged, not expanded):
    evidence generations, duplicated encrypted ranges and recorded source-state
    violations are unbounded counters in the core.
    """

    name: str
    topology: Topology = field(default_factory=one_device_topology)
    setup: tuple[Action, ...] = (RegisterTsm("devsec"),)
    module_actions: bool = True
    tsm_churn: bool = True
    link_tsm: bool = False
    provider_failures: bool = True
    max_generation: int = 2
    max_encrypted: int = 2
    max_violations: int = 1

    def describe(self) -> str:
        devices = ", ".join(d.name for d in self.topology.devices)
        setup = "; ".join(source_of(a, set()) for a in self.setup)
        parts = [f"devices [{devices}]", f"setup {setup}",
                 f"module load/unload {'on' if self.module_actions else 'off'}",
                 f"TSM unregister/re-register {'on' if self.tsm_churn else 'off'}",
                 f"link TSM {'on' if self.link_tsm else 'off'}",
                 f"provider failures {'on' if self.provider_failures else 'off'}",
                 f"caps: generation<={self.max_generation}, encrypted ranges<="
                 f"{self.max_encrypted}, recorded violations<={self.max_violations}"]
        return f"{self.name}: " + "; ".join(parts)


FULL = Scope("full")
SMALL = Scope("small", setup=(RegisterTsm("devsec"), LoadModule("nvme", "1")),
              module_actions=False)


class KernelModel:
    """The kernel core for one variant and scope, as a replayable checker model."""

    def __init__(self, variant: Variant, scope: Scope = SMALL) -> None:
        self.variant = variant
        self.scope = scope
        self.expected = expected_violations(variant)
        self.not_applicable = not_applicable(variant)
        state = initial_state(scope.topology, variant)
        for action in scope.setup:
            state, result = step(state, action)
            if result.errno:
                raise ValueError(f"setup {action!r} failed: errno {result.errno}")
        self._init = state
        self._last: tuple[KernelState, Action, KernelState, Result] | None = None
        self._last_violations: tuple[KernelState, Action, tuple[Violation, ...]] | None = None
        self._fingerprinter = Fingerprinter()
        self._props = self._properties()

    # ------------------------------------------------------------------ Model

    def init_states(self) -> Sequence[KernelState]:
        return (self._init,)

    def is_leaf(self, state: KernelState) -> bool:
        """The state exceeds a scope cap and is not expanded."""
        s = self.scope
        if len(state.violations) > s.max_violations:
            return True
        return any(len(d.encrypted) > s.max_encrypted
                   or (d.ctx is not None and d.ctx.evidence.generation > s.max_generation)
                   for d in state.devices)

    def actions(self, state: KernelState) -> Sequence[Action]:
        if self.is_leaf(state):
            return ()
        return tuple(a for a in enabled_actions(state, queries=False) if self._in_scope(a))

    def _in_scope(self, a: Action) -> bool:
        s = self.scope
        if isinstance(a, RegisterTsm):
            return s.tsm_churn if a.mode == "devsec" else s.link_tsm
        if isinstance(a, UnregisterTsm):
            return s.tsm_churn
        if isinstance(a, LoadModule | UnloadModule | SetModulesAutoprobe):
            return s.module_actions
        return s.provider_failures or getattr(a, "reply", 0) not in _FAILURES

    def next_state(self, state: KernelState, action: Action) -> KernelState:
        post, result = step(state, action)
        self._last = (state, action, post, result)
        return post

    def properties(self) -> Sequence[Property]:
        return self._props

    def fingerprint(self, state: KernelState) -> bytes:
        """Stable digest of the dynamic part (topology and variant are fixed per model)."""
        return self._fingerprinter((state.devices, state.tsms, state.next_tsm_id, state.modules,
                                    state.modules_autoprobe, state.drivers_autoprobe,
                                    state.async_probe, state.streams, state.violations))

    # ------------------------------------------------------------- properties

    def result_of(self, pre: KernelState, action: Action) -> tuple[KernelState, Result]:
        """``step(pre, action)``, reusing the transition the explorer just computed."""
        last = self._last
        if last is not None and last[0] is pre and last[1] is action:
            return last[2], last[3]
        return step(pre, action)

    def step_violations(self, pre: KernelState, action: Action) -> tuple[Violation, ...]:
        cached = self._last_violations
        if cached is not None and cached[0] is pre and cached[1] is action:
            return cached[2]
        post, result = self.result_of(pre, action)
        found = step_violations(pre, action, post, result)
        self._last_violations = (pre, action, found)
        return found

    def _properties(self) -> tuple[Property, ...]:
        props: list[Property] = []
        step_names = {n for names in KNOWN.values() for n in names}
        for name in sorted(set(STATE_INVARIANTS) | step_names, key=_order):
            props.append(self._invariant(name, name in STATE_INVARIANTS, name in step_names))
        props.append(always(
            "known-invariants",
            on_step=lambda pre, a, _post: all(
                v.invariant in step_names for v in self.step_violations(pre, a)),
            description="every step-invariant violation has a property of its own"))
        props += reachability(self.variant, self.scope.tsm_churn)
        return tuple(props)

    def _invariant(self, name: str, on_state: bool, on_step: bool) -> Property:
        check = STATE_INVARIANTS.get(name)

        def state_ok(s: KernelState) -> bool:
            assert check is not None
            return not check(s)

        def step_ok(pre: KernelState, a: Action, _post: KernelState) -> bool:
            return not any(v.invariant == name for v in self.step_violations(pre, a))

        return always(name, state_ok if on_state else None, on_step=step_ok if on_step else None,
                      description=f"kernel invariant {name}")

    # ------------------------------------------------------- rendering hooks

    def observe(self, state: KernelState) -> Mapping[str, str]:
        out: dict[str, str] = {"tsms": ",".join(f"{t.name}:{t.mode.value}" for t in state.tsms)
                               or "-",
                               "modules": ",".join(f"{m[0]}(autoprobe={int(m[1])})"
                                                   for m in state.modules) or "-"}
        for spec, d in zip(state.topology.devices, state.devices, strict=True):
            p = spec.name + "."
            out |= {p + "tdi": d.tdi.value, p + "level": str(d.level),
                    p + "iommu": d.iommu.name, p + "driver": d.driver or "-",
                    p + "accepted": str(d.cc_accepted), p + "ats": str(d.ats),
                    p + "ctx": "-" if d.ctx is None else f"{d.ctx.kind.value}@{d.ctx.tsm}"
                    f"/gen{d.ctx.evidence.generation}",
                    p + "encrypted": str(len(d.encrypted)),
                    p + "validated": str(d.validated_generation),
                    p + "authorized": str(d.authorized)}
            if d.iommu_pending:
                out[p + "iommu_pending"] = "True"
        if state.violations:
            out["violations"] = " | ".join(state.violations)
        return out

    def describe_action(self, action: Action) -> str:
        return source_of(action, set())

    def replay_setup(self, init_index: int) -> str:
        imports = {"from devtrust.kernel.actions import *  # noqa: F403",
                   "from devtrust.kernel.boot import initial_state",
                   "from devtrust.kernel.core import step",
                   "from devtrust.kernel.invariants import STATE_INVARIANTS, check_step"}
        topo = source_of(self.scope.topology, imports)
        variant = source_of(self.variant, imports)
        setup = [f"state, result = step(state, {source_of(a, imports)})" for a in self.scope.setup]
        return "\n".join([*sorted(imports), f"topology = {topo}", f"variant = {variant}",
                          "state = initial_state(topology, variant)", *setup])

    def replay_action(self, action: Action) -> str:
        return source_of(action, set())

    def replay_step(self) -> str:
        return "pre, (state, result) = state, step(state, action)"

    def replay_violated(self, prop: str, on_step: bool) -> str:
        if on_step:
            return f"any(v.invariant == {prop!r} for v in check_step(pre, action, state, result))"
        return f"bool(STATE_INVARIANTS[{prop!r}](state))"


def _order(name: str) -> tuple[int, int, str]:
    """S1 < S2 < ... < S24 < I3 < ... < anything else."""
    digits = "".join(ch for ch in name[1:] if ch.isdigit())
    rank = {"S": 0, "I": 1}.get(name[0], 2)
    return rank, int(digits) if digits and name[1:].isdigit() else 0, name

