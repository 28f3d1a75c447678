# SPDX-License-Identifier: BSD-3-Clause
"""Reading YAML/JSON/TOML input files and turning validation failures into one clear line.

STYLE 16: a bad policy, reference-value or bundle file yields exactly one line naming the
file, the path inside it and the fix, e.g.::

    policy.yaml: classes.0.target_level: Input should be less than or equal to 4
    (fix: use a trust level 0..4)
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

__all__ = ["error_line", "parse_text", "read_text"]

_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "literal_error": "use one of the listed values",
    "enum": "use one of the listed values",
    "int_parsing": "use an integer (0x... allowed in YAML)",
    "int_type": "use an integer",
    "string_type": "use a string",
    "less_than_equal": "lower the value",
    "greater_than_equal": "raise the value",
    "list_type": "use a list",
    "dict_type": "use a mapping",
    "model_type": "use a mapping",
    "bool_type": "use true or false",
    "bool_parsing": "use true or false",
    "value_error": "correct the value as the message says",
    "too_short": "add at least one item",
    "string_too_short": "use a non-empty string",
}


def error_line(source: str, exc: ValidationError) -> str:
    """One line for the first validation error: ``source: path: message (fix: ...)``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ())) or "<top>"
    msg = str(err.get("msg", "invalid"))
    fix = _FIXES.get(str(err.get("type")), "see the documented format")
    more = len(exc.errors()) - 1
    tail = f"; {more} more error(s)" if more > 0 else ""
    return f"{source}: {loc}: {msg} (fix: {fix}){tail}"


def parse_text(source: str, text: str, suffix: str,
               make_error: Callable[[str, str], Exception]) -> Any:
    """Parse YAML (``.yaml``/``.yml``), JSON or TOML text; syntax errors become ``make_error``."""
    try:
        if suffix in (".yaml", ".yml"):
            return yaml.safe_load(text)
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return tomllib.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise make_error(source, f"not valid {suffix[1:].upper()}: {first} "
                                 "(fix: correct the syntax)") from None
    raise make_error(source, f"unknown file type {suffix!r} (fix: use .yaml, .json or .toml)")


def read_text(path: Path, make_error: Callable[[str, str], Exception]) -> str:
    """Read a UTF-8 file; I/O and decoding problems become ``make_error``."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise make_error(str(path), f"cannot read: {exc} (fix: check the path)") from None

