# SPDX-License-Identifier: BSD-3-Clause
"""GET_DIGESTS / DIGESTS (protocols.md §3.5).

DIGESTS carries one H-byte digest per bit of the (provisioned) slot mask in
Param2, ascending slot order. SPDM 1.3 puts SupportedSlotMask in Param1, and with
MULTI_KEY_CONN appends KeyPairID[n], CertificateInfo[n], KeyUsageMask[n].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import EncodeError, ReservedBitsError
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)

__all__ = ["Digests", "GetDigests"]


@dataclass(frozen=True, slots=True)
class GetDigests:
    """GET_DIGESTS: 4 bytes, params reserved."""

    spdm_version: int
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM GET_DIGESTS"
    CODE = RequestCode.GET_DIGESTS

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE)
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> GetDigests:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        r.end()
        return cls(version, raw=r.data)


@dataclass(frozen=True, slots=True)
class Digests:
    """DIGESTS. ``digests[i]`` belongs to the i-th set bit of ``slot_mask``."""

    spdm_version: int
    slot_mask: int
    digests: tuple[bytes, ...]
    supported_slot_mask: int = 0
    key_pair_ids: tuple[int, ...] = ()
    certificate_infos: tuple[int, ...] = ()
    key_usage_masks: tuple[int, ...] = ()
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM DIGESTS"
    CODE = ResponseCode.DIGESTS

    def __post_init__(self) -> None:
        n = self.slot_mask.bit_count()
        if len(self.digests) != n or len({len(d) for d in self.digests}) > 1:
            raise EncodeError(self.STRUCTURE, "digests", 4,
                              "one equal-size digest per slot-mask bit required")
        if self.supported_slot_mask and self.spdm_version < SpdmVersion.V13:
            raise EncodeError(self.STRUCTURE, "param1", 2, "SupportedSlotMask needs SPDM 1.3")
        extra = (self.key_pair_ids, self.certificate_infos, self.key_usage_masks)
        if any(extra) and any(len(x) != n for x in extra):
            raise EncodeError(self.STRUCTURE, "key_pair_ids", 4,
                              "multi-key fields need one entry per slot")

    @property
    def slots(self) -> tuple[int, ...]:
        """Slot numbers in digest order."""
        return tuple(i for i in range(8) if self.slot_mask >> i & 1)

    def digest_for(self, slot: int) -> bytes:
        """Digest of ``slot``'s chain (KeyError when the slot is not in the mask)."""
        return dict(zip(self.slots, self.digests, strict=True))[slot]

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, self.supported_slot_mask, self.slot_mask)
        for i, d in enumerate(self.digests):
            w.raw(d, f"digests[{i}]")
        for i, v in enumerate(self.key_pair_ids):
            w.u8(v, f"key_pair_ids[{i}]")
        for i, v in enumerate(self.certificate_infos):
            w.u8(v, f"certificate_infos[{i}]")
        for i, v in enumerate(self.key_usage_masks):
            w.u16(v, f"key_usage_masks[{i}]")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes, hash_size: int, *, multi_key: bool = False) -> Digests:
        """``hash_size`` is H; ``multi_key`` is the negotiated 1.3 MULTI_KEY_CONN."""
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        if version < SpdmVersion.V13:
            require_zero(r, p1, "param1", 2)
        else:
            # Every provisioned slot must also be a supported slot.
            r.require(p2 & ~p1 == 0, "param2", "provisioned slot not in SupportedSlotMask",
                      kind=ReservedBitsError, offset=3)
        n = p2.bit_count()
        digests = tuple(r.take(hash_size, f"digests[{i}]") for i in range(n))
        ids: tuple[int, ...] = ()
        infos: tuple[int, ...] = ()
        usages: tuple[int, ...] = ()
        if multi_key and version >= SpdmVersion.V13:
            ids = tuple(r.u8(f"key_pair_ids[{i}]") for i in range(n))
            infos = tuple(r.u8(f"certificate_infos[{i}]") for i in range(n))
            usages = tuple(r.u16(f"key_usage_masks[{i}]") for i in range(n))
        r.end()
        return cls(version, p2, digests, p1, ids, infos, usages, raw=r.data)
