# SPDX-License-Identifier: BSD-3-Clause
"""Kernel string parsers used by sysfs stores: ``kstrtobool`` and "tsm<N>"."""

from __future__ import annotations

__all__ = ["kstrtobool", "parse_tsm_name"]


def kstrtobool(text: str) -> bool | None:
    """Kernel ``kstrtobool()``: y/Y/1/on true, n/N/0/off false; None if unparsable.

    Like the kernel it looks at the first one or two characters only.
    """
    s = text
    if not s:
        return None
    c = s[0]
    if c in "yYtT1":
        return True
    if c in "nNfF0":
        return False
    if c in "oO" and len(s) > 1:
        if s[1] in "nN":
            return True
        if s[1] in "fF":
            return False
    return None


def parse_tsm_name(text: str) -> int | None:
    """``sscanf(buf, "tsm%d")`` as the connect/lock stores do; None when it does not match."""
    if not text.startswith("tsm"):
        return None
    rest = text[3:]
    sign = ""
    if rest[:1] in ("-", "+"):
        sign, rest = rest[:1], rest[1:]
    digits = ""
    for ch in rest:
        if not ch.isdigit():
            break
        digits += ch
    if not digits:
        return None
    return int(sign + digits)
