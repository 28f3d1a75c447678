# SPDX-License-Identifier: BSD-3-Clause
"""``run_check``: explore the kernel core under one named variant and judge the result.

A :class:`CheckReport` compares the violations found with the kernel's own
table of expected violations for the variant
(:func:`devtrust.kernel.invariants.expected_violations`). It is ``ok`` when no
unexpected invariant fails and every applicable ``sometimes`` partner is
reached; expected violations that were not reproduced are listed but do not
fail the run (the scope may be too small to show them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from devtrust.check.explorer import CheckResult, Limits, Search, Status, explore
from devtrust.check.kernel_model import FULL, KernelModel, Scope
from devtrust.check.model import PropertyKind
from devtrust.check.render import python_snippet, step_table, to_dot
from devtrust.kernel.variants import Variant, preset

__all__ = ["FORMAT_VERSION", "CheckReport", "Counterexample", "check_variant", "run_check",
           "variant_named"]

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Counterexample:
    prop: str
    expected: bool
    actions: tuple[str, ...]
    table: str
    dot: str
    snippet: str


@dataclass(frozen=True, slots=True)
class CheckReport:
    variant: str
    scope: str
    result: CheckResult
    expected: frozenset[str]
    not_applicable: tuple[tuple[str, str], ...]
    counterexamples: tuple[Counterexample, ...]

    @property
    def violated(self) -> frozenset[str]:
        return frozenset(v.prop for v in self.result.violations())

    @property
    def unexpected(self) -> frozenset[str]:
        return self.violated - self.expected

    @property
    def not_reproduced(self) -> frozenset[str]:
        return self.expected - self.violated

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.result.unreached()

    def render_text(self) -> str:
        st = self.result.stats
        mode = "exhaustive" if st.exhaustive else f"BOUNDED ({st.stop_reason})"
        lines = [f"devtrust check: variant {self.variant} -- {'OK' if self.ok else 'FAILED'}",
                 f"scope: {self.scope}",
                 f"search: {st.search.value}, {st.states} states, {st.transitions} transitions, "
                 f"depth {st.depth}, {mode}", ""]
        for v in self.result.verdicts:
            tag = ""
            if v.status is Status.VIOLATED:
                tag = " (expected)" if v.prop in self.expected else " (UNEXPECTED)"
            steps = f", {len(v.trace)} steps" if v.trace is not None else ""
            lines.append(f"  {v.kind.value:9} {v.prop:26} {v.status.value}{tag}{steps}"
                         f" [{v.scope}]")
        for name, why in self.not_applicable:
            lines.append(f"  sometimes {name:26} not applicable: {why}")
        if self.not_reproduced:
            lines.append(f"expected but not reproduced in this scope: "
                         f"{', '.join(sorted(self.not_reproduced))}")
        for cx in self.counterexamples:
            lines += ["", f"counterexample {cx.prop}{'' if cx.expected else ' (UNEXPECTED)'}:",
                      cx.table.rstrip()]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        st = self.result.stats
        doc = {
            "version": FORMAT_VERSION, "variant": self.variant, "scope": self.scope,
            "ok": self.ok, "exhaustive": st.exhaustive, "stop_reason": st.stop_reason,
            "stats": {"states": st.states, "transitions": st.transitions, "depth": st.depth,
                      "search": st.search.value},
            "verdicts": [{"property": v.prop, "kind": v.kind.value, "status": v.status.value,
                          "scope": v.scope, "expected": v.prop in self.expected,
                          "steps": None if v.trace is None else len(v.trace)}
                         for v in self.result.verdicts],
            "not_applicable": dict(self.not_applicable),
            "not_reproduced": sorted(self.not_reproduced),
            "counterexamples": [{"property": c.prop, "expected": c.expected,
                                 "actions": list(c.actions), "dot": c.dot,
                                 "python": c.snippet} for c in self.counterexamples],
        }
        return json.dumps(doc, indent=2, sort_keys=True)


def variant_named(name: str) -> Variant:
    """The preset called ``name`` (:func:`devtrust.kernel.variants.preset`)."""
    return preset(name)


def check_variant(variant: Variant, scope: Scope = FULL, *, limits: Limits | None = None,
                  search: Search = Search.BFS) -> CheckReport:
    """Explore ``variant`` in ``scope`` (never stopping early) and build the report."""
    model = KernelModel(variant, scope)
    limits = limits if limits is not None else Limits()
    result = explore(model, search=search, limits=limits, fingerprint_of=model.fingerprint,
                     stop_when_decided=False)
    cxs = []
    for v in result.verdicts:
        if v.kind is PropertyKind.ALWAYS and v.trace is not None:
            cxs.append(Counterexample(
                v.prop, v.prop in model.expected,
                tuple(model.describe_action(a) for a in v.trace.actions),
                step_table(model, v.trace, v.prop), to_dot(model, v.trace, v.prop),
                python_snippet(model, v.trace, v.prop)))
    return CheckReport(variant.name, scope.describe(), result, model.expected,
                       tuple(sorted(model.not_applicable.items())), tuple(cxs))


def run_check(variant_name: str, *, max_states: int, max_depth: int,
              clock: Callable[[], float] | None = None,
              time_budget: float | None = None) -> CheckReport:
    """Entry point for ``devtrust check --variant NAME`` (the full scope, BFS)."""
    limits = Limits(max_states=max_states, max_depth=max_depth, time_budget=time_budget,
                    clock=clock)
    return check_variant(variant_named(variant_name), FULL, limits=limits)
