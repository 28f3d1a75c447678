# SPDX-License-Identifier: BSD-3-Clause
"""Measurement blocks against reference values: one claim per index, unknown is an outcome.

Claims (all in the ``measurement`` family, so policy requirements can refer to them):

* ``measurement.present`` -- the device returned at least one block.
* ``measurement.reference`` -- reference values exist for this device class; ``unknown``
  when none do ("unknown firmware", landscape.md pitfall 5): then every block is
  ``unknown`` too, and policy decides.
* ``measurement[N]`` -- block N compared with its reference: ``pass`` on a match, ``fail``
  on a revoked digest, an SVN below the minimum ("firmware downgrade"), a raw value that
  differs under its mask or a block of the wrong kind; ``unknown`` when a digest or
  version matches no reference (``on_mismatch: fail`` makes that a failure).
* ``measurement.unlisted[N]`` -- block N has no reference entry (``unknown``/``fail``/
  ``skip`` per the entry's ``unlisted`` setting).
* ``measurement[N].missing`` -- a required index the device did not report: ``fail``.

Digests are compared with :func:`hmac.compare_digest`; raw values are masked first.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from devtrust.appraise.claims import Category, Claim, ClaimStatus
from devtrust.appraise.refvalues import DeviceRefs, MeasurementRef
from devtrust.wire.spdm.measurement_block import MeasurementBlock, MeasurementRecord

__all__ = ["SVN_TYPE", "VERSION_TYPE", "MeasurementView", "check_measurements"]

VERSION_TYPE = 6  # mutable firmware version (SPDM 1.2)
SVN_TYPE = 7  # mutable firmware security version number; 8-byte LE in libspdm
_CATEGORY = {0: Category.HARDWARE, 2: Category.CONFIGURATION, 3: Category.CONFIGURATION,
             5: Category.CONFIGURATION, 9: Category.CONFIGURATION}
_PTR = "/objects/measurements/index"


@dataclass(frozen=True, slots=True)
class MeasurementView:
    """One DMTF measurement block: index, value type bits 6:0, raw-bitstream flag, value.

    ``hash_alg`` (hashlib name) is the negotiated MeasurementHashAlgo when known; digests
    of another algorithm then never match.
    """

    index: int
    value_type: int
    is_raw: bool
    value: bytes
    hash_alg: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.index <= 0xFF or not 0 <= self.value_type <= 0x7F:
            raise ValueError("index is a byte and value_type 7 bits")

    @classmethod
    def from_block(cls, block: MeasurementBlock, hash_alg: str | None = None) -> MeasurementView:
        """Adapt a decoded :class:`devtrust.wire.spdm.measurement_block.MeasurementBlock`."""
        return cls(block.index, int(block.value_type), block.is_raw, block.value, hash_alg)

    @classmethod
    def from_record(cls, record: MeasurementRecord,
                    hash_alg: str | None = None) -> tuple[MeasurementView, ...]:
        """All blocks of a decoded measurement record, in record order."""
        return cls.from_blocks(record.blocks, hash_alg)

    @classmethod
    def from_blocks(cls, blocks: Iterable[MeasurementBlock],
                    hash_alg: str | None = None) -> tuple[MeasurementView, ...]:
        """Adapt blocks, e.g. ``MeasurementEvidence.blocks`` from :mod:`spdm_evidence`."""
        return tuple(cls.from_block(b, hash_alg) for b in blocks)

    @property
    def category(self) -> Category:
        return _CATEGORY.get(self.value_type, Category.EXECUTABLES)


_ORDER = {ClaimStatus.PASS: 0, ClaimStatus.UNKNOWN: 1, ClaimStatus.FAIL: 2}


def _compare_raw(observed: bytes, expected: bytes, mask: bytes | None) -> bool:
    if len(observed) != len(expected):
        return False
    if mask is None:
        return hmac.compare_digest(observed, expected)
    return hmac.compare_digest(bytes(a & m for a, m in zip(observed, mask, strict=True)),
                               bytes(b & m for b, m in zip(expected, mask, strict=True)))


def _judge(block: MeasurementView, ref: MeasurementRef) -> tuple[ClaimStatus, str]:
    """Evaluate every criterion of ``ref``; the worst outcome wins."""
    verdicts: list[tuple[ClaimStatus, str]] = []
    if ref.svn_min is not None:
        if not block.is_raw or not 1 <= len(block.value) <= 8:
            verdicts.append((ClaimStatus.FAIL, "SVN block must be a raw 1..8-byte value"))
        else:
            svn = int.from_bytes(block.value, "little")
            verdicts.append((ClaimStatus.FAIL, f"firmware downgrade: SVN {svn} < minimum "
                                               f"{ref.svn_min}") if svn < ref.svn_min else
                            (ClaimStatus.PASS, f"SVN {svn} >= {ref.svn_min}"))
    if ref.digests or ref.revoked:
        if block.is_raw:
            verdicts.append((ClaimStatus.FAIL, "reference expects a digest, device sent a raw "
                                               "value"))
        else:
            def hits(cands: Sequence) -> bool:
                return any((block.hash_alg is None or d.alg == block.hash_alg)
                           and len(d.value) == len(block.value)
                           and hmac.compare_digest(d.value, block.value) for d in cands)
            if hits(ref.revoked):
                verdicts.append((ClaimStatus.FAIL, f"revoked firmware digest "
                                                   f"{block.value.hex()[:16]}..."))
            elif ref.digests and hits(ref.digests):
                verdicts.append((ClaimStatus.PASS, "digest matches a reference value"))
            elif ref.digests:
                miss = ClaimStatus.FAIL if ref.on_mismatch == "fail" else ClaimStatus.UNKNOWN
                verdicts.append((miss, f"unknown firmware: digest {block.value.hex()[:16]}... "
                                       f"matches none of {len(ref.digests)} reference(s)"))
    if ref.raw:
        if not block.is_raw:
            verdicts.append((ClaimStatus.FAIL, "reference expects a raw value, device sent a "
                                               "digest"))
        elif any(_compare_raw(block.value, r.value, r.mask) for r in ref.raw):
            verdicts.append((ClaimStatus.PASS, "raw value matches a reference (masked)"))
        else:
            miss = ClaimStatus.UNKNOWN if ref.on_mismatch == "unknown" else ClaimStatus.FAIL
            verdicts.append((miss, f"raw value {block.value.hex()[:32]} matches none of "
                                   f"{len(ref.raw)} reference(s)"))
    if ref.versions:
        text = block.value.rstrip(b"\0").decode("utf-8", "replace") if block.is_raw else None
        if text is None:
            verdicts.append((ClaimStatus.FAIL, "firmware version must be a raw value"))
        elif text in ref.versions:
            verdicts.append((ClaimStatus.PASS, f"firmware version {text!r} is listed"))
        else:
            miss = ClaimStatus.FAIL if ref.on_mismatch == "fail" else ClaimStatus.UNKNOWN
            verdicts.append((miss, f"unknown firmware version {text!r}"))
    worst = max(verdicts, key=lambda v: _ORDER[v[0]])
    if worst[0] is ClaimStatus.PASS:
        return ClaimStatus.PASS, "; ".join(v[1] for v in verdicts)
    return worst


def check_measurements(blocks: Sequence[MeasurementView], refs: DeviceRefs | None,
                       device: str) -> tuple[Claim, ...]:
    """Compare every block with ``refs`` (``None`` = no references for this device class)."""
    claims = [Claim("measurement.present",
                    ClaimStatus.PASS if blocks else ClaimStatus.FAIL,
                    f"{len(blocks)} measurement block(s)" if blocks
                    else "the device returned no measurement blocks", "/objects/measurements",
                    Category.EXECUTABLES)]
    if refs is None:
        claims.append(Claim("measurement.reference", ClaimStatus.UNKNOWN,
                            f"unknown firmware: no reference values for {device}",
                            "/objects/measurements", Category.EXECUTABLES))
    else:
        claims.append(Claim("measurement.reference", ClaimStatus.PASS,
                            f"reference values {refs.name!r}"
                            + (f" from {refs.source}" if refs.source else ""),
                            "/objects/measurements", Category.EXECUTABLES))
    seen: set[int] = set()
    for block in blocks:
        ptr = f"{_PTR}/{block.index}"
        name = f"measurement[{block.index}]"
        if block.index in seen:
            claims.append(Claim(name, ClaimStatus.FAIL, "index reported twice", ptr,
                                block.category))
            continue
        seen.add(block.index)
        details = (("value_type", str(block.value_type)), ("raw", str(block.is_raw).lower()),
                   ("value", block.value.hex()[:128]))
        if refs is None:
            claims.append(Claim(name, ClaimStatus.UNKNOWN, "no reference values for this "
                                "device class", ptr, block.category, details))
            continue
        ref = refs.for_index(block.index)
        if ref is None:
            status = {"unknown": ClaimStatus.UNKNOWN, "fail": ClaimStatus.FAIL,
                      "ignore": ClaimStatus.SKIP}[refs.unlisted]
            claims.append(Claim(f"measurement.unlisted[{block.index}]", status,
                                f"index {block.index} has no reference entry "
                                f"(unlisted: {refs.unlisted})", ptr, block.category, details))
        elif ref.ignore:
            claims.append(Claim(name, ClaimStatus.SKIP, "ignored by reference values", ptr,
                                block.category, details))
        else:
            status, reason = _judge(block, ref)
            claims.append(Claim(name, status, reason, ptr, block.category, details))
    if refs is not None:
        for ref in refs.measurements:
            if ref.required and not ref.ignore and ref.index not in seen:
                claims.append(Claim(f"measurement[{ref.index}].missing", ClaimStatus.FAIL,
                                    f"required index {ref.index} was not reported",
                                    f"{_PTR}/{ref.index}", Category.EXECUTABLES))
    return tuple(claims)

