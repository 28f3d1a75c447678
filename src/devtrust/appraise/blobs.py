# SPDX-License-Identifier: BSD-3-Clause
"""Evidence files arrive as hex text or raw binary; accept both.

Hex text may carry whitespace, colons, commas and ``0x`` prefixes (what people
paste from logs and tools). Anything that is not cleanly hex is taken as binary.
"""

from __future__ import annotations

import re

__all__ = ["read_blob", "unhex"]

_HEX_SEPARATORS = re.compile(rb"[\s:,]+")
_HEX_PREFIX = re.compile(rb"\b0[xX]")
_HEX_DIGITS = re.compile(rb"[0-9a-fA-F]*")


def unhex(data: bytes) -> bytes | None:
    """The bytes a hex-text input spells, or None if ``data`` is not hex text."""
    if not data.strip() or any(b > 0x7E for b in data):
        return None
    compact = _HEX_SEPARATORS.sub(b"", _HEX_PREFIX.sub(b"", data))
    if not compact or len(compact) % 2 or not _HEX_DIGITS.fullmatch(compact):
        return None
    return bytes.fromhex(compact.decode("ascii"))


def read_blob(data: bytes) -> bytes:
    """``data`` decoded from hex text when it is hex text, else ``data`` itself."""
    decoded = unhex(data)
    return data if decoded is None else decoded
