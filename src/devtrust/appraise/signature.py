# SPDX-License-Identifier: BSD-3-Clause
"""SPDM signature verification and production (protocols.md §3.11-§3.12, §7 row 16).

* SPDM 1.0/1.1: the signature primitive is applied to the transcript itself (it
  hashes it with BaseHashAlgo).
* SPDM 1.2/1.3: it is applied to ``combined_spdm_prefix || Hash(transcript)``; the
  primitive hashes that 100+H byte message again (RSA, ECDSA) or signs it directly
  (Ed25519).

ECDSA signatures travel as fixed-width big-endian ``r || s``; RSA as a big-endian
integer of the modulus size. RSASSA is PKCS#1 v1.5, RSAPSS uses MGF1 with the same
hash and salt length = hash length (libspdm). Ed448 needs the context string as the
EdDSA context and SM2 needs SM2/SM3, neither of which ``cryptography`` offers: they
get an explicit *unsupported* verdict, never a pass.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from devtrust.appraise.checks import CheckResult
from devtrust.appraise.errors import VerificationError
from devtrust.wire.spdm.algorithms import (
    BaseAsymAlgo,
    BaseHashAlgo,
    NegotiatedAlgorithms,
    hash_name,
)
from devtrust.wire.spdm.signing import (
    CONTEXT_CHALLENGE_AUTH,
    CONTEXT_ENDPOINT_INFO,
    CONTEXT_KEY_EXCHANGE_RSP,
    CONTEXT_MEASUREMENTS,
    CONTEXT_REQUESTER_CHALLENGE_AUTH,
    CONTEXT_REQUESTER_FINISH,
    combined_spdm_prefix,
    signed_message,
    uses_combined_prefix,
)

__all__ = [
    "CONTEXT_CHALLENGE_AUTH",
    "CONTEXT_ENDPOINT_INFO",
    "CONTEXT_KEY_EXCHANGE_RSP",
    "CONTEXT_MEASUREMENTS",
    "CONTEXT_REQUESTER_CHALLENGE_AUTH",
    "CONTEXT_REQUESTER_FINISH",
    "SPDM_CONTEXTS",
    "PublicKey",
    "SignatureVerdict",
    "SigningKey",
    "asym_candidates",
    "check_nonce",
    "key_mismatch",
    "sign_spdm",
    "spdm_signing_message",
    "verify_spdm_signature",
]

PublicKey = (ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
             | ed448.Ed448PublicKey)
SigningKey = (ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
              | ed448.Ed448PrivateKey)

SPDM_CONTEXTS = frozenset({
    CONTEXT_CHALLENGE_AUTH, CONTEXT_REQUESTER_CHALLENGE_AUTH, CONTEXT_MEASUREMENTS,
    CONTEXT_KEY_EXCHANGE_RSP, CONTEXT_REQUESTER_FINISH, CONTEXT_ENDPOINT_INFO,
})

_HASHES: dict[BaseHashAlgo, type[hashes.HashAlgorithm]] = {
    BaseHashAlgo.SHA_256: hashes.SHA256, BaseHashAlgo.SHA_384: hashes.SHA384,
    BaseHashAlgo.SHA_512: hashes.SHA512, BaseHashAlgo.SHA3_256: hashes.SHA3_256,
    BaseHashAlgo.SHA3_384: hashes.SHA3_384, BaseHashAlgo.SHA3_512: hashes.SHA3_512,
}
_CURVES: dict[BaseAsymAlgo, tuple[str, int, BaseHashAlgo]] = {
    BaseAsymAlgo.ECDSA_P256: ("secp256r1", 32, BaseHashAlgo.SHA_256),
    BaseAsymAlgo.ECDSA_P384: ("secp384r1", 48, BaseHashAlgo.SHA_384),
    BaseAsymAlgo.ECDSA_P521: ("secp521r1", 66, BaseHashAlgo.SHA_512),
}
# BaseAsymAlgo -> (modulus bits, PSS?)
_RSA: dict[BaseAsymAlgo, tuple[int, bool]] = {
    BaseAsymAlgo.RSASSA_2048: (2048, False), BaseAsymAlgo.RSAPSS_2048: (2048, True),
    BaseAsymAlgo.RSASSA_3072: (3072, False), BaseAsymAlgo.RSAPSS_3072: (3072, True),
    BaseAsymAlgo.RSASSA_4096: (4096, False), BaseAsymAlgo.RSAPSS_4096: (4096, True),
}
_SHA2 = (BaseHashAlgo.SHA_256, BaseHashAlgo.SHA_384, BaseHashAlgo.SHA_512)


def spdm_signing_message(spdm_version: int, context: str, transcript_hash: bytes) -> bytes:
    """``combined_spdm_prefix(version, context) || transcript_hash`` (SPDM 1.2+ only).

    ``spdm_version`` is the header byte (0x12, 0x13). ``transcript_hash`` is
    Hash(transcript) with the negotiated BaseHashAlgo.
    """
    return combined_spdm_prefix(spdm_version, context) + bytes(transcript_hash)


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    """Outcome of one SPDM signature check.

    ``scheme`` is ``"transcript"`` (1.0/1.1) or ``"combined-prefix"`` (1.2+).
    ``algorithms_inferred`` is true when no VCA was given and the algorithm pair
    was found by trying the candidates the leaf key allows (:func:`asym_candidates`).
    ``byte_order`` is ``"little"`` only when tolerant mode accepted a 1.0/1.1
    little-endian signature. ``supported`` is false when the algorithm cannot be
    verified here at all (SM2, Ed448); such a verdict is never ``ok``.
    """

    ok: bool
    reason: str
    spdm_version: int
    context: str
    scheme: str
    base_asym: BaseAsymAlgo | None = None
    base_hash: BaseHashAlgo | None = None
    algorithms_inferred: bool = False
    byte_order: str = "big"
    supported: bool = True

    def __post_init__(self) -> None:
        if self.ok and not self.supported:
            raise ValueError("an unsupported algorithm cannot verify")
        if self.byte_order not in ("big", "little"):
            raise ValueError(f"byte_order {self.byte_order!r}")

    def as_check(self, name: str = "signature") -> CheckResult:
        return CheckResult(name, self.ok, self.reason)

    def raise_for_failure(self) -> None:
        """Raise :class:`VerificationError` unless the signature verified."""
        if not self.ok:
            raise VerificationError(f"SPDM signature: {self.reason}", self)


def asym_candidates(public_key: object) -> tuple[tuple[BaseAsymAlgo, BaseHashAlgo], ...]:
    """(BaseAsymAlgo, BaseHashAlgo) pairs a key could have been negotiated with, most likely first.

    Used when no VCA is available. EC keys fix the curve; the curve's own hash is
    tried first. RSA keys fix the modulus size; for each SHA-2 hash PKCS#1 v1.5 is
    tried before PSS. Unknown key types give an empty tuple.
    """
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        for asym, (curve, _, natural) in _CURVES.items():
            if public_key.curve.name == curve:
                return tuple((asym, h) for h in (natural, *(x for x in _SHA2 if x != natural)))
        return ()
    if isinstance(public_key, rsa.RSAPublicKey):
        pair = [a for a, (bits, _) in _RSA.items() if bits == public_key.key_size]
        return tuple((a, h) for h in _SHA2 for a in pair)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return tuple((BaseAsymAlgo.EDDSA_ED25519, h) for h in _SHA2)
    if isinstance(public_key, ed448.Ed448PublicKey):
        return tuple((BaseAsymAlgo.EDDSA_ED448, h) for h in _SHA2)
    return ()


def key_mismatch(public_key: object, asym: BaseAsymAlgo) -> str | None:
    """Why ``public_key`` cannot carry ``asym`` signatures (SPKI check), or None if it can."""
    if asym in _CURVES:
        curve = _CURVES[asym][0]
        if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == curve:
            return None
        return f"leaf key is not an EC {curve} key as {asym.name} requires"
    if asym in _RSA:
        bits = _RSA[asym][0]
        if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == bits:
            return None
        return f"leaf key is not an RSA-{bits} key as {asym.name} requires"
    if asym == BaseAsymAlgo.EDDSA_ED25519:
        ok = isinstance(public_key, ed25519.Ed25519PublicKey)
        return None if ok else "leaf key is not an Ed25519 key"
    if asym == BaseAsymAlgo.EDDSA_ED448:
        return None if isinstance(public_key, ed448.Ed448PublicKey) else "leaf key is not Ed448"
    return f"{asym!r} has no key type here"


def _to_big_endian(signature: bytes, asym: BaseAsymAlgo) -> bytes:
    """Reinterpret a little-endian 1.0/1.1 signature (tolerant mode) as big-endian."""
    if asym in _CURVES:
        half = len(signature) // 2
        return signature[:half][::-1] + signature[half:][::-1]
    return signature[::-1]


def _verify_once(public_key: object, asym: BaseAsymAlgo, base_hash: BaseHashAlgo,
                 message: bytes, signature: bytes) -> str | None:
    """Verify one (algorithm, message, signature) combination; None on success, else why not."""
    try:
        if asym in _CURVES:
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            width = _CURVES[asym][1]
            if len(signature) != 2 * width:
                return f"ECDSA signature is {len(signature)} bytes, {asym.name} needs {2 * width}"
            r = int.from_bytes(signature[:width], "big")
            s = int.from_bytes(signature[width:], "big")
            public_key.verify(encode_dss_signature(r, s), message,
                              ec.ECDSA(_HASHES[base_hash]()))
        elif asym in _RSA:
            assert isinstance(public_key, rsa.RSAPublicKey)
            bits, pss = _RSA[asym]
            if len(signature) != bits // 8:
                return f"RSA signature is {len(signature)} bytes, {asym.name} needs {bits // 8}"
            algo = _HASHES[base_hash]()
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(_HASHES[base_hash]()), algo.digest_size) if pss
                else padding.PKCS1v15())
            public_key.verify(signature, message, pad, algo)
        else:
            assert isinstance(public_key, ed25519.Ed25519PublicKey)
            public_key.verify(signature, message)
    except InvalidSignature:
        return f"{asym.name}/{base_hash.name} signature does not verify"
    return None


def verify_spdm_signature(public_key: object, algos: NegotiatedAlgorithms | None, *,
                          spdm_version: int, transcript: bytes, signature: bytes,
                          context: str, tolerant_le: bool = False) -> SignatureVerdict:
    """Verify an SPDM signature over ``transcript`` (the bytes whose hash is signed).

    ``spdm_version`` is the header byte (0x10..0x13). ``algos`` are the negotiated
    algorithms from VCA; when None the pair is inferred from the key (every
    candidate of :func:`asym_candidates` is tried and the one that verified is
    recorded). ``tolerant_le`` accepts little-endian 1.0/1.1 signatures (§7 row 16)
    and is recorded in the verdict; it has no effect on 1.2+.
    """
    scheme = "combined-prefix" if uses_combined_prefix(spdm_version) else "transcript"

    def verdict(ok: bool, reason: str, **kw: object) -> SignatureVerdict:
        return SignatureVerdict(ok, reason, spdm_version, context, scheme, **kw)  # type: ignore[arg-type]

    if not 0x10 <= spdm_version <= 0x13:
        return verdict(False, f"SPDM version 0x{spdm_version:02x} not supported", supported=False)
    if scheme == "combined-prefix" and context not in SPDM_CONTEXTS:
        return verdict(False, f"unknown signing context {context!r}")
    if algos is not None:
        if algos.spdm_version != spdm_version:
            return verdict(False, f"negotiated version 0x{algos.spdm_version:02x} differs from "
                                  f"signing version 0x{spdm_version:02x}")
        candidates: tuple[tuple[BaseAsymAlgo, BaseHashAlgo], ...] = (
            (algos.base_asym, algos.base_hash),)
    else:
        candidates = asym_candidates(public_key)
        if not candidates:
            return verdict(False, f"unsupported algorithm: cannot verify with a "
                                  f"{type(public_key).__name__}", supported=False)
    inferred = algos is None
    reasons: list[str] = []
    for asym, base_hash in candidates:
        if asym == BaseAsymAlgo.SM2_P256 or base_hash not in _HASHES:
            return verdict(False, f"unsupported algorithm {asym.name}/{base_hash.name} "
                                  "(no SM2/SM3 in cryptography)", base_asym=asym,
                           base_hash=base_hash, supported=False)
        if asym == BaseAsymAlgo.EDDSA_ED448:
            return verdict(False, "unsupported algorithm EDDSA_ED448: SPDM passes the context "
                                  "string as EdDSA context, which cryptography cannot verify",
                           base_asym=asym, base_hash=base_hash, supported=False)
        mismatch = key_mismatch(public_key, asym)
        if mismatch:
            return verdict(False, mismatch, base_asym=asym, base_hash=base_hash)
        if asym == BaseAsymAlgo.EDDSA_ED25519 and scheme == "transcript":
            return verdict(False, "EdDSA is defined only for SPDM 1.2 and later",
                           base_asym=asym, base_hash=base_hash)
        message = signed_message(spdm_version, context, transcript, hash_name(base_hash))
        why = _verify_once(public_key, asym, base_hash, message, signature)
        if why is None:
            return verdict(True, f"{asym.name}/{base_hash.name} {scheme} signature verifies",
                           base_asym=asym, base_hash=base_hash, algorithms_inferred=inferred)
        if tolerant_le and scheme == "transcript":
            if _verify_once(public_key, asym, base_hash, message,
                            _to_big_endian(signature, asym)) is None:
                return verdict(True, f"{asym.name}/{base_hash.name} little-endian signature "
                                     "accepted in tolerant mode", base_asym=asym,
                               base_hash=base_hash, algorithms_inferred=inferred,
                               byte_order="little")
        reasons.append(why)
    if inferred:
        return verdict(False, f"no candidate algorithm verifies ({len(reasons)} tried: "
                              f"{reasons[0]} ...)", algorithms_inferred=True)
    asym, base_hash = candidates[0]
    return verdict(False, reasons[0], base_asym=asym, base_hash=base_hash)


def sign_spdm(private_key: SigningKey, algos: NegotiatedAlgorithms, spdm_version: int,
              transcript: bytes, context: str, *, deterministic: bool = False) -> bytes:
    """The signature field a device would send for ``transcript`` (big-endian, fixed width).

    ``deterministic`` selects RFC 6979 nonces for ECDSA. PKCS#1 v1.5 and Ed25519 are
    deterministic anyway; RSA-PSS draws its salt from OpenSSL and cannot be made
    deterministic through ``cryptography``. Ed448 and SM2 raise ``ValueError``.
    """
    asym, base_hash = algos.base_asym, algos.base_hash
    mismatch = key_mismatch(private_key.public_key(), asym)
    if mismatch:
        raise ValueError(mismatch)
    if base_hash not in _HASHES or asym in (BaseAsymAlgo.SM2_P256, BaseAsymAlgo.EDDSA_ED448):
        raise ValueError(f"cannot sign {asym.name}/{base_hash.name} with cryptography")
    if asym == BaseAsymAlgo.EDDSA_ED25519 and not uses_combined_prefix(spdm_version):
        raise ValueError("EdDSA is defined only for SPDM 1.2 and later")
    message = signed_message(spdm_version, context, transcript, hash_name(base_hash))
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        der = private_key.sign(message, ec.ECDSA(_HASHES[base_hash](),
                                                 deterministic_signing=deterministic))
        r, s = decode_dss_signature(der)
        width = _CURVES[asym][1]
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")
    if isinstance(private_key, rsa.RSAPrivateKey):
        algo = _HASHES[base_hash]()
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(_HASHES[base_hash]()), algo.digest_size)
            if _RSA[asym][1] else padding.PKCS1v15())
        return private_key.sign(message, pad, algo)
    assert isinstance(private_key, ed25519.Ed25519PrivateKey)
    return private_key.sign(message)


def check_nonce(expected: bytes, found: bytes, *, name: str = "nonce") -> CheckResult:
    """Freshness: ``found`` (echoed/covered by the signature) equals the requester's nonce.

    Constant-time comparison; an empty expected nonce never passes.
    """
    if not expected:
        return CheckResult(name, False, "no requester nonce to compare against")
    if len(found) != len(expected):
        return CheckResult(name, False, f"nonce is {len(found)} bytes, expected {len(expected)}")
    if hmac.compare_digest(expected, found):
        return CheckResult(name, True, "nonce matches the requester's nonce")
    return CheckResult(name, False, "nonce differs from the requester's nonce (replay or tamper)")

