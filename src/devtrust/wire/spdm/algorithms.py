# SPDX-License-Identifier: BSD-3-Clause
"""SPDM algorithm bit tables and the sizes they imply (protocols.md §3.4, §3.12).

Field sizes in SPDM messages depend on the negotiated algorithms: H is the
BaseHashAlgo digest size, S the BaseAsymAlgo signature size. Decoders take them as
parameters; :class:`NegotiatedAlgorithms` carries them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

__all__ = [
    "AeadAlgo",
    "BaseAsymAlgo",
    "BaseHashAlgo",
    "DheAlgo",
    "KeyScheduleAlgo",
    "MeasurementHashAlgo",
    "NegotiatedAlgorithms",
    "dhe_size",
    "hash_name",
    "hash_size",
    "measurement_hash_name",
    "measurement_hash_size",
    "signature_size",
]


class BaseAsymAlgo(IntFlag):
    RSASSA_2048 = 1 << 0
    RSAPSS_2048 = 1 << 1
    RSASSA_3072 = 1 << 2
    RSAPSS_3072 = 1 << 3
    ECDSA_P256 = 1 << 4
    RSASSA_4096 = 1 << 5
    RSAPSS_4096 = 1 << 6
    ECDSA_P384 = 1 << 7
    ECDSA_P521 = 1 << 8
    SM2_P256 = 1 << 9
    EDDSA_ED25519 = 1 << 10
    EDDSA_ED448 = 1 << 11


class BaseHashAlgo(IntFlag):
    SHA_256 = 1 << 0
    SHA_384 = 1 << 1
    SHA_512 = 1 << 2
    SHA3_256 = 1 << 3
    SHA3_384 = 1 << 4
    SHA3_512 = 1 << 5
    SM3_256 = 1 << 6


class MeasurementHashAlgo(IntFlag):
    NONE = 0
    RAW_BIT_STREAM_ONLY = 1 << 0
    SHA_256 = 1 << 1
    SHA_384 = 1 << 2
    SHA_512 = 1 << 3
    SHA3_256 = 1 << 4
    SHA3_384 = 1 << 5
    SHA3_512 = 1 << 6
    SM3_256 = 1 << 7


class DheAlgo(IntFlag):
    FFDHE_2048 = 1 << 0
    FFDHE_3072 = 1 << 1
    FFDHE_4096 = 1 << 2
    SECP256R1 = 1 << 3
    SECP384R1 = 1 << 4
    SECP521R1 = 1 << 5
    SM2_P256 = 1 << 6


class AeadAlgo(IntFlag):
    AES_128_GCM = 1 << 0
    AES_256_GCM = 1 << 1
    CHACHA20_POLY1305 = 1 << 2
    SM4_GCM = 1 << 3


class KeyScheduleAlgo(IntFlag):
    NONE = 0
    SPDM = 1 << 0


_NO_DHE = DheAlgo(0)
_NO_AEAD = AeadAlgo(0)
_NO_ASYM = BaseAsymAlgo(0)

_DHE_SIZES = {
    DheAlgo.FFDHE_2048: 256, DheAlgo.FFDHE_3072: 384, DheAlgo.FFDHE_4096: 512,
    DheAlgo.SECP256R1: 64, DheAlgo.SECP384R1: 96, DheAlgo.SECP521R1: 132,
    DheAlgo.SM2_P256: 64,
}


def dhe_size(algo: DheAlgo) -> int:
    """D, the ExchangeData size, for one selected DheAlgo bit (KeyError otherwise)."""
    return _DHE_SIZES[DheAlgo(algo)]


_HASH_SIZES = {
    BaseHashAlgo.SHA_256: 32, BaseHashAlgo.SHA_384: 48, BaseHashAlgo.SHA_512: 64,
    BaseHashAlgo.SHA3_256: 32, BaseHashAlgo.SHA3_384: 48, BaseHashAlgo.SHA3_512: 64,
    BaseHashAlgo.SM3_256: 32,
}
_MEAS_HASH_SIZES = {
    MeasurementHashAlgo.RAW_BIT_STREAM_ONLY: 0,
    MeasurementHashAlgo.SHA_256: 32, MeasurementHashAlgo.SHA_384: 48,
    MeasurementHashAlgo.SHA_512: 64, MeasurementHashAlgo.SHA3_256: 32,
    MeasurementHashAlgo.SHA3_384: 48, MeasurementHashAlgo.SHA3_512: 64,
    MeasurementHashAlgo.SM3_256: 32,
}
_SIG_SIZES = {
    BaseAsymAlgo.RSASSA_2048: 256, BaseAsymAlgo.RSAPSS_2048: 256,
    BaseAsymAlgo.RSASSA_3072: 384, BaseAsymAlgo.RSAPSS_3072: 384,
    BaseAsymAlgo.RSASSA_4096: 512, BaseAsymAlgo.RSAPSS_4096: 512,
    BaseAsymAlgo.ECDSA_P256: 64, BaseAsymAlgo.ECDSA_P384: 96, BaseAsymAlgo.ECDSA_P521: 132,
    BaseAsymAlgo.SM2_P256: 64, BaseAsymAlgo.EDDSA_ED25519: 64, BaseAsymAlgo.EDDSA_ED448: 114,
}


def hash_size(algo: BaseHashAlgo) -> int:
    """H for one selected BaseHashAlgo bit."""
    return _HASH_SIZES[BaseHashAlgo(algo)]


_HASH_NAMES = {
    BaseHashAlgo.SHA_256: "sha256", BaseHashAlgo.SHA_384: "sha384",
    BaseHashAlgo.SHA_512: "sha512", BaseHashAlgo.SHA3_256: "sha3_256",
    BaseHashAlgo.SHA3_384: "sha3_384", BaseHashAlgo.SHA3_512: "sha3_512",
}


def hash_name(algo: BaseHashAlgo) -> str:
    """hashlib name of one BaseHashAlgo bit (SM3 is not in hashlib: KeyError)."""
    return _HASH_NAMES[BaseHashAlgo(algo)]


_MEAS_HASH_NAMES = {
    MeasurementHashAlgo.SHA_256: "sha256", MeasurementHashAlgo.SHA_384: "sha384",
    MeasurementHashAlgo.SHA_512: "sha512", MeasurementHashAlgo.SHA3_256: "sha3_256",
    MeasurementHashAlgo.SHA3_384: "sha3_384", MeasurementHashAlgo.SHA3_512: "sha3_512",
}


def measurement_hash_name(algo: MeasurementHashAlgo) -> str:
    """hashlib name of one MeasurementHashAlgo bit (raw-bit-stream-only and SM3: KeyError)."""
    return _MEAS_HASH_NAMES[MeasurementHashAlgo(algo)]


def measurement_hash_size(algo: MeasurementHashAlgo) -> int:
    """Digest size for one selected MeasurementHashAlgo bit (0 for raw bit stream only)."""
    return _MEAS_HASH_SIZES[MeasurementHashAlgo(algo)]


def signature_size(algo: BaseAsymAlgo) -> int:
    """S for one selected BaseAsymAlgo bit."""
    return _SIG_SIZES[BaseAsymAlgo(algo)]


@dataclass(frozen=True, slots=True)
class NegotiatedAlgorithms:
    """What one VCA negotiated: the parameters message decoders need.

    ``spdm_version`` is the header byte (0x10..0x13).
    """

    spdm_version: int
    base_asym: BaseAsymAlgo
    base_hash: BaseHashAlgo
    measurement_hash: MeasurementHashAlgo = MeasurementHashAlgo.NONE
    measurement_spec: int = 1
    other_params: int = 0
    # Added for session messages; defaults keep older positional construction valid.
    dhe: DheAlgo = _NO_DHE
    aead: AeadAlgo = _NO_AEAD
    req_base_asym: BaseAsymAlgo = _NO_ASYM
    key_schedule: KeyScheduleAlgo = KeyScheduleAlgo.NONE

    def __post_init__(self) -> None:
        for value, table in ((self.base_asym, _SIG_SIZES), (self.base_hash, _HASH_SIZES)):
            if value not in table:
                raise ValueError(f"{value!r} is not exactly one known algorithm")

    @property
    def h(self) -> int:
        """BaseHashAlgo digest size."""
        return hash_size(self.base_hash)

    @property
    def hash_name(self) -> str:
        """hashlib name of the BaseHashAlgo."""
        return hash_name(self.base_hash)

    @property
    def s(self) -> int:
        """BaseAsymAlgo signature size."""
        return signature_size(self.base_asym)

    @property
    def d(self) -> int:
        """DHE ExchangeData size (KeyError when no DHE group was selected)."""
        return dhe_size(self.dhe)

    @property
    def multi_key_connection(self) -> bool:
        """OtherParamsSelection bit 4 (SPDM 1.3 MULTI_KEY_CONN): DIGESTS grows extra fields."""
        return bool(self.other_params & 0x10)

    @property
    def measurement_digest_size(self) -> int:
        if not self.measurement_hash:
            return 0
        return measurement_hash_size(self.measurement_hash)

    @property
    def version_string(self) -> str:
        """"1.2" for header byte 0x12."""
        return f"{self.spdm_version >> 4}.{self.spdm_version & 0xF}"
