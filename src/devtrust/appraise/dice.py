# SPDX-License-Identifier: BSD-3-Clause
"""TCG DICE certificate extensions, parsed into claims instead of rejected.

* ``tcg-dice-TcbInfo`` 2.23.133.5.4.1::

      DiceTcbInfo ::= SEQUENCE {
        vendor [0] UTF8String OPTIONAL, model [1] UTF8String OPTIONAL,
        version [2] UTF8String OPTIONAL, svn [3] INTEGER OPTIONAL,
        layer [4] INTEGER OPTIONAL, index [5] INTEGER OPTIONAL,
        fwids [6] SEQUENCE OF FWID OPTIONAL, flags [7] OperationalFlags OPTIONAL,
        vendorInfo [8] OCTET STRING OPTIONAL, type [9] OCTET STRING OPTIONAL,
        flagsMask [10] OperationalFlagsMask OPTIONAL }      -- all IMPLICIT
      FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }

* ``tcg-dice-MultiTcbInfo`` 2.23.133.5.4.5: SEQUENCE OF DiceTcbInfo.
* ``tcg-dice-Ueid`` 2.23.133.5.4.4: SEQUENCE { ueid OCTET STRING }.

Fields must appear in tag order, at most once; unknown tags are errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from devtrust.appraise.asn1 import (
    OCTET_STRING,
    OID,
    SEQUENCE,
    decode_integer,
    decode_oid,
    decode_utf8,
    read_single,
    read_tlvs,
)
from devtrust.appraise.errors import EvidenceFormatError

__all__ = [
    "DICE_OIDS",
    "OID_MULTI_TCB_INFO",
    "OID_TCB_INFO",
    "OID_UEID",
    "OPERATIONAL_FLAGS",
    "DiceTcbInfo",
    "Fwid",
    "parse_multi_tcb_info",
    "parse_tcb_info",
    "parse_ueid",
]

OID_TCB_INFO = "2.23.133.5.4.1"
OID_UEID = "2.23.133.5.4.4"
OID_MULTI_TCB_INFO = "2.23.133.5.4.5"
DICE_OIDS = frozenset({OID_TCB_INFO, OID_UEID, OID_MULTI_TCB_INFO})

# OperationalFlags BIT STRING names, bit 0 first (TCG DICE Attestation Architecture 1.1).
OPERATIONAL_FLAGS = (
    "not_configured", "not_secure", "recovery", "debug", "not_replay_protected",
    "not_integrity_protected", "not_runtime_measured", "not_immutable", "not_tcb",
)
_MAX_FWIDS = 64
_MAX_TCB_INFOS = 64


@dataclass(frozen=True, slots=True)
class Fwid:
    """One firmware identifier: hash algorithm OID and digest."""

    hash_oid: str
    digest: bytes


@dataclass(frozen=True, slots=True)
class DiceTcbInfo:
    """Claims of one DICE layer. ``flags``/``flags_mask`` are None when absent."""

    vendor: str | None = None
    model: str | None = None
    version: str | None = None
    svn: int | None = None
    layer: int | None = None
    index: int | None = None
    fwids: tuple[Fwid, ...] = ()
    flags: frozenset[str] | None = None
    vendor_info: bytes | None = None
    type: bytes | None = None
    flags_mask: frozenset[str] | None = None


def _bit_names(value: bytes, source: str) -> frozenset[str]:
    """Names of the set bits of a DER BIT STRING content (bit 0 = MSB of first byte)."""
    if not value or value[0] > 7 or (len(value) == 1 and value[0]):
        raise EvidenceFormatError(source, "malformed BIT STRING")
    unused, bits = value[0], value[1:]
    if bits and bits[-1] & ((1 << unused) - 1):
        raise EvidenceFormatError(source, "BIT STRING has non-zero unused bits")
    names = set()
    for i in range(len(bits) * 8 - unused):
        if bits[i // 8] & (0x80 >> (i % 8)):
            names.add(OPERATIONAL_FLAGS[i] if i < len(OPERATIONAL_FLAGS) else f"bit{i}")
    return frozenset(names)


def _tcb_info_from(seq_value: bytes, base: int, source: str) -> DiceTcbInfo:
    fields: dict[str, object] = {}
    last = -1
    for tlv in read_tlvs(seq_value, source, base=base):
        number = tlv.tag & 0x1F
        if tlv.tag & 0xC0 != 0x80 or number > 10:
            raise EvidenceFormatError(source, f"unexpected tag 0x{tlv.tag:02x} in DiceTcbInfo "
                                              f"at offset {tlv.offset}")
        if number <= last:
            raise EvidenceFormatError(source, f"DiceTcbInfo field [{number}] out of order")
        last = number
        want_constructed = number == 6
        if tlv.constructed != want_constructed:
            raise EvidenceFormatError(source, f"DiceTcbInfo field [{number}] has wrong form")
        where = f"{source} [{number}]"
        if number <= 2:
            fields[("vendor", "model", "version")[number]] = decode_utf8(tlv.value, where)
        elif number <= 5:
            fields[("svn", "layer", "index")[number - 3]] = decode_integer(tlv.value, where)
        elif number == 6:
            fwids = []
            for item in tlv.children(where):
                if item.tag != SEQUENCE:
                    raise EvidenceFormatError(where, "FWID is not a SEQUENCE")
                parts = item.children(where)
                if len(parts) != 2 or parts[0].tag != OID or parts[1].tag != OCTET_STRING:
                    raise EvidenceFormatError(where, "FWID must be {OID, OCTET STRING}")
                fwids.append(Fwid(decode_oid(parts[0].value, where), parts[1].value))
            if not fwids or len(fwids) > _MAX_FWIDS:
                raise EvidenceFormatError(where, f"FWID list of {len(fwids)} entries")
            fields["fwids"] = tuple(fwids)
        elif number in (7, 10):
            fields["flags" if number == 7 else "flags_mask"] = _bit_names(tlv.value, where)
        else:
            fields["vendor_info" if number == 8 else "type"] = tlv.value
    return DiceTcbInfo(**fields)  # type: ignore[arg-type]


def parse_tcb_info(der: bytes, source: str = "DICE TcbInfo") -> DiceTcbInfo:
    """Parse a TcbInfo extension value (the DER inside extnValue)."""
    tlv = read_single(der, SEQUENCE, source)
    return _tcb_info_from(tlv.value, len(der) - len(tlv.value), source)


def parse_multi_tcb_info(der: bytes, source: str = "DICE MultiTcbInfo") -> tuple[DiceTcbInfo, ...]:
    """Parse a MultiTcbInfo extension value: one or more TcbInfo entries."""
    outer = read_single(der, SEQUENCE, source)
    items = outer.children(source)
    if not items or len(items) > _MAX_TCB_INFOS:
        raise EvidenceFormatError(source, f"MultiTcbInfo with {len(items)} entries")
    out = []
    for item in items:
        if item.tag != SEQUENCE:
            raise EvidenceFormatError(source, f"entry at offset {item.offset} is not a SEQUENCE")
        out.append(_tcb_info_from(item.value, item.offset + 2, source))
    return tuple(out)


def parse_ueid(der: bytes, source: str = "DICE UEID") -> bytes:
    """Parse a UEID extension value; returns the UEID bytes."""
    parts = read_single(der, SEQUENCE, source).children(source)
    if len(parts) != 1 or parts[0].tag != OCTET_STRING or not parts[0].value:
        raise EvidenceFormatError(source, "UEID must be SEQUENCE { OCTET STRING }")
    return parts[0].value
