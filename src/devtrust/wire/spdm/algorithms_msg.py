# SPDX-License-Identifier: BSD-3-Clause
"""NEGOTIATE_ALGORITHMS / ALGORITHMS and the 1.3 SupportedAlgorithms block (protocols.md §3.4).

The request offers bitmasks plus AlgStruct tables (DHE, AEAD, ReqBaseAsymAlg,
KeySchedule); the response selects at most one bit of each. Counts and Length are
derived on encode and checked on decode. :meth:`Algorithms.to_negotiated` gives
the sizes later decoders need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from devtrust.wire.codec import Reader, Writer, decode_enum
from devtrust.wire.errors import EncodeError, LengthError, ReservedBitsError
from devtrust.wire.spdm.algorithms import (
    AeadAlgo,
    BaseAsymAlgo,
    BaseHashAlgo,
    DheAlgo,
    KeyScheduleAlgo,
    MeasurementHashAlgo,
    NegotiatedAlgorithms,
)
from devtrust.wire.spdm.header import (
    RequestCode,
    ResponseCode,
    SpdmVersion,
    read_header,
    require_zero,
    write_header,
)

__all__ = [
    "AlgStruct",
    "AlgType",
    "Algorithms",
    "ExtAlg",
    "NegotiateAlgorithms",
    "SupportedAlgorithms",
]

_MEAS_SPEC_DMTF = 0x01
_MAX_REQUEST = 128  # NEGOTIATE_ALGORITHMS maximum size (§3.4)
_FIXED_ALG_COUNT = 2  # AlgCount bits 7:4: AlgSupported is two bytes


class AlgType(IntEnum):
    """AlgStruct AlgType values (§3.4); 1.4 additions are not accepted."""

    DHE = 2
    AEAD = 3
    REQ_BASE_ASYM_ALG = 4
    KEY_SCHEDULE = 5


_ALG_TYPE_BITS = {
    AlgType.DHE: max(DheAlgo).value * 2 - 1,
    AlgType.AEAD: max(AeadAlgo).value * 2 - 1,
    AlgType.REQ_BASE_ASYM_ALG: max(BaseAsymAlgo).value * 2 - 1,
    AlgType.KEY_SCHEDULE: max(KeyScheduleAlgo).value * 2 - 1,
}
_ASYM_BITS = max(BaseAsymAlgo).value * 2 - 1
_HASH_BITS = max(BaseHashAlgo).value * 2 - 1
_MEAS_HASH_BITS = max(MeasurementHashAlgo).value * 2 - 1


def _other_params_bits(version: int) -> int:
    """OtherParams bits defined per version: 1.2 opaque formats 0/1, 1.3 adds MULTI_KEY_CONN."""
    return {SpdmVersion.V12: 0x03, SpdmVersion.V13: 0x13}.get(SpdmVersion(version), 0)


def _mel_bits(version: int) -> int:
    return 0x01 if version >= SpdmVersion.V13 else 0


def _one_bit_at_most(r: Reader, value: int, field_name: str, at: int) -> None:
    r.require(value & (value - 1) == 0, field_name,
              f"selection 0x{value:x} has more than one bit set", offset=at)


@dataclass(frozen=True, slots=True)
class ExtAlg:
    """Extended algorithm entry: RegistryID (1) | Reserved (1) | AlgorithmID (2)."""

    registry_id: int
    algorithm_id: int

    def write(self, w: Writer, name: str) -> None:
        w.u8(self.registry_id, f"{name}.registry_id").zeros(1)
        w.u16(self.algorithm_id, f"{name}.algorithm_id")

    @classmethod
    def read(cls, r: Reader, name: str) -> ExtAlg:
        reg = r.u8(f"{name}.registry_id")
        r.reserved(1, f"{name}.reserved")
        return cls(reg, r.u16(f"{name}.algorithm_id"))


@dataclass(frozen=True, slots=True)
class AlgStruct:
    """AlgType | AlgCount (0x2N) | AlgSupported (2) | AlgExternal[N]."""

    alg_type: AlgType
    supported: int
    external: tuple[ExtAlg, ...] = ()

    def __post_init__(self) -> None:
        if len(self.external) > 0xF:
            raise EncodeError("SPDM AlgStruct", "external", 0, "at most 15 external entries")

    def write(self, w: Writer, name: str) -> None:
        w.u8(int(self.alg_type), f"{name}.alg_type")
        w.u8(_FIXED_ALG_COUNT << 4 | len(self.external), f"{name}.alg_count")
        w.u16(self.supported, f"{name}.alg_supported")
        for i, ext in enumerate(self.external):
            ext.write(w, f"{name}.external[{i}]")

    @classmethod
    def read(cls, r: Reader, name: str, *, selection: bool) -> AlgStruct:
        at = r.offset
        alg_type = decode_enum(AlgType, r.u8(f"{name}.alg_type"), r, f"{name}.alg_type", at)
        at = r.offset
        count = r.u8(f"{name}.alg_count")
        r.require(count >> 4 == _FIXED_ALG_COUNT, f"{name}.alg_count",
                  f"fixed algorithm byte count {count >> 4} != 2", kind=LengthError, offset=at)
        at = r.offset
        supported = r.flags(r.u16(f"{name}.alg_supported"), _ALG_TYPE_BITS[alg_type],
                            f"{name}.alg_supported", offset=at)
        if selection:
            _one_bit_at_most(r, supported, f"{name}.alg_supported", at)
        ext = tuple(ExtAlg.read(r, f"{name}.external[{i}]") for i in range(count & 0xF))
        if selection:
            r.require(len(ext) <= 1, f"{name}.alg_count", "more than one external selection",
                      kind=LengthError, offset=at - 1)
        return cls(alg_type, supported, ext)


def _read_structs(r: Reader, count: int, *, selection: bool) -> tuple[AlgStruct, ...]:
    structs: list[AlgStruct] = []
    for i in range(count):
        at = r.offset
        s = AlgStruct.read(r, f"alg_structs[{i}]", selection=selection)
        # AlgStructs are listed once each in increasing AlgType order.
        r.require(not structs or s.alg_type > structs[-1].alg_type, f"alg_structs[{i}].alg_type",
                  "AlgType repeated or out of order", offset=at)
        structs.append(s)
    return tuple(structs)


def _check_struct_order(structure: str, structs: tuple[AlgStruct, ...]) -> None:
    types = [s.alg_type for s in structs]
    if types != sorted(set(types)) or len(structs) > 0xFF:
        raise EncodeError(structure, "alg_structs", 0, "AlgTypes must be unique and ascending")


@dataclass(frozen=True, slots=True)
class _RequestBody:
    """Fields after Param2 shared by NEGOTIATE_ALGORITHMS and the SupportedAlgorithms block."""

    measurement_spec: int
    other_params: int
    base_asym: BaseAsymAlgo
    base_hash: BaseHashAlgo
    mel_spec: int
    ext_asym: tuple[ExtAlg, ...]
    ext_hash: tuple[ExtAlg, ...]
    alg_structs: tuple[AlgStruct, ...]

    def write(self, w: Writer, total: int) -> None:
        w.u16(total, "length").u8(self.measurement_spec, "measurement_specification")
        w.u8(self.other_params, "other_params_support")
        w.u32(int(self.base_asym), "base_asym_algo").u32(int(self.base_hash), "base_hash_algo")
        w.zeros(12).u8(len(self.ext_asym), "ext_asym_count").u8(len(self.ext_hash),
                                                                 "ext_hash_count")
        w.zeros(1).u8(self.mel_spec, "mel_specification")
        for i, e in enumerate(self.ext_asym):
            e.write(w, f"ext_asym[{i}]")
        for i, e in enumerate(self.ext_hash):
            e.write(w, f"ext_hash[{i}]")
        for i, s in enumerate(self.alg_structs):
            s.write(w, f"alg_structs[{i}]")

    def size(self) -> int:
        """Bytes from Param1 to the end (the SupportedAlgorithms block's Length)."""
        return (30 + 4 * (len(self.ext_asym) + len(self.ext_hash))
                + sum(4 + 4 * len(s.external) for s in self.alg_structs))

    @classmethod
    def read(cls, r: Reader, version: int, count: int, start: int) -> _RequestBody:
        """Read from Length on; ``start`` is where the counted region began (relative pos)."""
        at = r.offset
        length = r.u16("length")
        r.require(length == len(r.data) - start, "length",
                  f"Length {length} != actual size {len(r.data) - start}", kind=LengthError,
                  offset=at)
        at = r.offset
        meas = r.flags(r.u8("measurement_specification"), _MEAS_SPEC_DMTF,
                       "measurement_specification", offset=at)
        at = r.offset
        other = r.flags(r.u8("other_params_support"), _other_params_bits(version),
                        "other_params_support", offset=at)
        at = r.offset
        asym = r.flags(r.u32("base_asym_algo"), _ASYM_BITS, "base_asym_algo", offset=at)
        at = r.offset
        hsh = r.flags(r.u32("base_hash_algo"), _HASH_BITS, "base_hash_algo", offset=at)
        r.reserved(12)
        n_asym = r.u8("ext_asym_count")
        n_hash = r.u8("ext_hash_count")
        r.reserved(1)
        at = r.offset
        mel = r.flags(r.u8("mel_specification"), _mel_bits(version), "mel_specification",
                      offset=at)
        ext_asym = tuple(ExtAlg.read(r, f"ext_asym[{i}]") for i in range(n_asym))
        ext_hash = tuple(ExtAlg.read(r, f"ext_hash[{i}]") for i in range(n_hash))
        structs = _read_structs(r, count, selection=False)
        return cls(meas, other, BaseAsymAlgo(asym), BaseHashAlgo(hsh), mel, ext_asym, ext_hash,
                   structs)


@dataclass(frozen=True, slots=True)
class NegotiateAlgorithms:
    """NEGOTIATE_ALGORITHMS (requester offer)."""

    spdm_version: int
    base_asym: BaseAsymAlgo
    base_hash: BaseHashAlgo
    measurement_spec: int = _MEAS_SPEC_DMTF
    other_params: int = 0
    mel_spec: int = 0
    ext_asym: tuple[ExtAlg, ...] = ()
    ext_hash: tuple[ExtAlg, ...] = ()
    alg_structs: tuple[AlgStruct, ...] = ()
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM NEGOTIATE_ALGORITHMS"
    CODE = RequestCode.NEGOTIATE_ALGORITHMS

    def __post_init__(self) -> None:
        _check_struct_order(self.STRUCTURE, self.alg_structs)
        if self.spdm_version == SpdmVersion.V10 and self.alg_structs:
            raise EncodeError(self.STRUCTURE, "alg_structs", 0, "SPDM 1.0 has no AlgStructs")

    def _body(self) -> _RequestBody:
        return _RequestBody(self.measurement_spec, self.other_params, self.base_asym,
                            self.base_hash, self.mel_spec, self.ext_asym, self.ext_hash,
                            self.alg_structs)

    def encode(self) -> bytes:
        body = self._body()
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, len(self.alg_structs))
        body.write(w, 2 + body.size())
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> NegotiateAlgorithms:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        if version == SpdmVersion.V10:
            require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        r.require(len(r.data) <= _MAX_REQUEST, "length",
                  f"request of {len(r.data)} bytes exceeds {_MAX_REQUEST}", kind=LengthError,
                  offset=4)
        b = _RequestBody.read(r, version, p1, 0)
        r.end()
        return cls(version, b.base_asym, b.base_hash, b.measurement_spec, b.other_params,
                   b.mel_spec, b.ext_asym, b.ext_hash, b.alg_structs, raw=r.data)


@dataclass(frozen=True, slots=True)
class SupportedAlgorithms:
    """SPDM 1.3 SupportedAlgorithms block appended to CAPABILITIES.

    Layout as NEGOTIATE_ALGORITHMS without SPDMVersion/code: Param1 (AlgStruct
    count) | Param2 (reserved) | Length (whole block) | the same fields. The block's
    layout is [unverified] against DSP0274 1.3 text (see protocols.md §3.3).
    """

    base_asym: BaseAsymAlgo
    base_hash: BaseHashAlgo
    measurement_spec: int = _MEAS_SPEC_DMTF
    other_params: int = 0
    mel_spec: int = 0
    ext_asym: tuple[ExtAlg, ...] = ()
    ext_hash: tuple[ExtAlg, ...] = ()
    alg_structs: tuple[AlgStruct, ...] = ()

    STRUCTURE = "SPDM SupportedAlgorithms"

    def __post_init__(self) -> None:
        _check_struct_order(self.STRUCTURE, self.alg_structs)

    def encode(self) -> bytes:
        body = _RequestBody(self.measurement_spec, self.other_params, self.base_asym,
                            self.base_hash, self.mel_spec, self.ext_asym, self.ext_hash,
                            self.alg_structs)
        w = Writer(self.STRUCTURE)
        w.u8(len(self.alg_structs), "param1").zeros(1)
        body.write(w, body.size())
        return w.getvalue()

    @classmethod
    def decode_from(cls, r: Reader, version: int, base: int) -> SupportedAlgorithms:
        """Decode the whole of ``r`` (a sub-reader over the block)."""
        count = r.u8("supported_algorithms.param1")
        r.reserved(1, "supported_algorithms.param2")
        b = _RequestBody.read(r, version, count, 0)
        r.end()
        return cls(b.base_asym, b.base_hash, b.measurement_spec, b.other_params, b.mel_spec,
                   b.ext_asym, b.ext_hash, b.alg_structs)


@dataclass(frozen=True, slots=True)
class Algorithms:
    """ALGORITHMS (responder selection): at most one bit per field."""

    spdm_version: int
    base_asym: BaseAsymAlgo
    base_hash: BaseHashAlgo
    measurement_hash: MeasurementHashAlgo = MeasurementHashAlgo.NONE
    measurement_spec: int = _MEAS_SPEC_DMTF
    other_params: int = 0
    mel_spec: int = 0
    ext_asym: tuple[ExtAlg, ...] = ()
    ext_hash: tuple[ExtAlg, ...] = ()
    alg_structs: tuple[AlgStruct, ...] = ()
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "SPDM ALGORITHMS"
    CODE = ResponseCode.ALGORITHMS

    def __post_init__(self) -> None:
        _check_struct_order(self.STRUCTURE, self.alg_structs)
        if len(self.ext_asym) > 1 or len(self.ext_hash) > 1:
            raise EncodeError(self.STRUCTURE, "ext", 0, "at most one external selection each")
        if self.spdm_version == SpdmVersion.V10 and self.alg_structs:
            raise EncodeError(self.STRUCTURE, "alg_structs", 0, "SPDM 1.0 has no AlgStructs")

    def struct(self, alg_type: AlgType) -> int:
        """The selected AlgSupported bits of ``alg_type`` (0 when the struct is absent)."""
        return next((s.supported for s in self.alg_structs if s.alg_type == alg_type), 0)

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        write_header(w, self.spdm_version, self.CODE, len(self.alg_structs))
        total = (36 + 4 * (len(self.ext_asym) + len(self.ext_hash))
                 + sum(4 + 4 * len(s.external) for s in self.alg_structs))
        w.u16(total, "length").u8(self.measurement_spec, "measurement_specification_sel")
        w.u8(self.other_params, "other_params_selection")
        w.u32(int(self.measurement_hash), "measurement_hash_algo")
        w.u32(int(self.base_asym), "base_asym_sel").u32(int(self.base_hash), "base_hash_sel")
        w.zeros(11).u8(self.mel_spec, "mel_specification_sel")
        w.u8(len(self.ext_asym), "ext_asym_sel_count").u8(len(self.ext_hash),
                                                          "ext_hash_sel_count")
        w.zeros(2)
        for i, e in enumerate(self.ext_asym):
            e.write(w, f"ext_asym[{i}]")
        for i, e in enumerate(self.ext_hash):
            e.write(w, f"ext_hash[{i}]")
        for i, s in enumerate(self.alg_structs):
            s.write(w, f"alg_structs[{i}]")
        return w.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Algorithms:
        r = Reader(data, cls.STRUCTURE)
        version, p1, p2 = read_header(r, cls.CODE)
        if version == SpdmVersion.V10:
            require_zero(r, p1, "param1", 2)
        require_zero(r, p2, "param2", 3)
        at = r.offset
        length = r.u16("length")
        r.require(length == len(r.data), "length",
                  f"Length {length} != message size {len(r.data)}", kind=LengthError, offset=at)
        at = r.offset
        meas_spec = r.flags(r.u8("measurement_specification_sel"), _MEAS_SPEC_DMTF,
                            "measurement_specification_sel", offset=at)
        at = r.offset
        other = r.flags(r.u8("other_params_selection"), _other_params_bits(version),
                        "other_params_selection", offset=at)
        # Only one opaque data format may be selected (bits 3:0).
        _one_bit_at_most(r, other & 0x0F, "other_params_selection", at)
        values = []
        for name, allowed in (("measurement_hash_algo", _MEAS_HASH_BITS),
                              ("base_asym_sel", _ASYM_BITS), ("base_hash_sel", _HASH_BITS)):
            at = r.offset
            v = r.flags(r.u32(name), allowed, name, offset=at)
            _one_bit_at_most(r, v, name, at)
            values.append(v)
        r.reserved(11)
        at = r.offset
        mel = r.flags(r.u8("mel_specification_sel"), _mel_bits(version),
                      "mel_specification_sel", offset=at)
        n_asym = r.u8("ext_asym_sel_count")
        n_hash = r.u8("ext_hash_sel_count")
        r.require(n_asym <= 1 and n_hash <= 1, "ext_sel_count",
                  "more than one external selection", kind=LengthError, offset=32)
        r.reserved(2)
        ext_asym = tuple(ExtAlg.read(r, f"ext_asym[{i}]") for i in range(n_asym))
        ext_hash = tuple(ExtAlg.read(r, f"ext_hash[{i}]") for i in range(n_hash))
        structs = _read_structs(r, p1, selection=True)
        r.end()
        return cls(version, BaseAsymAlgo(values[1]), BaseHashAlgo(values[2]),
                   MeasurementHashAlgo(values[0]), meas_spec, other, mel, ext_asym, ext_hash,
                   structs, raw=r.data)

    def to_negotiated(self) -> NegotiatedAlgorithms:
        """The parameters later decoders need; WireError if no base algorithm was selected."""
        if not self.base_asym or not self.base_hash:
            raise ReservedBitsError(self.STRUCTURE, "base_asym_sel", 12,
                                    "no BaseAsymAlgo/BaseHashAlgo selected (external only)")
        dhe = self.struct(AlgType.DHE)
        req = self.struct(AlgType.REQ_BASE_ASYM_ALG)
        return NegotiatedAlgorithms(
            self.spdm_version, self.base_asym, self.base_hash, self.measurement_hash,
            self.measurement_spec, self.other_params, dhe=DheAlgo(dhe),
            aead=AeadAlgo(self.struct(AlgType.AEAD)), req_base_asym=BaseAsymAlgo(req),
            key_schedule=KeyScheduleAlgo(self.struct(AlgType.KEY_SCHEDULE)))

