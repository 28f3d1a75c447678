# SPDX-License-Identifier: BSD-3-Clause
"""EAR JWT: sign and verify (ES256, ES384), tamper and algorithm-confusion detection."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from devtrust.appraise.claims import Category, Claim, ClaimStatus
from devtrust.appraise.decide import DecisionContext, decide
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.ear import EarError, sign_ear_jwt, verify_ear_jwt
from devtrust.appraise.policy import DEFAULT_POLICY, load_policy
from devtrust.appraise.results import build_result

# Fixed private scalars keep the test deterministic (STYLE 17); never use these elsewhere.
KEY256 = ec.derive_private_key(0x1234_5678_9ABC_DEF0, ec.SECP256R1())
KEY384 = ec.derive_private_key(0x0FED_CBA9_8765_4321, ec.SECP384R1())
OTHER = ec.derive_private_key(0x42, ec.SECP256R1())


def result():
    policy = load_policy(DEFAULT_POLICY)
    dev = DeviceIdentity(0x10DE, 0x2330)
    cls = policy.for_device(dev)
    cs = (Claim("chain.path", ClaimStatus.PASS, "ok", category=Category.HARDWARE),
          Claim("signature.m", ClaimStatus.PASS, "ok", category=Category.INSTANCE_IDENTITY),
          Claim("measurement[1]", ClaimStatus.UNKNOWN, "?", category=Category.EXECUTABLES),
          Claim("report.x", ClaimStatus.PASS, "ok", category=Category.CONFIGURATION))
    return build_result("0000:01:00.0", dev, cls, decide(cs, cls, DecisionContext("devsec",
                                                                                   "locked")),
                        evidence_generation=3, nonce=b"\x01" * 32,
                        at=datetime(2026, 11, 26, tzinfo=UTC))


@pytest.mark.parametrize(("key", "alg"), [(KEY256, "ES256"), (KEY384, "ES384")])
def test_sign_and_verify(key, alg: str) -> None:
    token = result().to_ear_jwt(key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": alg, "typ": "JWT"}
    claims = verify_ear_jwt(token, key.public_key())
    assert claims["eat_profile"] == "tag:github.com,2023:veraison/ear"
    assert claims["iat"] == int(datetime(2026, 11, 26, tzinfo=UTC).timestamp())
    assert claims["ear.verifier-id"]["developer"] == "devtrust"
    sub = claims["submods"]["0000:01:00.0"]
    assert sub["ear.status"] == "warning"
    assert sub["ear.trustworthiness-vector"]["executables"] == 33
    assert sub["ear.appraisal-policy-id"] == "devtrust-default-v1"
    assert sub["devtrust.trust-level"] == 1
    assert sub["devtrust.evidence-generation"] == 3


def _flip(segment: str) -> str:
    return segment[:-2] + ("A" if segment[-2] != "A" else "B") + segment[-1]


def test_tampered_payload_or_signature_fails() -> None:
    token = result().to_ear_jwt(KEY256)
    h, p, s = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(p + "=="))
    forged["submods"]["0000:01:00.0"]["devtrust.trust-level"] = 4
    p2 = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    for bad in (f"{h}.{p2}.{s}", f"{h}.{p}.{_flip(s)}"):
        with pytest.raises(EarError):
            verify_ear_jwt(bad, KEY256.public_key())


def test_wrong_key_and_algorithm_confusion() -> None:
    token = result().to_ear_jwt(KEY256)
    with pytest.raises(EarError, match="does not verify"):
        verify_ear_jwt(token, OTHER.public_key())
    with pytest.raises(EarError, match="does not match the key"):
        verify_ear_jwt(token, KEY384.public_key())
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    _, p, _ = token.split(".")
    with pytest.raises(EarError, match="does not match"):
        verify_ear_jwt(f"{none_header}.{p}.", KEY256.public_key())


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA"])
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(EarError):
        verify_ear_jwt(token, KEY256.public_key())


def test_unsupported_keys() -> None:
    with pytest.raises(EarError, match="unsupported curve"):
        sign_ear_jwt({}, ec.derive_private_key(5, ec.SECP521R1()))
    with pytest.raises(EarError, match="EC private key"):
        sign_ear_jwt({}, "not a key")  # type: ignore[arg-type]


def test_payload_must_be_ear() -> None:
    token = sign_ear_jwt({"hello": 1}, KEY256)
    with pytest.raises(EarError, match="not an EAR claims-set"):
        verify_ear_jwt(token, KEY256.public_key())


def test_tokens_are_deterministic() -> None:
    assert result().to_ear_jwt(KEY256) == result().to_ear_jwt(KEY256)
