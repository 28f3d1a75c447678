# SPDX-License-Identifier: BSD-3-Clause
"""Evidence bundles: one JSON file with a device's evidence and its provenance.

For offline re-appraisal, bug reports and CI fixtures. Format (``format_version`` 1)::

    {"format": "devtrust-evidence-bundle", "format_version": 1, "tool_version": "0.1.0",
     "collected_at": "2026-11-26T08:00:00Z", "platform": "emulated",
     "device": {"name": "0000:01:00.0", "vendor_id": 4318, "device_id": 9008,
                "subsystem_vendor_id": null, "subsystem_id": null, "class_code": null,
                "hw_identity": null},
     "tsm": {"name": "tsm0", "kind": "devsec"},           # kind: none | link | devsec
     "tdisp_state": "locked", "link_protected": true,
     "evidence": {"generation": 3, "slot": 0, "digest_algo": "sha384", "nonce": "<hex>",
                  "objects": {"cert0": {"data": "<base64>", "digest": "<hex>" | null}, ...}},
     "bars": [{"index": 0, "size": 65536, "address": 4026531840 | null, "is_memory": true}],
     "msix": {"table_bar": 2, "table_offset": 0, "table_size": 256,
              "pba_bar": 2, "pba_offset": 4096, "pba_size": 8} | null,
     "lock": {"flags": 5, "reporting_offset": 3489660928} | null}

Object keys are the ``pci-tsm`` evidence type names (``cert0``..``cert7``, ``vca``,
``measurements``, ``report``); absent objects are empty. Evidence pointers in claims
(``/objects/report``...) refer to these names. Any problem loading raises
:class:`BundleError` with one line (file, path, fix).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from devtrust.appraise.decide import DecisionContext
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.fileformat import error_line
from devtrust.appraise.report_check import BarInfo, LockParams, MsixPlacement
from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

__all__ = ["BUNDLE_FORMAT", "BUNDLE_VERSION", "BundleError", "EvidenceBundle", "bundle_from_json",
           "bundle_to_json", "load_bundle", "save_bundle"]

BUNDLE_FORMAT = "devtrust-evidence-bundle"
BUNDLE_VERSION = 1
_NAMES = {t.uapi_name: t for t in EvidenceType}


class BundleError(AppraisalInputError):
    """An evidence bundle that cannot be read."""


@dataclass(frozen=True, slots=True)
class EvidenceBundle:
    """A device's evidence plus everything needed to appraise it again offline."""

    device_name: str
    identity: DeviceIdentity
    platform: str
    tsm_name: str
    tsm_kind: Literal["none", "link", "devsec"]
    evidence: EvidenceSet
    nonce: bytes
    collected_at: datetime
    tool_version: str
    bars: tuple[BarInfo, ...] = ()
    msix: MsixPlacement | None = None
    lock: LockParams | None = None
    tdisp_state: Literal["unlocked", "locked", "run", "error", "none"] = "none"
    link_protected: bool = False

    def __post_init__(self) -> None:
        if self.collected_at.tzinfo is None:
            raise ValueError("collected_at must be timezone-aware")
        if not isinstance(self.bars, tuple):
            raise TypeError("bars must be a tuple")

    def decision_context(self) -> DecisionContext:
        """The platform facts :func:`decide.decide` needs, as recorded in the bundle."""
        return DecisionContext(self.tsm_kind, self.tdisp_state, self.link_protected)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Device(_M):
    name: str = Field(min_length=1)
    vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    device_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    subsystem_vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    subsystem_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    class_code: int | None = Field(default=None, ge=0, le=0xFFFFFF)
    hw_identity: str | None = None
    revision: int | None = Field(default=None, ge=0, le=0xFF)


class _Tsm(_M):
    name: str
    kind: Literal["none", "link", "devsec"]


def _hexbytes(v: str | None) -> str | None:
    if v is not None:
        try:
            bytes.fromhex(v)
        except ValueError:
            raise ValueError("not hex") from None
    return v


class _Object(_M):
    data: str
    digest: str | None = None

    @field_validator("data")
    @classmethod
    def _b64(cls, v: str) -> str:
        try:
            base64.b64decode(v, validate=True)
        except binascii.Error:
            raise ValueError("not base64") from None
        return v

    @field_validator("digest")
    @classmethod
    def _hex(cls, v: str | None) -> str | None:
        return _hexbytes(v)


class _Evidence(_M):
    generation: int = Field(ge=0, lt=1 << 64)
    slot: int = Field(default=0, ge=0, le=7)
    digest_algo: str
    nonce: str
    objects: dict[str, _Object]

    @field_validator("nonce")
    @classmethod
    def _hex(cls, v: str) -> str:
        return _hexbytes(v) or ""

    @field_validator("objects")
    @classmethod
    def _names(cls, v: dict[str, _Object]) -> dict[str, _Object]:
        unknown = sorted(set(v) - set(_NAMES))
        if unknown:
            raise ValueError(f"unknown evidence type(s) {unknown}; use {', '.join(_NAMES)}")
        return v


class _Bar(_M):
    index: int = Field(ge=0, le=5)
    size: int = Field(ge=0)
    address: int | None = Field(default=None, ge=0)
    is_memory: bool = True


class _Msix(_M):
    table_bar: int = Field(ge=0, le=5)
    table_offset: int = Field(ge=0)
    table_size: int = Field(ge=0)
    pba_bar: int = Field(ge=0, le=5)
    pba_offset: int = Field(ge=0)
    pba_size: int = Field(ge=0)


class _Lock(_M):
    flags: int = Field(ge=0, le=0xFFFF)
    reporting_offset: int = Field(ge=0, lt=1 << 64)


class _Bundle(_M):
    format: Literal["devtrust-evidence-bundle"]
    format_version: Literal[1]
    tool_version: str
    collected_at: datetime
    platform: str
    device: _Device
    tsm: _Tsm
    tdisp_state: Literal["unlocked", "locked", "run", "error", "none"] = "none"
    link_protected: bool = False
    evidence: _Evidence
    bars: tuple[_Bar, ...] = ()
    msix: _Msix | None = None
    lock: _Lock | None = None

    @field_validator("collected_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("collected_at needs a timezone (use ...Z)")
        return v


def bundle_to_json(bundle: EvidenceBundle) -> str:
    """Deterministic JSON text for ``bundle``."""
    ev = bundle.evidence
    objects = {}
    for kind in EvidenceType:
        obj = ev.get(kind)
        if obj.data or obj.digest is not None:
            objects[kind.uapi_name] = {"data": base64.b64encode(obj.data).decode("ascii"),
                                       "digest": obj.digest.hex() if obj.digest is not None
                                       else None}
    ident = bundle.identity
    doc = {
        "format": BUNDLE_FORMAT, "format_version": BUNDLE_VERSION,
        "tool_version": bundle.tool_version,
        "collected_at": bundle.collected_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "platform": bundle.platform,
        "device": {"name": bundle.device_name, "vendor_id": ident.vendor_id,
                   "device_id": ident.device_id,
                   "subsystem_vendor_id": ident.subsystem_vendor_id,
                   "subsystem_id": ident.subsystem_id, "class_code": ident.class_code,
                   "hw_identity": ident.hw_identity, "revision": ident.revision},
        "tsm": {"name": bundle.tsm_name, "kind": bundle.tsm_kind},
        "tdisp_state": bundle.tdisp_state, "link_protected": bundle.link_protected,
        "evidence": {"generation": ev.generation, "slot": ev.slot,
                     "digest_algo": ev.digest_algo, "nonce": bundle.nonce.hex(),
                     "objects": objects},
        "bars": [{"index": b.index, "size": b.size, "address": b.address,
                  "is_memory": b.is_memory} for b in bundle.bars],
        "msix": None if bundle.msix is None else {
            k: getattr(bundle.msix, k) for k in ("table_bar", "table_offset", "table_size",
                                                 "pba_bar", "pba_offset", "pba_size")},
        "lock": None if bundle.lock is None else {
            "flags": bundle.lock.flags, "reporting_offset": bundle.lock.reporting_offset},
    }
    return json.dumps(doc, indent=2, sort_keys=True)


def bundle_from_json(text: str, source: str = "<bundle>") -> EvidenceBundle:
    """Parse and validate bundle JSON; any problem raises one-line :class:`BundleError`."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BundleError(source, f"not valid JSON: {exc} (fix: correct the syntax)") from None
    if not isinstance(data, dict):
        raise BundleError(source, "<top>: a bundle is a JSON object (fix: see bundle.py)")
    try:
        m = _Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleError(source, error_line("", exc).lstrip(": ")) from None
    objs = [EvidenceObject() for _ in EvidenceType]
    for name, obj in m.evidence.objects.items():
        try:
            objs[int(_NAMES[name])] = EvidenceObject(
                base64.b64decode(obj.data), None if obj.digest is None
                else bytes.fromhex(obj.digest))
        except ValueError as exc:
            raise BundleError(source, f"evidence.objects.{name}: {exc} (fix: shrink it)") \
                from None
    d = m.device
    return EvidenceBundle(
        d.name, DeviceIdentity(d.vendor_id, d.device_id, d.subsystem_vendor_id, d.subsystem_id,
                               d.class_code, d.hw_identity, d.revision),
        m.platform, m.tsm.name, m.tsm.kind,
        EvidenceSet(m.evidence.generation, m.evidence.slot, m.evidence.digest_algo,
                    tuple(objs)),
        bytes.fromhex(m.evidence.nonce), m.collected_at, m.tool_version,
        tuple(BarInfo(b.index, b.size, b.address, b.is_memory) for b in m.bars),
        None if m.msix is None else MsixPlacement(**m.msix.model_dump()),
        None if m.lock is None else LockParams(m.lock.flags, m.lock.reporting_offset),
        m.tdisp_state, m.link_protected)


def save_bundle(bundle: EvidenceBundle, path: str | Path) -> None:
    """Write ``bundle`` to ``path`` (UTF-8 JSON)."""
    Path(path).write_text(bundle_to_json(bundle) + "\n", encoding="utf-8")


def load_bundle(path: str | Path) -> EvidenceBundle:
    """Read a bundle file; any problem raises :class:`BundleError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(str(path), f"cannot read: {exc} (fix: check the path)") from None
    return bundle_from_json(text, str(path))
