# SPDX-License-Identifier: BSD-3-Clause
"""The one exception type every decoder raises.

Device- and TSM-supplied bytes are hostile. A decoder that meets anything it
does not accept raises :class:`WireError` (or a subclass) naming the structure,
the field path and the byte offset, and nothing else ever escapes it.
"""

from __future__ import annotations

__all__ = [
    "EncodeError",
    "LengthError",
    "ReservedBitsError",
    "TrailingBytesError",
    "TruncatedError",
    "UnknownCodeError",
    "WireError",
]


class WireError(Exception):
    """Malformed, truncated or unsupported wire data.

    Attributes:
        structure: the structure being decoded, e.g. ``"TDISP LOCK_INTERFACE_REQUEST"``.
        field: the field path inside it, e.g. ``"header.function_id"``.
        offset: byte offset from the start of the outermost buffer handed to the decoder.
        reason: what was wrong, in words.
    """

    def __init__(self, structure: str, field: str, offset: int, reason: str) -> None:
        self.structure = structure
        self.field = field
        self.offset = offset
        self.reason = reason
        super().__init__(f"{structure}: {field} at offset {offset}: {reason}")


class TruncatedError(WireError):
    """The buffer ends before a field does."""


class TrailingBytesError(WireError):
    """Bytes remain after the last field of a structure that has a fixed end."""


class ReservedBitsError(WireError):
    """A reserved or must-be-zero field holds a non-zero value."""


class UnknownCodeError(WireError):
    """A code, enum value or flag bit the specification does not define."""


class LengthError(WireError):
    """A length or count field disagrees with the data or exceeds a limit."""


class EncodeError(WireError):
    """A value cannot be encoded (out of range for its field)."""
