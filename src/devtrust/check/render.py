# SPDX-License-Identifier: BSD-3-Clause
"""Counterexample rendering (STYLE 20): a step table, a Graphviz DOT picture, a replay program.

The table and the picture show, per step, the action and only the state fields
it changed (the initial state in full). A model may offer ``observe(state) ->
Mapping[str, str]`` and ``describe_action(action) -> str`` to choose what is
shown; otherwise dataclass states are flattened field by field. The replay
program needs a :class:`~devtrust.check.model.Replayable` model; executed, it
rebuilds the initial state, applies every action and asserts the violation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum

from devtrust.check.explorer import Trace
from devtrust.check.model import Replayable

__all__ = ["action_label", "observe", "python_snippet", "source_of", "step_table", "to_dot"]


def _flat(prefix: str, value: object, out: dict[str, str]) -> None:
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            if f.repr:
                _flat(f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name), out)
    elif isinstance(value, Enum):
        out[prefix or "state"] = value.name
    else:
        out[prefix or "state"] = repr(value)


def observe(model: object, state: object) -> Mapping[str, str]:
    """The named, printable facts of ``state`` (the model's ``observe`` if it has one)."""
    custom = getattr(model, "observe", None)
    if callable(custom):
        return dict(custom(state))
    out: dict[str, str] = {}
    _flat("", state, out)
    return out


def action_label(model: object, action: object) -> str:
    custom = getattr(model, "describe_action", None)
    return str(custom(action)) if callable(custom) else repr(action)


def _changes(model: object, trace: Trace) -> list[list[tuple[str, str]]]:
    """Per state: the (name, value) pairs to show; the initial state in full."""
    rows: list[list[tuple[str, str]]] = []
    before: Mapping[str, str] = {}
    for i, state in enumerate(trace.states):
        now = observe(model, state)
        rows.append([(k, v) for k, v in now.items() if i == 0 or before.get(k) != v]
                    + [(k, "-") for k in before if k not in now])
        before = now
    return rows


def _verdict_line(prop: str, trace: Trace, violated: bool) -> str:
    where = f"step {len(trace)}" + (" (on the transition)" if trace.on_step else "")
    return f"{prop} {'violated' if violated else 'reached'} at {where}"


def step_table(model: object, trace: Trace, prop: str, *, violated: bool = True) -> str:
    """A plain-text table: step, action, the state changes it caused."""
    rows = _changes(model, trace)
    labels = ["(initial state)"] + [action_label(model, a) for a in trace.actions]
    width = min(max(len(label) for label in labels), 60)
    lines = [f"{'step':>4}  {'action':<{width}}  changes", f"{'-' * 4}  {'-' * width}  -------"]
    for i, (label, changed) in enumerate(zip(labels, rows, strict=True)):
        text = ", ".join(f"{k}={v}" for k, v in changed) or "(no visible change)"
        lines.append(f"{i:>4}  {label:<{width}}  {text}")
    lines.append(_verdict_line(prop, trace, violated))
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(model: object, trace: Trace, prop: str, *, violated: bool = True) -> str:
    """Graphviz DOT text of the trace: one box per state, edges labelled with actions."""
    rows = _changes(model, trace)
    colour = "#f4cccc" if violated else "#d9ead3"
    out = [f'digraph "{_dot_escape(prop)}" {{', "  rankdir=TB;",
           '  node [shape=box, fontname="monospace", fontsize=10];',
           f'  label="{_dot_escape(_verdict_line(prop, trace, violated))}";']
    for i, changed in enumerate(rows):
        body = "".join(f"{_dot_escape(k)}={_dot_escape(v)}\\l" for k, v in changed)
        style = f', style=filled, fillcolor="{colour}"' if i == len(rows) - 1 else ""
        out.append(f'  s{i} [label="s{i}\\l{body}"{style}];')
    for i, action in enumerate(trace.actions):
        edge = f'  s{i} -> s{i + 1} [label="{_dot_escape(action_label(model, action))}"'
        last = trace.on_step and i == len(trace.actions) - 1
        out.append(edge + (', color="red", fontcolor="red"];' if last else "];"))
    out.append("}")
    return "\n".join(out) + "\n"


def python_snippet(model: Replayable, trace: Trace, prop: str) -> str:
    """A self-contained program replaying ``trace`` that asserts ``prop`` fails at its end."""
    if not isinstance(model, Replayable):
        raise TypeError(f"{type(model).__name__} cannot render replay programs")
    lines = [f"# Replays the counterexample for {prop} ({len(trace)} steps).",
             model.replay_setup(trace.init_index), "pre = state"]
    for action in trace.actions:
        lines += [f"action = {model.replay_action(action)}", model.replay_step()]
    check = model.replay_violated(prop, trace.on_step)
    lines.append(f"assert {check}, {prop + ' not violated'!r}")
    return "\n".join(lines) + "\n"


def source_of(value: object, imports: set[str]) -> str:
    """Python source that rebuilds ``value`` (dataclasses, enums, tuples, literals).

    Dataclass fields equal to their defaults (and ``compare=False`` caches) are
    left out; the ``from X import Y``
    lines the expression needs are added to ``imports``.
    """
    if value is None or isinstance(value, bool | int | str | bytes | float):
        return repr(value)
    if isinstance(value, Enum):
        cls = type(value)
        imports.add(f"from {cls.__module__} import {cls.__qualname__}")
        return f"{cls.__qualname__}.{value.name}"
    if isinstance(value, tuple):
        items = [source_of(v, imports) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, frozenset):
        return "frozenset({" + ", ".join(sorted(source_of(v, imports) for v in value)) + "})"
    if is_dataclass(value) and not isinstance(value, type):
        dcls = type(value)
        imports.add(f"from {dcls.__module__} import {dcls.__qualname__}")
        args = []
        for f in fields(value):
            if not f.init or not f.compare:
                continue   # derived caches are rebuilt by the constructor
            current = getattr(value, f.name)
            if f.default is not MISSING and current == f.default:
                continue
            if f.default_factory is not MISSING and current == f.default_factory():
                continue
            args.append(f"{f.name}={source_of(current, imports)}")
        return f"{dcls.__qualname__}({', '.join(args)})"
    raise TypeError(f"cannot write {type(value).__name__} as source")
