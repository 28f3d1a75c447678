# SPDX-License-Identifier: BSD-3-Clause
"""A local directory of reference-value files (YAML, JSON or CoRIM CBOR); no network.

``RefStore.from_dir(path)`` loads every ``*.yaml``, ``*.yml``, ``*.json`` and ``*.cbor``
file (sorted by name, so loading is deterministic); :meth:`RefStore.import_file` validates
a file and copies it in; :meth:`RefStore.list` summarises the entries for the CLI. Any bad
file raises :class:`~devtrust.appraise.refvalues.RefValueError` naming it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from devtrust.appraise.corim import decode_corim
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.refvalues import DeviceRefs, RefValueError, RefValues, load_refvalues

__all__ = ["RefStore", "StoreEntry", "load_any"]

SUFFIXES = (".yaml", ".yml", ".json", ".cbor")


def load_any(path: Path) -> RefValues:
    """Load one reference-value file of any supported kind."""
    suffix = path.suffix.lower()
    if suffix == ".cbor":
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RefValueError(str(path), f"cannot read: {exc} (fix: check the path)") from None
        return decode_corim(data, str(path))
    if suffix not in SUFFIXES:
        raise RefValueError(str(path), f"unknown file type {suffix!r} (fix: use "
                                       f"{', '.join(SUFFIXES)})")
    return load_refvalues(path)


@dataclass(frozen=True, slots=True)
class StoreEntry:
    """One line of ``devtrust refs list``."""

    name: str
    device_class: str
    indices: tuple[int, ...]
    source: str


@dataclass(frozen=True, slots=True)
class RefStore:
    """Reference values loaded from one directory."""

    root: Path
    values: RefValues

    @classmethod
    def from_dir(cls, root: str | Path) -> RefStore:
        """Load every supported file under ``root`` (not recursive); missing dir = empty."""
        root = Path(root)
        if not root.exists():
            return cls(root, RefValues())
        if not root.is_dir():
            raise RefValueError(str(root), "not a directory (fix: pass the store directory)")
        values = RefValues()
        for path in sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES):
            values = values + load_any(path)
        names = [e.name for e in values.entries]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise RefValueError(str(root), f"entry name(s) {dup} defined in more than one "
                                           "file (fix: rename or remove one)")
        return cls(root, values)

    def import_file(self, src: str | Path, *, overwrite: bool = False) -> RefStore:
        """Validate ``src``, copy it into the store and return the reloaded store."""
        src = Path(src)
        load_any(src)  # refuse broken files before they enter the store
        dest = self.root / src.name
        if dest.exists() and not overwrite:
            raise RefValueError(str(dest), "already in the store (fix: pass overwrite=True "
                                           "or rename the file)")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.copyfile(src, tmp)
        existed = dest.exists()
        backup = dest.read_bytes() if existed else None
        tmp.replace(dest)
        try:
            return RefStore.from_dir(self.root)
        except RefValueError:
            # The file is fine alone but clashes with the store (duplicate names): undo.
            if backup is None:
                dest.unlink(missing_ok=True)
            else:
                dest.write_bytes(backup)
            raise

    def list(self) -> tuple[StoreEntry, ...]:
        """Summary of every entry, in load order."""
        return tuple(StoreEntry(e.name, e.match.describe(),
                                tuple(m.index for m in e.measurements), e.source)
                     for e in self.values.entries)

    def lookup(self, device: DeviceIdentity) -> DeviceRefs | None:
        """Most specific reference values for ``device`` (``None`` = unknown firmware)."""
        return self.values.lookup(device)
