# SPDX-License-Identifier: BSD-3-Clause
"""Bounds-checked little-endian reader and writer shared by every codec.

Every decoder in :mod:`devtrust.wire` reads through a :class:`Reader`, so a short
buffer, a length that points past the end or a non-zero reserved field becomes a
:class:`~devtrust.wire.errors.WireError` carrying structure, field and offset,
never an ``IndexError`` or ``struct.error``. Every encoder writes through a
:class:`Writer`, which range-checks values instead of silently truncating them.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import TypeVar

from devtrust.wire.errors import (
    EncodeError,
    LengthError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedError,
    UnknownCodeError,
    WireError,
)

__all__ = ["Reader", "Writer", "decode_enum", "guard"]

E = TypeVar("E", bound=IntEnum)
T = TypeVar("T")


class Reader:
    """Sequential little-endian reader over one immutable buffer.

    ``base`` is the offset of ``data[0]`` inside the outermost buffer, so errors
    raised by nested readers still report absolute offsets.
    """

    __slots__ = ("_data", "_end", "_pos", "base", "structure")

    def __init__(self, data: bytes, structure: str, *, base: int = 0) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise WireError(structure, "<input>", base,
                            f"expected bytes, got {type(data).__name__}")
        self._data = bytes(data)
        self._pos = 0
        self._end = len(self._data)
        self.structure = structure
        self.base = base

    # -- position -------------------------------------------------------------
    @property
    def offset(self) -> int:
        """Absolute offset of the next byte to read."""
        return self.base + self._pos

    @property
    def pos(self) -> int:
        """Offset of the next byte relative to this reader's buffer."""
        return self._pos

    @property
    def remaining(self) -> int:
        return self._end - self._pos

    @property
    def data(self) -> bytes:
        return self._data

    # -- errors ---------------------------------------------------------------
    def error(self, field: str, reason: str, *, offset: int | None = None,
              kind: type[WireError] = WireError) -> WireError:
        """Build (not raise) an error at ``offset`` (default: current position)."""
        return kind(self.structure, field, self.offset if offset is None else offset, reason)

    def require(self, condition: bool, field: str, reason: str, *,
                kind: type[WireError] = WireError, offset: int | None = None) -> None:
        if not condition:
            raise self.error(field, reason, kind=kind, offset=offset)

    # -- primitive reads --------------------------------------------------------
    def take(self, n: int, field: str) -> bytes:
        """Read exactly ``n`` bytes."""
        if n < 0:
            raise self.error(field, f"negative length {n}", kind=LengthError)
        if n > self.remaining:
            raise self.error(field, f"needs {n} bytes, {self.remaining} left", kind=TruncatedError)
        start = self._pos
        self._pos += n
        return self._data[start:self._pos]

    def uint(self, size: int, field: str) -> int:
        return int.from_bytes(self.take(size, field), "little")

    def u8(self, field: str) -> int:
        return self.uint(1, field)

    def u16(self, field: str) -> int:
        return self.uint(2, field)

    def u24(self, field: str) -> int:
        return self.uint(3, field)

    def u32(self, field: str) -> int:
        return self.uint(4, field)

    def u64(self, field: str) -> int:
        return self.uint(8, field)

    def s64(self, field: str) -> int:
        return int.from_bytes(self.take(8, field), "little", signed=True)

    def rest(self, field: str) -> bytes:
        """Everything left (possibly empty)."""
        return self.take(self.remaining, field)

    def reserved(self, n: int, field: str = "reserved") -> None:
        """Consume ``n`` must-be-zero bytes."""
        at = self.offset
        if any(self.take(n, field)):
            raise self.error(field, "reserved bytes are not zero", offset=at,
                             kind=ReservedBitsError)

    def length_prefixed(self, n: int, field: str, *, limit: int | None = None) -> bytes:
        """Read ``n`` bytes whose count came from the wire, optionally capped by ``limit``."""
        if limit is not None and n > limit:
            raise self.error(field, f"length {n} exceeds limit {limit}", kind=LengthError)
        return self.take(n, field)

    def sub(self, n: int, structure: str, field: str) -> Reader:
        """A reader over the next ``n`` bytes, reporting absolute offsets."""
        at = self.offset
        return Reader(self.take(n, field), structure, base=at)

    def end(self) -> None:
        """Fail if any byte is left over."""
        if self.remaining:
            raise self.error("<end>", f"{self.remaining} trailing bytes", kind=TrailingBytesError)

    def flags(self, value: int, allowed: int, field: str, *, offset: int) -> int:
        """Return ``value`` after checking no bit outside ``allowed`` is set."""
        if value & ~allowed:
            raise self.error(field, f"undefined bits 0x{value & ~allowed:x} set",
                             offset=offset, kind=ReservedBitsError)
        return value


def decode_enum(enum_type: type[E], value: int, reader: Reader, field: str, offset: int) -> E:
    """Map ``value`` to ``enum_type`` or raise :class:`UnknownCodeError`."""
    try:
        return enum_type(value)
    except ValueError:
        raise reader.error(field, f"unknown {enum_type.__name__} value 0x{value:x}",
                           offset=offset, kind=UnknownCodeError) from None


def guard(structure: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` and turn any stray low-level exception into a :class:`WireError`.

    A last line of defence for decoders that call into other libraries (DER
    parsing, for instance); the decoder's own checks should make it unreachable.
    """
    try:
        return fn()
    except WireError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, UnicodeDecodeError) as exc:
        raise WireError(structure, "<input>", 0, f"{type(exc).__name__}: {exc}") from None


class Writer:
    """Little-endian writer that refuses values that do not fit their field."""

    __slots__ = ("_buf", "structure")

    def __init__(self, structure: str) -> None:
        self._buf = bytearray()
        self.structure = structure

    def _fail(self, field: str, reason: str) -> EncodeError:
        return EncodeError(self.structure, field, len(self._buf), reason)

    def uint(self, value: int, size: int, field: str) -> Writer:
        if not isinstance(value, int) or value < 0 or value >= 1 << (8 * size):
            raise self._fail(field, f"value {value!r} does not fit {size} byte(s)")
        self._buf += value.to_bytes(size, "little")
        return self

    def u8(self, value: int, field: str) -> Writer:
        return self.uint(value, 1, field)

    def u16(self, value: int, field: str) -> Writer:
        return self.uint(value, 2, field)

    def u24(self, value: int, field: str) -> Writer:
        return self.uint(value, 3, field)

    def u32(self, value: int, field: str) -> Writer:
        return self.uint(value, 4, field)

    def u64(self, value: int, field: str) -> Writer:
        return self.uint(value, 8, field)

    def s64(self, value: int, field: str) -> Writer:
        if not isinstance(value, int) or not -(1 << 63) <= value < 1 << 63:
            raise self._fail(field, f"value {value!r} does not fit a signed 64-bit field")
        self._buf += value.to_bytes(8, "little", signed=True)
        return self

    def raw(self, data: bytes, field: str, *, size: int | None = None) -> Writer:
        """Append ``data``; with ``size``, require exactly that many bytes."""
        if not isinstance(data, (bytes, bytearray)):
            raise self._fail(field, f"expected bytes, got {type(data).__name__}")
        if size is not None and len(data) != size:
            raise self._fail(field, f"needs {size} bytes, got {len(data)}")
        self._buf += data
        return self

    def zeros(self, n: int, field: str = "reserved") -> Writer:
        self._buf += bytes(n)
        return self

    def __len__(self) -> int:
        return len(self._buf)

    def getvalue(self) -> bytes:
        return bytes(self._buf)


def check_length_fits(value: int, limit: int, structure: str, field: str) -> None:
    """Encode-side check that a computed length fits its field."""
    if value > limit:
        raise EncodeError(structure, field, 0, f"length {value} exceeds field maximum {limit}")


__all__ += ["check_length_fits"]
# Re-exported so codecs can import every error kind from one place.
__all__ += [
    "EncodeError",
    "LengthError",
    "ReservedBitsError",
    "TrailingBytesError",
    "TruncatedError",
    "UnknownCodeError",
    "WireError",
]
