# SPDX-License-Identifier: BSD-3-Clause
"""Every signature in the spdm-emu corpus verifies from the files; every tampered copy fails.

The harness reads only what the manifest names: the signed response, its
``signature_offset``/``signature_length``, the ``*_tbs.bin`` transcript, the
``signed_by`` leaf and the configuration's negotiated algorithms. Nothing is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509

from devtrust.appraise.certs import load_certificates
from devtrust.appraise.signature import verify_spdm_signature
from devtrust.wire.spdm.algorithms import BaseAsymAlgo, BaseHashAlgo, NegotiatedAlgorithms

pytestmark = pytest.mark.vectors

_SHARED = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "spdm-emu"
_MANIFEST = _SHARED / "manifest.json"

_ASYM = {
    "TPM_ALG_ECDSA_ECC_NIST_P256": BaseAsymAlgo.ECDSA_P256,
    "TPM_ALG_ECDSA_ECC_NIST_P384": BaseAsymAlgo.ECDSA_P384,
    "TPM_ALG_ECDSA_ECC_NIST_P521": BaseAsymAlgo.ECDSA_P521,
    **{f"TPM_ALG_{a.name}": a for a in BaseAsymAlgo if a.name and a.name.startswith("RSA")},
}
_HASH = {"SHA_256": BaseHashAlgo.SHA_256, "SHA_384": BaseHashAlgo.SHA_384,
         "SHA_512": BaseHashAlgo.SHA_512}


def _manifest() -> dict:
    if not _MANIFEST.is_file():
        return {"configurations": [], "negative_vectors": []}
    return json.loads(_MANIFEST.read_text())


def _version(text: str) -> int:
    major, minor = text.split(".")
    return (int(major) << 4) | int(minor)


def _algos(config: dict) -> NegotiatedAlgorithms:
    n = config["negotiated"]
    return NegotiatedAlgorithms(_version(n["spdm_version"]), _ASYM[n["base_asym_algo"]],
                                _HASH[n["base_hash_algo"]])


def _signed(manifest: dict) -> list[tuple[dict, dict]]:
    return [(c, f) for c in manifest["configurations"] for f in c["files"]
            if f.get("signature_should_verify") is True]


MANIFEST = _manifest()
SIGNED = _signed(MANIFEST)
CONFIGS = {c["name"]: c for c in MANIFEST["configurations"]}


def _leaf_key(config_dir: Path, entry: dict) -> object:
    """The signer's key, taken from the *chain* (its leaf), cross-checked with ``signed_by``."""
    bundle = load_certificates((config_dir / entry["signing_chain"]).read_bytes())
    signed_by = x509.load_der_x509_certificate((config_dir / entry["signed_by"]).read_bytes())
    assert bundle.leaf == signed_by
    return bundle.leaf.public_key()


def _inputs(config: dict, entry: dict) -> tuple[object, int, bytes, bytes, str]:
    base = _SHARED / config["directory"]
    data = (base / entry["file"]).read_bytes()
    off, size = entry["signature_offset"], entry["signature_length"]
    assert off + size == len(data) or entry["message"] == "KEY_EXCHANGE_RSP"
    transcript = (base / entry["signed_transcript_file"]).read_bytes()
    return (_leaf_key(base, entry), _version(entry["spdm_version"]), transcript,
            data[off:off + size], entry["signature_context"] or "")


def test_corpus_has_45_signatures() -> None:
    if not SIGNED:
        pytest.skip("spdm-emu vectors absent")
    assert len(SIGNED) == 45
    assert len(MANIFEST["negative_vectors"]) == 14


@pytest.mark.parametrize(("config", "entry"), SIGNED,
                         ids=[f"{c['name']}/{f['file']}" for c, f in SIGNED])
def test_genuine_signature_verifies(config: dict, entry: dict) -> None:
    key, version, transcript, signature, context = _inputs(config, entry)
    verdict = verify_spdm_signature(key, _algos(config), spdm_version=version,
                                    transcript=transcript, signature=signature, context=context)
    assert verdict.ok, verdict.reason
    assert verdict.scheme == ("transcript" if version <= 0x11 else "combined-prefix")
    assert not verdict.algorithms_inferred and verdict.byte_order == "big"


@pytest.mark.parametrize(("config", "entry"), SIGNED,
                         ids=[f"{c['name']}/{f['file']}" for c, f in SIGNED])
def test_genuine_signature_verifies_without_vca(config: dict, entry: dict) -> None:
    """No VCA: algorithms inferred from the leaf key, and the inference matches the config."""
    key, version, transcript, signature, context = _inputs(config, entry)
    verdict = verify_spdm_signature(key, None, spdm_version=version, transcript=transcript,
                                    signature=signature, context=context)
    assert verdict.ok and verdict.algorithms_inferred
    algos = _algos(config)
    assert (verdict.base_asym, verdict.base_hash) == (algos.base_asym, algos.base_hash)


@pytest.mark.parametrize(("config", "entry"), SIGNED[:6],
                         ids=[f"{c['name']}/{f['file']}" for c, f in SIGNED[:6]])
def test_wrong_context_or_version_fails(config: dict, entry: dict) -> None:
    key, version, transcript, signature, context = _inputs(config, entry)
    algos = _algos(config)
    if version >= 0x12:
        other = ("responder-measurements signing" if context != "responder-measurements signing"
                 else "responder-challenge_auth signing")
        bad = verify_spdm_signature(key, algos, spdm_version=version, transcript=transcript,
                                    signature=signature, context=other)
        assert not bad.ok
    flipped = 0x12 if version == 0x11 else 0x11
    algos_flipped = NegotiatedAlgorithms(flipped, algos.base_asym, algos.base_hash)
    bad = verify_spdm_signature(key, algos_flipped, spdm_version=flipped, transcript=transcript,
                                signature=signature, context=context or
                                "responder-challenge_auth signing")
    assert not bad.ok


NEGATIVE = MANIFEST["negative_vectors"]


@pytest.mark.parametrize("neg", NEGATIVE, ids=[n["file"] for n in NEGATIVE])
def test_negative_vector_fails(neg: dict) -> None:
    config = CONFIGS[neg["configuration"]]
    derived = neg["derived_from"].split("/", 1)[1]
    (entry,) = [f for f in config["files"] if f["file"] == derived]
    key, version, transcript, _, context = _inputs(config, entry)
    original = (_SHARED / config["directory"] / entry["file"]).read_bytes()
    tampered = (_SHARED / neg["file"]).read_bytes()
    off, size = entry["signature_offset"], entry["signature_length"]
    # The transcript ends with the response up to its signature; splice the tampered
    # response in so a changed nonce changes the transcript as the device's would.
    assert transcript.endswith(original[:off])
    transcript = transcript[:len(transcript) - off] + tampered[:off]
    verdict = verify_spdm_signature(key, _algos(config), spdm_version=version,
                                    transcript=transcript, signature=tampered[off:off + size],
                                    context=context)
    assert not verdict.ok
    assert "does not verify" in verdict.reason
