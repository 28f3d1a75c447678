# SPDX-License-Identifier: BSD-3-Clause
"""EAR (draft-ietf-rats-ear) as a compact JWS: sign and verify with ES256 / ES384.

Signatures use deterministic ECDSA (RFC 6979), so a token is reproducible byte for byte.
Only ECDSA on P-256 (ES256) and P-384 (ES384) is supported. The algorithm is taken from
the key, never from the token: :func:`verify_ear_jwt` refuses a header whose ``alg``
does not match the verification key (no ``none``, no algorithm confusion). Verification
raises :class:`EarError` or returns the claims; it never returns a bool (STYLE 12).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = ["EarError", "sign_ear_jwt", "verify_ear_jwt"]

_ALGS = {"secp256r1": ("ES256", hashes.SHA256(), 32), "secp384r1": ("ES384", hashes.SHA384(), 48)}


class EarError(Exception):
    """An EAR token that cannot be produced or does not verify."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(c not in _URLSAFE for c in text):
        raise EarError("token segment is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise EarError(f"token segment is not base64url: {exc}") from None


_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _params(curve: ec.EllipticCurve) -> tuple[str, hashes.HashAlgorithm, int]:
    try:
        return _ALGS[curve.name]
    except KeyError:
        raise EarError(f"unsupported curve {curve.name}; use P-256 or P-384") from None


def sign_ear_jwt(claims: dict[str, Any], signing_key: ec.EllipticCurvePrivateKey) -> str:
    """Compact JWS over ``claims`` (JSON, sorted keys) with header ``{"alg","typ":"JWT"}``."""
    if not isinstance(signing_key, ec.EllipticCurvePrivateKey):
        raise EarError("EAR signing needs an EC private key (P-256 or P-384)")
    alg, digest, size = _params(signing_key.curve)
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    # RFC 6979 deterministic ECDSA: the same result and key give the same token (STYLE 17).
    sig = signing_key.sign(signing_input, ec.ECDSA(digest, deterministic_signing=True))
    r, s = decode_dss_signature(sig)
    return f"{header}.{payload}.{_b64(r.to_bytes(size, 'big') + s.to_bytes(size, 'big'))}"


def verify_ear_jwt(token: str, public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """Verify a compact JWS made by :func:`sign_ear_jwt`; return its claims or raise."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise EarError("EAR verification needs an EC public key (P-256 or P-384)")
    alg, digest, size = _params(public_key.curve)
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise EarError("not a compact JWS (need three dot-separated parts)")
    try:
        header = json.loads(_unb64(parts[0]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EarError(f"header is not JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") != alg:
        raise EarError(f"header alg {header.get('alg') if isinstance(header, dict) else None!r}"
                       f" does not match the key ({alg})")
    if header.get("typ", "JWT") != "JWT" or set(header) - {"alg", "typ", "kid"}:
        raise EarError("unexpected JWS header fields (only alg, typ, kid are accepted)")
    sig = _unb64(parts[2])
    if len(sig) != 2 * size:
        raise EarError(f"{alg} signature must be {2 * size} bytes, got {len(sig)}")
    der = encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big"))
    try:
        public_key.verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(digest))
    except InvalidSignature:
        raise EarError("EAR signature does not verify") from None
    try:
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise EarError(f"payload is not JSON: {exc}") from None
    if not isinstance(claims, dict) or "ear.verifier-id" not in claims or "submods" not in claims:
        raise EarError("payload is not an EAR claims-set (ear.verifier-id, submods)")
    return claims
