# SPDX-License-Identifier: BSD-3-Clause
"""What the checker explores: the :class:`Model` protocol, :class:`Property` and fingerprints.

A model is a pure transition system: initial states, the actions enabled in a
state (in a defined order), and the successor of a state under an action.
Properties are named predicates; ``always`` properties must hold in every
reachable state (and on every transition when ``on_step`` is given) and
``sometimes`` properties must hold in at least one, or the run fails
(STYLE 19). Fingerprints are stable across processes: a blake2b digest over a
canonical encoding, never Python's per-process salted ``hash()``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = [
    "Fingerprinter",
    "Model",
    "Property",
    "PropertyKind",
    "Replayable",
    "always",
    "canonical_bytes",
    "fingerprint",
    "sometimes",
]

S = TypeVar("S")
A = TypeVar("A")


class PropertyKind(Enum):
    """``always``: a safety invariant; ``sometimes``: a reachability goal (its partner)."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"


@dataclass(frozen=True, slots=True)
class Property:
    """A named property over states (``on_state``) and/or transitions (``on_step``).

    For ``always`` each given predicate must return True everywhere; for
    ``sometimes`` one of them must return True somewhere. ``partners`` names the
    ``always`` properties a ``sometimes`` property shows to be non-vacuous.
    """

    name: str
    kind: PropertyKind
    description: str = ""
    on_state: Callable[[Any], bool] | None = None
    on_step: Callable[[Any, Any, Any], bool] | None = None
    partners: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.on_state is None and self.on_step is None:
            raise ValueError(f"property {self.name}: no predicate")


def always(name: str, on_state: Callable[[Any], bool] | None = None, *,
           on_step: Callable[[Any, Any, Any], bool] | None = None,
           description: str = "") -> Property:
    """An invariant: ``on_state(s)`` for every reachable s, ``on_step(s, a, t)`` for every edge."""
    return Property(name, PropertyKind.ALWAYS, description, on_state, on_step)


def sometimes(name: str, on_state: Callable[[Any], bool] | None = None, *,
              on_step: Callable[[Any, Any, Any], bool] | None = None,
              description: str = "", partners: Sequence[str] = ()) -> Property:
    """A reachability goal; the run fails if no reachable state or edge satisfies it."""
    return Property(name, PropertyKind.SOMETIMES, description, on_state, on_step,
                    tuple(partners))


@runtime_checkable
class Model(Protocol[S, A]):
    """A finite-branching, deterministic transition system."""

    def init_states(self) -> Sequence[S]:
        """The initial states, in a fixed order."""
        ...

    def actions(self, state: S) -> Iterable[A]:
        """Actions to try in ``state``; the order must depend on ``state`` only."""
        ...

    def next_state(self, state: S, action: A) -> S | None:
        """The successor, or None when ``action`` is not applicable in ``state``."""
        ...

    def properties(self) -> Sequence[Property]:
        """Every property to check, ``always`` and ``sometimes``."""
        ...


@runtime_checkable
class Replayable(Protocol):
    """A model whose traces can be written as a self-contained Python program (STYLE 20).

    The program binds ``state`` to the initial state, then for each action binds
    ``action``, ``pre`` (the state before) and ``state`` (after); the check is an
    expression that is true exactly when the property is violated there.
    """

    def replay_setup(self, init_index: int) -> str:
        """Imports and the statements binding ``state`` to ``init_states()[init_index]``."""
        ...

    def replay_action(self, action: Any) -> str:
        """A Python expression that evaluates to ``action``."""
        ...

    def replay_step(self) -> str:
        """A statement advancing ``pre``/``state`` by ``action``."""
        ...

    def replay_violated(self, prop: str, on_step: bool) -> str:
        """A Python expression, true when ``prop`` fails at the last state (or last step)."""
        ...


def _encode(obj: object, out: list[bytes], memo: dict[int, tuple[object, bytes]] | None = None
            ) -> None:
    if obj is None or isinstance(obj, bool):
        out.append(b"N" if obj is None else (b"T" if obj else b"F"))
    elif isinstance(obj, Enum):
        out.append(b"E" + type(obj).__qualname__.encode() + b"." + obj.name.encode() + b";")
    elif isinstance(obj, int):
        out.append(b"i" + str(obj).encode() + b";")
    elif isinstance(obj, str):
        data = obj.encode()
        out.append(b"s" + str(len(data)).encode() + b":" + data)
    elif isinstance(obj, bytes):
        out.append(b"b" + str(len(obj)).encode() + b":" + obj)
    elif isinstance(obj, float):
        out.append(b"f" + obj.hex().encode() + b";")
    elif isinstance(obj, tuple | list):
        out.append(b"(")
        for item in obj:
            _encode(item, out, memo)
        out.append(b")")
    elif isinstance(obj, frozenset | set):
        parts = sorted(canonical_bytes(item) for item in obj)
        out.append(b"{" + b"".join(parts) + b"}")
    elif is_dataclass(obj) and not isinstance(obj, type):
        hit = memo.get(id(obj)) if memo is not None else None
        if hit is not None and hit[0] is obj:
            out.append(hit[1])
            return
        inner: list[bytes] = [b"D" + type(obj).__qualname__.encode() + b"<"]
        for f in fields(obj):
            if f.compare:
                _encode(getattr(obj, f.name), inner, memo)
        inner.append(b">")
        data = b"".join(inner)
        if memo is not None:
            memo[id(obj)] = (obj, data)   # keeps obj alive, so its id is not reused
        out.append(data)
    else:
        raise TypeError(f"no canonical encoding for {type(obj).__name__}")


def canonical_bytes(obj: object) -> bytes:
    """A process-independent encoding of a value built from dataclasses, enums and tuples.

    Fields with ``compare=False`` are skipped (they are caches, not state).
    Raises TypeError on anything else (a mutable or opaque object in a state is a bug).
    """
    out: list[bytes] = []
    _encode(obj, out)
    return b"".join(out)


def fingerprint(obj: object) -> bytes:
    """A 128-bit blake2b digest of :func:`canonical_bytes`; stable across runs and machines."""
    return hashlib.blake2b(canonical_bytes(obj), digest_size=16).digest()


class Fingerprinter:
    """:func:`fingerprint` with a per-run memo of immutable dataclass encodings.

    States that share sub-objects (a step replaces one device record) encode
    those once. Only for frozen values: the memo keys on object identity.
    """

    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[int, tuple[object, bytes]] = {}

    def __call__(self, obj: object) -> bytes:
        out: list[bytes] = []
        _encode(obj, out, self._memo)
        return hashlib.blake2b(b"".join(out), digest_size=16).digest()
