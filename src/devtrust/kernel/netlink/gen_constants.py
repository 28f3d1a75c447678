# SPDX-License-Identifier: BSD-3-Clause
"""Generate ``constants.py`` from ``pci_tsm.yaml`` (STYLE 15, the pyynl way).

Run ``python -m devtrust.kernel.netlink.gen_constants`` after editing the YAML;
``tests/kernel/netlink/test_constants.py`` regenerates and diffs. This is a
build-time tool: no model module imports it, and only :func:`main` touches files
(the rendering itself, :func:`render`, is a pure function of the YAML text).

Naming follows YNL's C rendering with the ``PCI_TSM_`` prefix dropped:
``PCI_TSM_A_EVIDENCE_OBJECT_NONCE`` becomes ``A_EVIDENCE_OBJECT_NONCE``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

__all__ = ["OUTPUT", "SOURCE", "main", "render"]

SOURCE = Path(__file__).with_name("pci_tsm.yaml")
OUTPUT = Path(__file__).with_name("constants.py")

_HEADER = '''\
# SPDX-License-Identifier: BSD-3-Clause
# GENERATED FILE - DO NOT EDIT.
# Source: src/devtrust/kernel/netlink/pci_tsm.yaml
# Regenerate: python -m devtrust.kernel.netlink.gen_constants
"""Constants of the ``pci-tsm`` generic netlink family, from ``pci_tsm.yaml``."""

from __future__ import annotations

from typing import Final
'''


def _c(name: str) -> str:
    return name.replace("-", "_").upper()


def _entries(defn: dict[str, Any]) -> list[str]:
    return [e["name"] if isinstance(e, dict) else str(e) for e in defn["entries"]]


def render(yaml_text: str) -> str:
    """Return the text of ``constants.py`` for the spec ``yaml_text``."""
    spec = yaml.safe_load(yaml_text)
    consts: dict[str, int] = {}
    out: list[str] = [_HEADER, ""]
    names: list[str] = []

    def emit(name: str, value: int | str | tuple[Any, ...] | bool, kind: str = "") -> None:
        names.append(name)
        kind = kind or type(value).__name__
        if isinstance(value, tuple) and value and isinstance(value[0], tuple):
            rows = "".join(f"    {row!r},\n" for row in value)
            out.append(f"{name}: Final[{kind}] = (\n{rows})")
        else:
            out.append(f"{name}: Final[{kind}] = {value!r}")

    emit("FAMILY_NAME", spec["name"])
    emit("FAMILY_VERSION", int(spec.get("version", 1)))
    out.append("")
    for defn in spec["definitions"]:
        prefix = _c(defn["name"])
        if defn["type"] == "const":
            consts[defn["name"]] = int(defn["value"])
            emit(prefix, int(defn["value"]))
        elif defn["type"] == "enum":
            entries = _entries(defn)
            for value, entry in enumerate(entries):
                emit(f"{prefix}_{_c(entry)}", value)
            if defn.get("render-max"):
                emit(f"{prefix}_MAX", len(entries) - 1)
        elif defn["type"] == "flags":
            entries = _entries(defn)
            for bit, entry in enumerate(entries):
                emit(f"{prefix}_{_c(entry)}", 1 << bit)
            if defn.get("render-max"):
                emit(f"{prefix}_MASK", (1 << len(entries)) - 1)
        out.append("")
    for aset in spec["attribute-sets"]:
        prefix = "A_" + _c(aset["name"])
        table: list[tuple[int, str, str, int | None]] = []
        for attr_id, attr in enumerate(aset["attributes"], start=1):
            emit(f"{prefix}_{_c(attr['name'])}", attr_id)
            max_len = attr.get("checks", {}).get("max-len")
            if isinstance(max_len, str):
                max_len = consts[max_len]
            table.append((attr_id, attr["name"], attr["type"], max_len))
        emit(f"{prefix}_MAX", len(aset["attributes"]))
        out.append("# (id, name, type, max-len or None) for every attribute of the set.")
        emit(f"{prefix}_SPEC", tuple(table), "tuple[tuple[int, str, str, int | None], ...]")
        out.append("")
    attr_ids = {a["name"]: i for s in spec["attribute-sets"]
                for i, a in enumerate(s["attributes"], start=1)}
    for cmd, op in enumerate(spec["operations"]["list"], start=1):
        name = _c(op["name"])
        emit(f"CMD_{name}", cmd)
        emit(f"CMD_{name}_ADMIN_PERM", "admin-perm" in op.get("flags", ()))
        emit(f"CMD_{name}_IS_DUMP", "dump" in op)
        body = op.get("dump") or op.get("do") or {}
        for direction in ("request", "reply"):
            attrs = body.get(direction, {}).get("attributes", [])
            emit(f"CMD_{name}_{direction.upper()}_ATTRS", tuple(attr_ids[a] for a in attrs),
                 "tuple[int, ...]")
    emit("CMD_MAX", len(spec["operations"]["list"]))
    out.append("")
    listing = "".join(f'    "{n}",\n' for n in sorted(names))
    out.insert(1, f"__all__ = [\n{listing}]\n")
    text = "\n".join(out)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text.rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) ``constants.py``; return an exit status."""
    args = sys.argv[1:] if argv is None else argv
    text = render(SOURCE.read_text())
    if "--check" in args:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        return 0 if current == text else 1
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
