# SPDX-License-Identifier: BSD-3-Clause
"""``devtrust spdm verify`` on captured libspdm traffic in every shape users hand over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from typer.testing import CliRunner

from devtrust.cli import app

runner = CliRunner()


def _pem(ders: list[bytes]) -> bytes:
    return b"".join(x509.load_der_x509_certificate(d).public_bytes(Encoding.PEM) for d in ders)


@pytest.fixture()
def v11(spdm_emu: Path, tmp_path: Path) -> dict[str, Path]:
    base = spdm_emu / "v11_doe_p256_sha256"
    transcript = tmp_path / "t.bin"
    transcript.write_bytes((base / "measurements/001_get_measurements.bin").read_bytes()
                           + (base / "measurements/001_measurements.bin").read_bytes())
    ders = [(base / f"certs/slot0_cert{i}.der").read_bytes() for i in range(3)]
    files = {"transcript": transcript, "der": tmp_path / "chain.der",
             "pem_root_first": tmp_path / "root.pem", "pem_leaf_first": tmp_path / "leaf.pem",
             "spdm": base / "certs/slot0_chain.bin", "hex": tmp_path / "t.hex",
             "bad": tmp_path / "bad.bin"}
    files["der"].write_bytes(b"".join(ders))
    files["pem_root_first"].write_bytes(_pem(ders))
    files["pem_leaf_first"].write_bytes(_pem(ders[::-1]))
    files["hex"].write_text(transcript.read_bytes().hex(" "))
    files["bad"].write_bytes((spdm_emu / "negative" /
                              "v11_doe_p256_sha256__measurements_badsig.bin").read_bytes())
    return files


@pytest.mark.parametrize("chain", ["der", "pem_root_first", "pem_leaf_first", "spdm"])
def test_verify_every_chain_shape(v11: dict[str, Path], chain: str) -> None:
    res = runner.invoke(app, ["spdm", "verify", "--transcript", str(v11["transcript"]),
                              "--certs", str(v11[chain]), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["signature_valid"] is True and out["spdm_version"] == "1.1"
    assert out["chain"]["links_ok"] is True
    assert out["measurement_blocks"][0] == {
        "index": 1, "value_type": 0, "value_type_name": "immutable_rom", "raw": False,
        "value": out["measurement_blocks"][0]["value"]}
    assert all(len(b["value"]) % 2 == 0 for b in out["measurement_blocks"])


def test_hex_transcript_and_nonce(v11: dict[str, Path]) -> None:
    res = runner.invoke(app, ["spdm", "verify", "--transcript", str(v11["hex"]), "--certs",
                              str(v11["der"]), "--json"])
    nonce = json.loads(res.output)["requester_nonce"]
    good = runner.invoke(app, ["spdm", "verify", "--transcript", str(v11["hex"]), "--certs",
                               str(v11["der"]), "--nonce", nonce, "--json"])
    assert good.exit_code == 0 and json.loads(good.output)["nonce_valid"] is True
    stale = runner.invoke(app, ["spdm", "verify", "--transcript", str(v11["hex"]), "--certs",
                                str(v11["der"]), "--nonce", "00" * 32, "--json"])
    assert stale.exit_code == 1 and json.loads(stale.output)["nonce_valid"] is False


def test_tampered_signature_exits_nonzero(v11: dict[str, Path], spdm_emu: Path,
                                          tmp_path: Path) -> None:
    base = spdm_emu / "v11_doe_p256_sha256"
    bad = tmp_path / "bad_t.bin"
    bad.write_bytes((base / "measurements/001_get_measurements.bin").read_bytes()
                    + v11["bad"].read_bytes())
    res = runner.invoke(app, ["spdm", "verify", "--transcript", str(bad), "--certs",
                              str(v11["der"]), "--json"])
    assert res.exit_code == 1
    assert json.loads(res.output)["signature_valid"] is False


def test_v12_vca_prefixed_transcript(spdm_emu: Path, tmp_path: Path) -> None:
    base = spdm_emu / "v12_doe_rsapss3072_sha384"
    t = tmp_path / "t.bin"
    t.write_bytes((base / "vca/vca_transcript.bin").read_bytes()
                  + (base / "measurements/001_get_measurements.bin").read_bytes()
                  + (base / "measurements/001_measurements.bin").read_bytes())
    res = runner.invoke(app, ["spdm", "verify", "--transcript", str(t), "--certs",
                              str(base / "certs/slot0_chain.bin"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["spdm_version"] == "1.2" and out["signature_scheme"] == "combined-prefix"
    assert out["algorithms_inferred"] is False and out["base_asym"] == "RSAPSS_3072"


def test_garbage_is_a_clean_error(tmp_path: Path, v11: dict[str, Path]) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x01\x02\x03")
    res = runner.invoke(app, ["spdm", "verify", "--transcript", str(junk), "--certs",
                              str(v11["der"])])
    assert res.exit_code == 2 and "devtrust:" in res.output
