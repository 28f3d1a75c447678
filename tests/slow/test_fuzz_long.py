# SPDX-License-Identifier: BSD-3-Clause
"""Long fuzzing (``-m slow``): every decoder of device- or TSM-supplied bytes, fed
arbitrary bytes and bytes mutated from the real spdm-emu corpus, raises nothing but its
documented error type (WireError for the wire layer, AppraisalInputError for appraisal
inputs) and never hangs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtrust.appraise.bundle import bundle_from_json
from devtrust.appraise.certs import load_certificates
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.spdm_evidence import parse_measurement_transcript
from devtrust.kernel.mmio_report import parse_mmio_report
from devtrust.kernel.netlink.codec import decode_message as decode_netlink
from devtrust.wire.doe import DoeObject
from devtrust.wire.errors import WireError
from devtrust.wire.ide_km import decode_ide_km
from devtrust.wire.secured import SecuredRecord
from devtrust.wire.spdm.algorithms import BaseAsymAlgo, BaseHashAlgo, NegotiatedAlgorithms
from devtrust.wire.spdm.certchain import SpdmCertChain
from devtrust.wire.spdm.measurement_block import MeasurementRecord
from devtrust.wire.spdm.message import decode_message
from devtrust.wire.spdm.transcript import negotiated_from_vca
from devtrust.wire.spdm.vendor import VendorDefinedMessage
from devtrust.wire.tdisp.messages import decode_tdisp
from devtrust.wire.tdisp.report import TdiReport

pytestmark = pytest.mark.slow

LONG = settings(max_examples=3000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ALGOS = NegotiatedAlgorithms(0x12, BaseAsymAlgo.ECDSA_P384, BaseHashAlgo.SHA_384)
BARS = ((0, 0xF000_0000, 0x20_0000, True), (2, 0xF100_0000, 0x1000, True))

DECODERS: dict[str, tuple[Callable[[bytes], Any], type[Exception]]] = {
    "spdm": (lambda b: decode_message(b, ALGOS), WireError),
    "vca": (negotiated_from_vca, WireError),
    "vendor": (VendorDefinedMessage.decode, WireError),
    "certchain": (lambda b: SpdmCertChain.decode(b, 48), WireError),
    "measurement-record": (MeasurementRecord.decode, WireError),
    "tdisp": (decode_tdisp, WireError),
    "tdi-report": (TdiReport.decode, WireError),
    "doe": (DoeObject.decode, WireError),
    "ide-km": (decode_ide_km, WireError),
    "secured": (SecuredRecord.decode, WireError),
    "netlink": (decode_netlink, WireError),
    "kernel-report-parser": (lambda b: parse_mmio_report(b, BARS), WireError),
    "certificates": (load_certificates, AppraisalInputError),
    "measurement-transcript": (parse_measurement_transcript, AppraisalInputError),
    "bundle": (lambda b: bundle_from_json(b.decode("utf-8", "replace")), AppraisalInputError),
}


def _corpus(root: Path) -> list[bytes]:
    files = sorted(root.glob("*/*/*.bin")) + sorted(root.glob("*/sessions/*/decrypted/*.bin"))
    return [f.read_bytes() for f in files[:400]]


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_arbitrary_bytes(name: str) -> None:
    decode, error = DECODERS[name]

    @LONG
    @given(st.binary(max_size=512))
    def run(data: bytes) -> None:
        try:
            decode(data)
        except error:
            pass

    run()


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_mutated_corpus(name: str, spdm_emu: Path) -> None:
    decode, error = DECODERS[name]
    corpus = _corpus(spdm_emu)

    @LONG
    @given(st.sampled_from(corpus), st.lists(st.tuples(st.integers(0, 4095),
                                                       st.integers(0, 255)), max_size=8),
           st.integers(0, 4096))
    def run(seed: bytes, flips: list[tuple[int, int]], cut: int) -> None:
        data = bytearray(seed[:cut] if cut < len(seed) else seed)
        for at, value in flips:
            if data:
                data[at % len(data)] = value
        try:
            decode(bytes(data))
        except error:
            pass

    run()
