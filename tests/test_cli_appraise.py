# SPDX-License-Identifier: BSD-3-Clause
"""``devtrust appraise BUNDLE --policy FILE --refs DIR --json`` on the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from devtrust.cli import app

EX = Path(__file__).resolve().parent.parent / "docs" / "examples"
runner = CliRunner()


def test_appraise_json_has_level_claims_status() -> None:
    res = runner.invoke(app, ["appraise", str(EX / "bundle.json"), "--policy",
                              str(EX / "policy.yaml"), "--refs", str(EX / "refs"),
                              "--trust-store", str(EX / "trust"), "--json"])
    doc = json.loads(res.output)
    assert isinstance(doc["trust_level"], int) and doc["trust_level"] == 4
    assert isinstance(doc["claims"], list) and doc["claims"]
    assert doc["status"] == "affirming" and res.exit_code == 0


def test_without_anchors_the_appraisal_still_answers(tmp_path: Path) -> None:
    res = runner.invoke(app, ["appraise", str(EX / "bundle.json"), "--policy",
                              str(EX / "policy.yaml"), "--refs", str(EX / "refs"), "--json"])
    doc = json.loads(res.stdout)
    assert doc["trust_level"] == 0 and doc["capped_by"]["source"] == "claim:chain.anchor"
    assert res.exit_code == 1


def test_result_signed_as_ear_jwt(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from devtrust.appraise.ear import verify_ear_jwt

    key = ec.derive_private_key(12345, ec.SECP384R1())
    pem = tmp_path / "ear.pem"
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    res = runner.invoke(app, ["appraise", str(EX / "bundle.json"), "--policy",
                              str(EX / "policy.yaml"), "--refs", str(EX / "refs"),
                              "--trust-store", str(EX / "trust"), "--ear-key", str(pem)])
    token = res.stdout.strip()
    claims = verify_ear_jwt(token, key.public_key())
    assert claims["submods"] and res.exit_code == 0
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    import pytest

    from devtrust.appraise.ear import EarError
    with pytest.raises(EarError):
        verify_ear_jwt(tampered, key.public_key())
