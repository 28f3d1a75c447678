# SPDX-License-Identifier: BSD-3-Clause
"""Appraisal: SPDM measurement signatures per key type, chain validation, a full appraisal.

Signatures and chains come from the spdm-emu vectors (VCA passed separately, as
the kernel's evidence objects carry it). The full appraisal runs on the
evidence one emulated device really produced: the agent runs once over a fresh
emulated platform and the first bundle it appraises is captured and replayed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _util import config, throughput
from cryptography import x509

from devtrust.appraise.certs import load_certificates
from devtrust.appraise.chain import validate_chain
from devtrust.appraise.leaf_profile import LeafProfile
from devtrust.appraise.spdm_evidence import verify_measurement_transcript
from devtrust.appraise.trust_store import TrustStore
from devtrust.wire.spdm.transcript import vca_length

#: Key type -> spdm-emu configuration signed with it.
KEY_TYPES = {
    "p256": "v12_doe_p256_sha256",
    "p384": "v12_doe_p384_sha384",
    "rsassa3072": "v12_doe_rsassa3072_sha256",
    "rsapss3072": "v12_doe_rsapss3072_sha384",
}
#: "cold": memoised certificate signatures and VCA decodes are dropped before every round
#: (a device seen for the first time); "warm": kept (re-validation, shared vendor roots).
CACHES = ("cold", "warm")
#: Inside the validity period of every spdm-emu certificate.
AT = datetime(2027, 1, 1, tzinfo=UTC)
_MINUS = " (minus trailing signature)"


def clear_caches() -> None:
    """Drop the appraisal memo caches (no-op on a tree without them)."""
    from devtrust.appraise import certs
    from devtrust.wire.spdm import transcript

    for fn in (getattr(certs, "_signature_issued_by", None),
               getattr(transcript, "_negotiated_from_vca_bytes", None)):
        if fn is not None:
            fn.cache_clear()


def _timed(benchmark: Any, caches: str, fn: Any, *args: Any, rounds: int = 200,
           **kwargs: Any) -> Any:
    if caches == "warm":
        return benchmark(fn, *args, **kwargs)
    return benchmark.pedantic(fn, args=args, kwargs=kwargs, setup=clear_caches,
                              rounds=rounds, iterations=1)


def _measurement_inputs(root: Path, name: str) -> tuple[bytes, bytes, object]:
    """(VCA, rest of the L1/L2 transcript with signature, leaf public key)."""
    cfg = config(root, name)
    base = root / cfg["directory"]
    (signed,) = [s for s in cfg["signed_messages"] if s["kind"] == "MEASUREMENTS"][:1]
    data = b"".join((base / p.removesuffix(_MINUS)).read_bytes()
                    for p in signed["transcript_parts"])
    leaf = x509.load_der_x509_certificate(
        (base / cfg["cert_chains"][str(signed["slot"])]["leaf"]).read_bytes())
    size = vca_length(data)
    return data[:size], data[size:], leaf.public_key()


@pytest.mark.parametrize("key_type", list(KEY_TYPES))
def test_measurement_signature(benchmark: Any, spdm_emu: Path, key_type: str) -> None:
    """Parse and verify one signed MEASUREMENTS transcript (GET_MEASUREMENTS + response),
    VCA decoded every round (cold)."""
    vca, rest, key = _measurement_inputs(spdm_emu, KEY_TYPES[key_type])
    verdict = _timed(benchmark, "cold", verify_measurement_transcript, rest, key, vca=vca)
    assert verdict.signature_valid, verdict.reason
    throughput(benchmark, nbytes=len(vca) + len(rest), messages=1)


@pytest.mark.parametrize("caches", CACHES)
@pytest.mark.parametrize("key_type", list(KEY_TYPES))
def test_chain_validation(benchmark: Any, spdm_emu: Path, key_type: str, caches: str) -> None:
    """``validate_chain`` of the slot-0 chain against its pinned root (3 certificates)."""
    cfg = config(spdm_emu, KEY_TYPES[key_type])
    data = (spdm_emu / cfg["directory"] / cfg["cert_chains"]["0"]["chain"]).read_bytes()
    bundle = load_certificates(data)
    store = TrustStore.from_certificates(bundle.root)
    verdict = _timed(benchmark, caches, validate_chain, bundle, store, at=AT,
                     profile=LeafProfile())
    assert verdict.anchor is not None and not [c for c in verdict.failures
                                               if c.name == "signature"]
    throughput(benchmark, nbytes=len(data), messages=len(bundle.certificates))


class _Capture:
    """An Appraiser stand-in that records the first bundle the agent hands over."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def appraise(self, bundle: Any, **kwargs: Any) -> Any:
        self.calls.append((bundle, kwargs))
        return self.real.appraise(bundle, **kwargs)


def captured_appraisal() -> tuple[Any, Any, dict[str, Any]]:
    """(appraiser, bundle, keyword arguments) of the first device the agent appraised."""
    from devtrust.agent.acceptance import AcceptanceAgent
    from devtrust.agent.runner import EMULATED_POLICY
    from devtrust.agent.vendor import vendor_reference_values, vendor_trust_store
    from devtrust.appraise.engine import Appraiser
    from devtrust.appraise.policy import load_policy
    from devtrust.kernel.levels import tcb_level
    from devtrust.platform.emulated import EmulatedPlatform

    platform = EmulatedPlatform()
    fleet = platform.fleet
    appraiser = Appraiser(load_policy(EMULATED_POLICY), vendor_trust_store(fleet),
                          vendor_reference_values(fleet))
    capture = _Capture(appraiser)
    agent = AcceptanceAgent(platform, capture, clock=lambda: fleet.now,  # type: ignore[arg-type]
                            kernel_levels=tcb_level(platform.state.variant.levels) + 1)
    tsm, mode = next((t, m) for t, m in sorted(agent.tsms().items()))
    agent.accept_device(agent.devices(mode)[0], tsm, mode)
    bundle, kwargs = capture.calls[0]
    return appraiser, bundle, kwargs


@pytest.mark.parametrize("caches", CACHES)
def test_appraiser_one_device(benchmark: Any, caches: str) -> None:
    """``Appraiser.appraise`` on one emulated device's real evidence (chain, signature,
    measurements, report, policy)."""
    appraiser, bundle, kwargs = captured_appraisal()
    result = _timed(benchmark, caches, appraiser.appraise, bundle, rounds=100, **kwargs)
    assert result.trust_level >= 0
    size = sum(len(o.data) for o in bundle.evidence.objects)
    throughput(benchmark, nbytes=size, messages=1)
