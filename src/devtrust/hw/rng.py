# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic byte source for everything random in the emulated hardware.

Every key, serial number, nonce and firmware image under ``devtrust.hw`` comes from a
:class:`Drbg`, so one scenario seed reproduces a run byte for byte (STYLE 17). The
construction is HMAC-SHA256 in counter mode: ``key = HMAC(seed, "devtrust-drbg" 0 label)``
and block ``i = HMAC(key, i)``. Children are derived from the parent's *key* and a label,
never from its output stream, so how many bytes one consumer draws never shifts another
consumer's values (adding a device to a scenario leaves the others' keys unchanged).

This is not a cryptographically reviewed DRBG and must never protect real secrets: it
exists to make test keys reproducible.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["Drbg"]

_DOMAIN = b"devtrust-drbg\x00"


class Drbg:
    """Seeded, labelled, deterministic byte stream (stateful: ``bytes`` advances it)."""

    __slots__ = ("_block", "_buffer", "_key", "label")

    def __init__(self, seed: bytes, label: str) -> None:
        if not isinstance(seed, bytes | bytearray):
            raise TypeError("Drbg seed must be bytes")
        self.label = label
        self._key = hmac.new(bytes(seed), _DOMAIN + label.encode(), hashlib.sha256).digest()
        self._block = 0
        self._buffer = b""

    def __repr__(self) -> str:
        return f"Drbg(label={self.label!r})"

    def child(self, label: str) -> Drbg:
        """An independent stream named ``label`` under this one (not affected by draws)."""
        return Drbg(self._key, f"{self.label}/{label}")

    def bytes(self, n: int) -> bytes:
        """The next ``n`` bytes of the stream."""
        if n < 0:
            raise ValueError("byte count must be non-negative")
        while len(self._buffer) < n:
            self._buffer += hmac.new(self._key, self._block.to_bytes(8, "big"),
                                     hashlib.sha256).digest()
            self._block += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def int_bits(self, bits: int) -> int:
        """A uniformly distributed integer in [0, 2**bits)."""
        if bits <= 0:
            raise ValueError("bit count must be positive")
        value = int.from_bytes(self.bytes((bits + 7) // 8), "big")
        return value >> ((8 - bits % 8) % 8)

    def int_below(self, bound: int) -> int:
        """A uniformly distributed integer in [0, bound), by rejection sampling."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        bits = max(1, (bound - 1).bit_length())
        while True:
            value = self.int_bits(bits)
            if value < bound:
                return value

    def int_range(self, low: int, high: int) -> int:
        """A uniformly distributed integer in [low, high] (both inclusive)."""
        if high < low:
            raise ValueError("empty range")
        return low + self.int_below(high - low + 1)
