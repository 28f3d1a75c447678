# SPDX-License-Identifier: BSD-3-Clause
"""Wire codecs on the spdm-emu vectors: decode + re-encode per message type.

Each round decodes every input of the type and encodes it again; the round
trip is checked byte-exactly once before timing. ``extra_info`` carries bytes
and messages per round, MB/s and messages/s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import throughput

from devtrust.wire.doe import DoeDiscoveryRequest, DoeDiscoveryResponse, DoeObject
from devtrust.wire.spdm import (
    Certificate,
    Measurements,
    SpdmCertChain,
    negotiated_from_vca,
    split_vca,
)
from devtrust.wire.spdm.vendor import VendorDefinedMessage
from devtrust.wire.tdisp import TdiReport, decode_tdisp

SPDM_CONFIG = "v12_doe_p384_sha384"
TDISP_SESSION = "v12_doe_p384_sha384_psk_tdisp/sessions/1_psk_0xffffffff"


def _run(benchmark: Any, inputs: list[bytes], codec: Callable[[bytes], bytes], *,
         messages: int | None = None) -> None:
    for data in inputs:
        assert codec(data) == data, "round trip is not byte-exact"

    def round_trip() -> int:
        return sum(len(codec(data)) for data in inputs)

    benchmark(round_trip)
    throughput(benchmark, nbytes=sum(map(len, inputs)), messages=messages or len(inputs))


def test_vca(benchmark: Any, spdm_emu: Path) -> None:
    """GET_VERSION .. ALGORITHMS: split the VCA transcript and re-encode all six messages."""
    vca = (spdm_emu / SPDM_CONFIG / "vca" / "vca_transcript.bin").read_bytes()
    _run(benchmark, [vca], lambda d: b"".join(m.encode() for m in split_vca(d)), messages=6)


def test_measurements(benchmark: Any, spdm_emu: Path) -> None:
    """MEASUREMENTS response (all blocks, signed)."""
    root = spdm_emu / SPDM_CONFIG
    algos = negotiated_from_vca((root / "vca" / "vca_transcript.bin").read_bytes())
    data = (root / "measurements" / "001_measurements.bin").read_bytes()
    _run(benchmark, [data], lambda d: Measurements.decode(
        d, signature_size=algos.s, digest_size=algos.measurement_digest_size).encode())


def test_certificate_responses(benchmark: Any, spdm_emu: Path) -> None:
    """CERTIFICATE responses carrying the slot-0 chain in portions."""
    files = sorted((spdm_emu / SPDM_CONFIG / "certs").glob("certificate_*.bin"))
    _run(benchmark, [f.read_bytes() for f in files], lambda d: Certificate.decode(d).encode())


def test_cert_chain(benchmark: Any, spdm_emu: Path) -> None:
    """The reassembled SPDM certificate chain (header, root hash, DER certificates)."""
    root = spdm_emu / SPDM_CONFIG
    algos = negotiated_from_vca((root / "vca" / "vca_transcript.bin").read_bytes())
    data = (root / "certs" / "slot0_chain.bin").read_bytes()
    _run(benchmark, [data], lambda d: SpdmCertChain.decode(d, algos.h).encode())


def test_tdisp_report(benchmark: Any, spdm_emu: Path) -> None:
    """The reassembled DEVICE_INTERFACE_REPORT body (TDI report)."""
    data = (spdm_emu / TDISP_SESSION / "tdisp_device_interface_report.bin").read_bytes()
    _run(benchmark, [data], lambda d: TdiReport.decode(d).encode())


def _tdisp_message(data: bytes) -> bytes:
    vdm = VendorDefinedMessage.decode(data)
    body = decode_tdisp(vdm.pci_body).encode()
    assert body == vdm.pci_body
    return vdm.encode()


def test_tdisp_messages(benchmark: Any, spdm_emu: Path) -> None:
    """Every decrypted TDISP request/response of one session: SPDM VENDOR_DEFINED + TDISP."""
    files = sorted(p for p in (spdm_emu / TDISP_SESSION / "decrypted").glob("*_pci_tdisp_*.bin")
                   if not p.name.endswith(".secured_record.bin"))
    _run(benchmark, [f.read_bytes() for f in files], _tdisp_message)


def _doe(data: bytes, *, request: bool) -> bytes:
    obj = DoeObject.decode(data)
    kind = DoeDiscoveryRequest if request else DoeDiscoveryResponse
    assert kind.from_object(obj).to_object() == obj
    return obj.encode()


def test_doe(benchmark: Any, spdm_emu: Path) -> None:
    """DOE discovery requests and responses: the DOE object and its discovery payload."""
    files = sorted((spdm_emu / SPDM_CONFIG / "doe").glob("*.bin"))
    kinds = {f.read_bytes(): "request" in f.name for f in files}
    _run(benchmark, list(kinds), lambda d: _doe(d, request=kinds[d]))
