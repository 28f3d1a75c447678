# SPDX-License-Identifier: BSD-3-Clause
"""One helper to test every codec in both directions, and one for hostile input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from devtrust.wire.errors import WireError

__all__ = ["assert_codec", "assert_decoder_total"]


class _Encodable(Protocol):
    def encode(self) -> bytes: ...


def assert_codec(decode: Callable[[bytes], Any], data: bytes,
                 expected: object | None = None) -> Any:
    """Decode ``data``, compare with ``expected`` (if given), re-encode byte-exactly.

    Also checks that the decoded object kept ``raw`` (when it has the field) and
    that decoding the re-encoding gives an equal object. Returns the object.
    """
    obj = decode(data)
    if expected is not None:
        assert obj == expected, f"decoded {obj!r} != expected {expected!r}"
    encoded = obj.encode()
    assert encoded == bytes(data), (
        f"re-encoding differs:\n  in : {bytes(data).hex()}\n  out: {encoded.hex()}")
    if hasattr(obj, "raw"):
        assert obj.raw == bytes(data), "decoded object does not keep the received bytes"
    assert decode(encoded) == obj
    return obj


def assert_decoder_total(decode: Callable[[bytes], Any], data: bytes) -> None:
    """``decode(data)`` either returns or raises :class:`WireError`; nothing else.

    Any other exception type (IndexError, struct.error, ValueError, ...) propagates
    and fails the calling test.
    """
    try:
        decode(data)
    except WireError as exc:
        assert isinstance(exc.offset, int) and exc.offset >= 0
        assert exc.structure and exc.field
