# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic private keys for emulated devices and vendor CAs.

EC keys take their scalar from the DRBG (reduced into [1, n-1]); RSA-3072 keys come from
DRBG-driven prime search with Miller-Rabin witnesses drawn from the same DRBG, so the
same seed always gives the same key. RSA generation costs tens of milliseconds to a
second in pure Python, so results are memoised per (DRBG key, label).
"""

from __future__ import annotations

import math
from enum import StrEnum
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devtrust.hw.rng import Drbg
from devtrust.wire.spdm.algorithms import BaseAsymAlgo, BaseHashAlgo

__all__ = [
    "KeyType",
    "PrivateKey",
    "derive_private_key",
    "public_key_der",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P384_ORDER = int(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
    16,
)
_RSA_BITS = 3072
_RSA_E = 65537
# FIPS 186-4 Table C.3 asks 4 rounds for random 1536-bit candidates (error < 2**-100).
_MR_ROUNDS = 5


def _odd_primes_below(limit: int) -> tuple[int, ...]:
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, limit, i)))
    return tuple(i for i in range(3, limit) if sieve[i])


# One gcd against the product of all odd primes below 50000 discards ~90 % of odd
# candidates before any modular exponentiation (which is what makes RSA search slow).
_SMALL_PRIMES = _odd_primes_below(50000)
_SMALL_PRODUCT = math.prod(_SMALL_PRIMES)


class KeyType(StrEnum):
    """Key algorithms an emulated device or CA can hold (scenario spelling)."""

    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    RSA_3072 = "rsa-3072"

    @property
    def base_asym(self) -> BaseAsymAlgo:
        """The SPDM BaseAsymAlgo bit this key signs with (RSA: PKCS#1 v1.5)."""
        return {
            KeyType.ECDSA_P256: BaseAsymAlgo.ECDSA_P256,
            KeyType.ECDSA_P384: BaseAsymAlgo.ECDSA_P384,
            KeyType.RSA_3072: BaseAsymAlgo.RSASSA_3072,
        }[self]

    @property
    def cert_hash(self) -> hashes.SHA256 | hashes.SHA384:
        """Hash used when this key signs certificates (matches the curve strength)."""
        return hashes.SHA256() if self is KeyType.ECDSA_P256 else hashes.SHA384()

    @property
    def base_hash(self) -> BaseHashAlgo:
        """SPDM BaseHashAlgo matching :attr:`cert_hash`."""
        return BaseHashAlgo.SHA_256 if self is KeyType.ECDSA_P256 else BaseHashAlgo.SHA_384


def derive_private_key(drbg: Drbg, key_type: KeyType | str) -> PrivateKey:
    """The private key of type ``key_type`` determined by ``drbg``'s next output."""
    key_type = KeyType(key_type)
    if key_type is KeyType.ECDSA_P256:
        return ec.derive_private_key(1 + drbg.int_below(_P256_ORDER - 1), ec.SECP256R1())
    if key_type is KeyType.ECDSA_P384:
        return ec.derive_private_key(1 + drbg.int_below(_P384_ORDER - 1), ec.SECP384R1())
    return _rsa_key(drbg.bytes(32))


def public_key_der(key: PrivateKey) -> bytes:
    """SubjectPublicKeyInfo DER of ``key``'s public half (for comparisons and fingerprints)."""
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _is_probable_prime(n: int, drbg: Drbg) -> bool:
    if n < 2:
        return False
    if n <= _SMALL_PRIMES[-1]:
        return n == 2 or n in _SMALL_PRIMES
    if math.gcd(n, _SMALL_PRODUCT) != 1:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(_MR_ROUNDS):
        a = drbg.int_range(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _rsa_prime(drbg: Drbg, bits: int) -> int:
    while True:
        # Top two bits set so p*q has exactly 2*bits bits; odd.
        candidate = drbg.int_bits(bits) | (3 << (bits - 2)) | 1
        if math.gcd(candidate - 1, _RSA_E) == 1 and _is_probable_prime(candidate, drbg):
            return candidate


@lru_cache(maxsize=64)
def _rsa_key(seed: bytes) -> rsa.RSAPrivateKey:
    drbg = Drbg(seed, "rsa-3072")
    half = _RSA_BITS // 2
    p = _rsa_prime(drbg, half)
    q = _rsa_prime(drbg, half)
    while q == p:
        q = _rsa_prime(drbg, half)
    p, q = max(p, q), min(p, q)
    d = pow(_RSA_E, -1, (p - 1) * (q - 1) // math.gcd(p - 1, q - 1))
    public = rsa.RSAPublicNumbers(_RSA_E, p * q)
    numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                    rsa.rsa_crt_iqmp(p, q), public)
    return numbers.private_key()
