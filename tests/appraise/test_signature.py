# SPDX-License-Identifier: BSD-3-Clause
"""SPDM signing/verification round trips for every key type and both signing schemes."""

from __future__ import annotations

import pytest
from pki_factory import key

from devtrust.appraise.errors import VerificationError
from devtrust.appraise.signature import (
    CONTEXT_CHALLENGE_AUTH,
    CONTEXT_ENDPOINT_INFO,
    CONTEXT_KEY_EXCHANGE_RSP,
    CONTEXT_MEASUREMENTS,
    CONTEXT_REQUESTER_CHALLENGE_AUTH,
    CONTEXT_REQUESTER_FINISH,
    asym_candidates,
    check_nonce,
    sign_spdm,
    spdm_signing_message,
    verify_spdm_signature,
)
from devtrust.wire.spdm.algorithms import BaseAsymAlgo as A
from devtrust.wire.spdm.algorithms import BaseHashAlgo as H
from devtrust.wire.spdm.algorithms import NegotiatedAlgorithms

TRANSCRIPT = bytes(range(256)) * 5

# (key kind, BaseAsymAlgo, BaseHashAlgo) - every SPDM algorithm cryptography can do.
CASES = [
    ("p256", A.ECDSA_P256, H.SHA_256), ("p384", A.ECDSA_P384, H.SHA_384),
    ("p521", A.ECDSA_P521, H.SHA_512), ("p256", A.ECDSA_P256, H.SHA3_256),
    ("rsa2048", A.RSASSA_2048, H.SHA_256), ("rsa2048", A.RSAPSS_2048, H.SHA_256),
    ("rsa3072", A.RSASSA_3072, H.SHA_384), ("rsa3072", A.RSAPSS_3072, H.SHA_384),
    ("ed25519", A.EDDSA_ED25519, H.SHA_256),
]
VERSIONS = (0x11, 0x12, 0x13)


def _ids(case: tuple) -> str:
    return f"{case[1].name}-{case[2].name}"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_round_trip(case: tuple, version: int) -> None:
    kind, asym, base_hash = case
    priv = key(kind, "sig")
    algos = NegotiatedAlgorithms(version, asym, base_hash)
    if asym is A.EDDSA_ED25519 and version < 0x12:
        with pytest.raises(ValueError, match=r"1\.2"):
            sign_spdm(priv, algos, version, TRANSCRIPT, CONTEXT_MEASUREMENTS)
        return
    sig = sign_spdm(priv, algos, version, TRANSCRIPT, CONTEXT_MEASUREMENTS)
    assert len(sig) == algos.s
    ok = verify_spdm_signature(priv.public_key(), algos, spdm_version=version,
                               transcript=TRANSCRIPT, signature=sig, context=CONTEXT_MEASUREMENTS)
    assert ok.ok, ok.reason
    assert ok.scheme == ("transcript" if version == 0x11 else "combined-prefix")
    bad = verify_spdm_signature(priv.public_key(), algos, spdm_version=version,
                                transcript=TRANSCRIPT + b"\0", signature=sig,
                                context=CONTEXT_MEASUREMENTS)
    assert not bad.ok and "does not verify" in bad.reason
    flipped = bytes([sig[0] ^ 1]) + sig[1:]
    assert not verify_spdm_signature(priv.public_key(), algos, spdm_version=version,
                                     transcript=TRANSCRIPT, signature=flipped,
                                     context=CONTEXT_MEASUREMENTS).ok
    if version >= 0x12:
        other = verify_spdm_signature(priv.public_key(), algos, spdm_version=version,
                                      transcript=TRANSCRIPT, signature=sig,
                                      context=CONTEXT_CHALLENGE_AUTH)
        assert not other.ok


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_inferred_algorithms_without_vca(case: tuple) -> None:
    kind, asym, base_hash = case
    priv = key(kind, "sig")
    if base_hash is H.SHA3_256:
        pytest.skip("inference tries SHA-2 only")
    sig = sign_spdm(priv, NegotiatedAlgorithms(0x12, asym, base_hash), 0x12, TRANSCRIPT,
                    CONTEXT_CHALLENGE_AUTH)
    v = verify_spdm_signature(priv.public_key(), None, spdm_version=0x12, transcript=TRANSCRIPT,
                              signature=sig, context=CONTEXT_CHALLENGE_AUTH)
    assert v.ok and v.algorithms_inferred
    assert (v.base_asym, v.base_hash) == (asym, base_hash)


def test_combined_prefix_layout() -> None:
    table = {CONTEXT_CHALLENGE_AUTH: 4, CONTEXT_REQUESTER_CHALLENGE_AUTH: 4,
             CONTEXT_MEASUREMENTS: 6, CONTEXT_KEY_EXCHANGE_RSP: 2, CONTEXT_REQUESTER_FINISH: 12,
             CONTEXT_ENDPOINT_INFO: 5}
    digest = bytes(range(48))
    for context, pad in table.items():
        m = spdm_signing_message(0x13, context, digest)
        assert len(m) == 100 + 48
        assert m[:64] == b"dmtf-spdm-v1.3.*" * 4
        assert m[64:64 + pad] == bytes(pad)
        assert m[64 + pad:100] == context.encode()
        assert m[100:] == digest
    with pytest.raises(ValueError):
        spdm_signing_message(0x11, CONTEXT_MEASUREMENTS, digest)


def test_deterministic_ecdsa_and_big_endian_fixed_width() -> None:
    priv = key("p521", "sig")
    algos = NegotiatedAlgorithms(0x12, A.ECDSA_P521, H.SHA_512)
    one = sign_spdm(priv, algos, 0x12, TRANSCRIPT, CONTEXT_MEASUREMENTS, deterministic=True)
    two = sign_spdm(priv, algos, 0x12, TRANSCRIPT, CONTEXT_MEASUREMENTS, deterministic=True)
    assert one == two and len(one) == 132


@pytest.mark.parametrize(("kind", "asym", "base_hash"),
                         [("p256", A.ECDSA_P256, H.SHA_256), ("rsa2048", A.RSASSA_2048, H.SHA_256)])
def test_tolerant_little_endian_for_11_only(kind: str, asym: A, base_hash: H) -> None:
    priv = key(kind, "sig")
    algos = NegotiatedAlgorithms(0x11, asym, base_hash)
    sig = sign_spdm(priv, algos, 0x11, TRANSCRIPT, "")
    if asym is A.ECDSA_P256:
        little = sig[:32][::-1] + sig[32:][::-1]
    else:
        little = sig[::-1]
    kw = dict(spdm_version=0x11, transcript=TRANSCRIPT, signature=little, context="")
    strict = verify_spdm_signature(priv.public_key(), algos, **kw)
    assert not strict.ok
    tolerant = verify_spdm_signature(priv.public_key(), algos, tolerant_le=True, **kw)
    assert tolerant.ok and tolerant.byte_order == "little" and "tolerant" in tolerant.reason
    big = verify_spdm_signature(priv.public_key(), algos, tolerant_le=True,
                                **{**kw, "signature": sig})
    assert big.ok and big.byte_order == "big"
    algos12 = NegotiatedAlgorithms(0x12, asym, base_hash)
    sig12 = sign_spdm(priv, algos12, 0x12, TRANSCRIPT, CONTEXT_MEASUREMENTS)
    little12 = sig12[:32][::-1] + sig12[32:][::-1] if asym is A.ECDSA_P256 else sig12[::-1]
    assert not verify_spdm_signature(priv.public_key(), algos12, spdm_version=0x12,
                                     transcript=TRANSCRIPT, signature=little12,
                                     context=CONTEXT_MEASUREMENTS, tolerant_le=True).ok


def test_unsupported_algorithms_are_explicit() -> None:
    ed448_key = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed448")
    k = ed448_key.Ed448PrivateKey.generate()
    v = verify_spdm_signature(k.public_key(), None, spdm_version=0x12, transcript=TRANSCRIPT,
                              signature=bytes(114), context=CONTEXT_MEASUREMENTS)
    assert not v.ok and not v.supported and "unsupported" in v.reason
    sm2 = NegotiatedAlgorithms(0x12, A.SM2_P256, H.SHA_256)
    v = verify_spdm_signature(key("p256", "sig").public_key(), sm2, spdm_version=0x12,
                              transcript=TRANSCRIPT, signature=bytes(64),
                              context=CONTEXT_MEASUREMENTS)
    assert not v.ok and not v.supported and "SM2" in v.reason


def test_key_and_version_mismatches_fail() -> None:
    priv = key("p256", "sig")
    algos = NegotiatedAlgorithms(0x12, A.ECDSA_P384, H.SHA_384)
    v = verify_spdm_signature(priv.public_key(), algos, spdm_version=0x12, transcript=TRANSCRIPT,
                              signature=bytes(96), context=CONTEXT_MEASUREMENTS)
    assert not v.ok and "secp384r1" in v.reason
    good = NegotiatedAlgorithms(0x12, A.ECDSA_P256, H.SHA_256)
    sig = sign_spdm(priv, good, 0x12, TRANSCRIPT, CONTEXT_MEASUREMENTS)
    v = verify_spdm_signature(priv.public_key(), good, spdm_version=0x13, transcript=TRANSCRIPT,
                              signature=sig, context=CONTEXT_MEASUREMENTS)
    assert not v.ok and "differs" in v.reason
    v = verify_spdm_signature(priv.public_key(), good, spdm_version=0x12, transcript=TRANSCRIPT,
                              signature=sig[:-1], context=CONTEXT_MEASUREMENTS)
    assert not v.ok and "63 bytes" in v.reason
    v = verify_spdm_signature(priv.public_key(), good, spdm_version=0x12, transcript=TRANSCRIPT,
                              signature=sig, context="made-up signing")
    assert not v.ok and "context" in v.reason
    with pytest.raises(VerificationError):
        v.raise_for_failure()
    assert asym_candidates(object()) == ()


def test_check_nonce() -> None:
    nonce = bytes(range(32))
    assert check_nonce(nonce, nonce).ok
    assert not check_nonce(nonce, bytes(32)).ok
    assert not check_nonce(nonce, nonce[:31]).ok
    assert not check_nonce(b"", b"").ok


def test_signer_output_checked_independently() -> None:
    """sign_spdm's bytes verify with cryptography alone, the message built by hand (§3.12)."""
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    context = "responder-measurements signing"
    message = (b"dmtf-spdm-v1.2.*" * 4 + bytes(36 - len(context)) + context.encode()
               + hashlib.sha384(TRANSCRIPT).digest())
    priv = key("p384", "sig")
    sig = sign_spdm(priv, NegotiatedAlgorithms(0x12, A.ECDSA_P384, H.SHA_384), 0x12,
                    TRANSCRIPT, context)
    der = encode_dss_signature(int.from_bytes(sig[:48], "big"), int.from_bytes(sig[48:], "big"))
    priv.public_key().verify(der, message, ec.ECDSA(hashes.SHA384()))
    rsa_priv = key("rsa3072", "sig")
    sig = sign_spdm(rsa_priv, NegotiatedAlgorithms(0x11, A.RSAPSS_3072, H.SHA_256), 0x11,
                    TRANSCRIPT, "")
    rsa_priv.public_key().verify(sig, TRANSCRIPT, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                                 hashes.SHA256())
