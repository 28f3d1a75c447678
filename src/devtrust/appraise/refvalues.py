# SPDX-License-Identifier: BSD-3-Clause
"""Reference values keyed by device class and SPDM measurement index; YAML/JSON format.

File format (``version: 1``)::

    version: 1
    devices:
      - name: acme-gpu-x-fw-1.4
        match: {vendor_id: 0x10de, device_id: 0x2330}   # or {hw_identity: "..."}
        unlisted: unknown            # blocks with no entry: unknown | ignore | fail
        measurements:
          - index: 1
            digests: ["sha384:9f86d0...", "sha384:..."]   # alternatives
            revoked: ["sha384:..."]                        # known-bad: always fail
            on_mismatch: unknown                           # unknown (default) | fail
          - {index: 0x10, svn_min: 5}                      # SVN block, 8-byte LE (libspdm)
          - index: 0xfe
            raw: [{value: "3f000000...", mask: "ff000000..."}]   # mask optional
          - {index: 6, versions: ["1.4.2"]}                # raw firmware-version strings
          - {index: 0xfd, ignore: true}
          - {index: 4, required: false, digests: [...]}

Every field is validated at load; a bad file raises :class:`RefValueError` with one line
naming the file, the path and the fix. Stores of several files: :mod:`refstore`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from devtrust.appraise.device_class import DeviceIdentity, DeviceMatch
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.fileformat import error_line, parse_text, read_text

__all__ = [
    "DIGEST_SIZES",
    "DeviceRefs",
    "Digest",
    "MeasurementRef",
    "RawRef",
    "RefValueError",
    "RefValues",
    "load_refvalues",
    "parse_refvalues",
    "ref_digest_name",
]

def ref_digest_name(hashlib_name: str) -> str:
    """Reference values spell SHA-3 with a hyphen (``sha3-256``); hashlib with ``_``."""
    return hashlib_name.replace("_", "-")


DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64, "sha3-256": 32, "sha3-384": 48,
                "sha3-512": 64}


class RefValueError(AppraisalInputError):
    """A reference-value file (YAML, JSON or CoRIM) that does not load."""


@dataclass(frozen=True, slots=True)
class Digest:
    """An expected digest; ``alg`` is a hashlib-style name from :data:`DIGEST_SIZES`."""

    alg: str
    value: bytes

    def __post_init__(self) -> None:
        if DIGEST_SIZES.get(self.alg) != len(self.value):
            raise ValueError(f"{self.alg} digest must be {DIGEST_SIZES.get(self.alg)} bytes")

    def __str__(self) -> str:
        return f"{self.alg}:{self.value.hex()}"


@dataclass(frozen=True, slots=True)
class RawRef:
    """An expected raw value; only bits set in ``mask`` are compared (all, without a mask)."""

    value: bytes
    mask: bytes | None = None

    def __post_init__(self) -> None:
        if self.mask is not None and len(self.mask) != len(self.value):
            raise ValueError("a raw-value mask must be as long as the value")


@dataclass(frozen=True, slots=True)
class MeasurementRef:
    """What is acceptable at one SPDM measurement index; all given criteria must hold."""

    index: int
    digests: tuple[Digest, ...] = ()
    revoked: tuple[Digest, ...] = ()
    raw: tuple[RawRef, ...] = ()
    svn_min: int | None = None
    versions: tuple[str, ...] = ()
    required: bool = True
    ignore: bool = False
    on_mismatch: Literal["unknown", "fail"] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.index <= 0xFE:
            raise ValueError("SPDM measurement indices are 1..254")


@dataclass(frozen=True, slots=True)
class DeviceRefs:
    """Reference values for one device class."""

    name: str
    match: DeviceMatch
    measurements: tuple[MeasurementRef, ...]
    unlisted: Literal["unknown", "ignore", "fail"] = "unknown"
    source: str = ""

    def for_index(self, index: int) -> MeasurementRef | None:
        return next((m for m in self.measurements if m.index == index), None)


@dataclass(frozen=True, slots=True)
class RefValues:
    """A set of :class:`DeviceRefs`; :meth:`lookup` picks the most specific match."""

    entries: tuple[DeviceRefs, ...] = ()

    def lookup(self, device: DeviceIdentity) -> DeviceRefs | None:
        """Most specific matching entry; wildcard entries never match (no accidental refs)."""
        found = [(e.match.specificity, -i, e) for i, e in enumerate(self.entries)
                 if not e.match.is_wildcard and e.match.matches(device)]
        return max(found, key=lambda t: t[:2])[2] if found else None

    def __add__(self, other: RefValues) -> RefValues:
        return RefValues(self.entries + other.entries)


# --- file models -------------------------------------------------------------------------

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hex(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text.replace(" ", ""))
    except ValueError:
        raise ValueError(f"{what} {text[:20]!r} is not hex") from None


def _digest(text: str) -> Digest:
    alg, sep, value = text.partition(":")
    if not sep or alg not in DIGEST_SIZES:
        raise ValueError(f"digest {text[:24]!r} must be '<alg>:<hex>' with alg one of "
                         f"{', '.join(DIGEST_SIZES)}")
    raw = _hex(value, "digest")
    if len(raw) != DIGEST_SIZES[alg]:
        raise ValueError(f"{alg} digest has {len(raw)} bytes, expected {DIGEST_SIZES[alg]}")
    return Digest(alg, raw)


class _Raw(_Model):
    value: str
    mask: str | None = None

    @model_validator(mode="after")
    def _check(self) -> _Raw:
        v = _hex(self.value, "raw value")
        if self.mask is not None and len(_hex(self.mask, "mask")) != len(v):
            raise ValueError("mask must be as long as value")
        return self


class _Measurement(_Model):
    index: int = Field(ge=1, le=0xFE)
    digests: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    raw: tuple[_Raw, ...] = ()
    svn_min: int | None = Field(default=None, ge=0, lt=1 << 64)
    versions: tuple[str, ...] = ()
    required: bool = True
    ignore: bool = False
    on_mismatch: Literal["unknown", "fail"] | None = None

    @field_validator("digests", "revoked")
    @classmethod
    def _digests(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for d in v:
            _digest(d)
        return v

    @model_validator(mode="after")
    def _something(self) -> _Measurement:
        if not (self.ignore or self.digests or self.raw or self.svn_min is not None
                or self.versions):
            raise ValueError(f"index {self.index} has no criterion: give digests, raw, "
                             "svn_min or versions, or set ignore: true")
        return self

    def build(self) -> MeasurementRef:
        return MeasurementRef(
            self.index, tuple(_digest(d) for d in self.digests),
            tuple(_digest(d) for d in self.revoked),
            tuple(RawRef(_hex(r.value, "raw"), _hex(r.mask, "mask") if r.mask else None)
                  for r in self.raw),
            self.svn_min, self.versions, self.required, self.ignore, self.on_mismatch)


class _Match(_Model):
    vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    device_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    subsystem_vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    subsystem_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    hw_identity: str | None = None

    @model_validator(mode="after")
    def _not_wildcard(self) -> _Match:
        if self.vendor_id is None and self.hw_identity is None:
            raise ValueError("match needs vendor_id (with device_id) or hw_identity")
        return self


class _Device(_Model):
    name: str = Field(min_length=1)
    match: _Match
    unlisted: Literal["unknown", "ignore", "fail"] = "unknown"
    measurements: tuple[_Measurement, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> _Device:
        idx = [m.index for m in self.measurements]
        dup = sorted({i for i in idx if idx.count(i) > 1})
        if dup:
            raise ValueError(f"index(es) {dup} listed twice; merge the alternatives")
        return self


class _File(_Model):
    version: Literal[1]
    devices: tuple[_Device, ...]


def parse_refvalues(source: str, text: str, suffix: str = ".yaml") -> RefValues:
    """Parse and validate reference-value text (YAML or JSON)."""
    data = parse_text(source, text, suffix, RefValueError)
    if not isinstance(data, dict):
        raise RefValueError(source, "<top>: expected a mapping (fix: start with 'version: 1')")
    try:
        model = _File.model_validate(data)
    except ValidationError as exc:
        raise RefValueError(source, error_line("", exc).lstrip(": ")) from None
    return RefValues(tuple(
        DeviceRefs(d.name, DeviceMatch(**d.match.model_dump()),
                   tuple(m.build() for m in d.measurements), d.unlisted, source)
        for d in model.devices))


def load_refvalues(path: str | Path) -> RefValues:
    """Load one ``.yaml``/``.yml``/``.json`` reference-value file."""
    path = Path(path)
    return parse_refvalues(str(path), read_text(path, RefValueError), path.suffix.lower())
