# SPDX-License-Identifier: BSD-3-Clause
"""Device signatures in SPDM form (protocols.md §3.12, §7 row 16).

The bytes signed come from :func:`devtrust.wire.spdm.signing.signed_message`, the same
function the appraiser verifies with. ECDSA uses RFC 6979 deterministic nonces so reruns
are byte-identical; the signature is r ‖ s, big-endian, fixed width. RSA signs with
PKCS#1 v1.5 (RSASSA); RSA-PSS is randomized and is therefore not offered by the emulator.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from devtrust.hw.keys import PrivateKey
from devtrust.wire.spdm.algorithms import NegotiatedAlgorithms
from devtrust.wire.spdm.signing import signed_message

__all__ = ["hash_algorithm", "spdm_sign"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
    "sha3_256": hashes.SHA3_256, "sha3_384": hashes.SHA3_384, "sha3_512": hashes.SHA3_512}


def hash_algorithm(hash_name: str) -> hashes.HashAlgorithm:
    """The ``cryptography`` hash object for a hashlib name."""
    return _HASHES[hash_name]()  # every value is a concrete hash class


def spdm_sign(key: PrivateKey, algorithms: NegotiatedAlgorithms, context: str,
              transcript: bytes) -> bytes:
    """Sign ``transcript`` the way the negotiated version prescribes; S bytes out."""
    message = signed_message(algorithms.spdm_version, context, transcript,
                             algorithms.hash_name)
    algo = hash_algorithm(algorithms.hash_name)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.sign(message, ec.ECDSA(algo, deterministic_signing=True))
        r, s = decode_dss_signature(der)
        width = algorithms.s // 2
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(message, padding.PKCS1v15(), algo)
