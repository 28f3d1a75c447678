# SPDX-License-Identifier: BSD-3-Clause
"""Every captured TDISP message and report in the spdm-emu corpus (read in place).

Each decrypted ``NNNN_pci_tdisp_*.bin`` is a whole SPDM VENDOR_DEFINED message:
unwrap it, decode the TDISP body, re-encode it byte-exactly and check the
manifest's fields and offsets. The multi-part DEVICE_INTERFACE_REPORT
portions of each session are reassembled and compared with the session's
``tdisp_device_interface_report.bin``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from tdisp_strategies import SAMPLE_REPORT

from devtrust.testing.codecs import assert_codec
from devtrust.wire.spdm.vendor import PciProtocol, VendorDefinedMessage
from devtrust.wire.tdisp import (
    DeviceInterfaceReport,
    DeviceInterfaceState,
    GetDeviceInterfaceReport,
    LockInterfaceRequest,
    LockInterfaceResponse,
    ReportAssembler,
    StartInterfaceRequest,
    TdiReport,
    TdispCapabilities,
    TdispRequest,
    TdiState,
    decode_tdisp,
)

pytestmark = pytest.mark.vectors


def _tdisp_entries(manifest: dict) -> list[tuple[str, dict]]:
    out = []
    for config in manifest["configurations"]:
        for entry in config["files"]:
            vendor = entry.get("vendor_defined") or {}
            if vendor.get("protocol") == "PCI_TDISP":
                out.append((f"{config['directory']}/{entry['file']}", vendor))
    return out


def test_every_tdisp_message(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    entries = _tdisp_entries(spdm_emu_manifest)
    assert len(entries) >= 40, "expected both psk_tdisp sessions in the corpus"
    seen = set()
    for path, vendor in entries:
        data = (spdm_emu / path).read_bytes()
        vdm = assert_codec(VendorDefinedMessage.decode, data)
        assert vdm.pci_protocol is PciProtocol.TDISP
        body_at = vendor["tdisp_message_offset"]
        assert body_at == vendor["payload_offset"] + 1
        assert data[body_at:] == vdm.pci_body
        msg = assert_codec(decode_tdisp, vdm.pci_body)
        seen.add(type(msg).__name__)
        assert msg.NAME == vendor["tdisp_message"], path
        assert msg.IS_REQUEST == vdm.is_request
        assert msg.version == int(vendor["tdisp_version"], 16)
        assert msg.function_id.value == int(vendor["interface_id_function_id"], 16)
        assert vendor["tdisp_body_offset"] == body_at + 16
        _check_fields(msg, vendor, data, path)
    assert len(seen) == 14  # every message type spdm-emu exchanges (no P2P, MMIO, VDM)


def _check_fields(msg: object, vendor: dict, data: bytes, path: str) -> None:
    if "start_interface_nonce_offset" in vendor:
        assert isinstance(msg, (LockInterfaceResponse, StartInterfaceRequest))
        at = vendor["start_interface_nonce_offset"]
        assert data[at:at + vendor["start_interface_nonce_length"]] == msg.nonce
    if isinstance(msg, DeviceInterfaceState):
        assert msg.state is TdiState[vendor["tdi_state"]]
    if isinstance(msg, GetDeviceInterfaceReport):
        assert (msg.offset, msg.length) == (vendor["report_offset"], vendor["report_length"])
    if isinstance(msg, DeviceInterfaceReport):
        assert msg.portion_length == vendor["portion_length"]
        assert msg.remainder_length == vendor["remainder_length"]
        at = vendor["report_portion_offset"]
        assert data[at:at + msg.portion_length] == msg.portion
    if isinstance(msg, TdispCapabilities):
        # spdm-emu's sample: all seven required requests, code − 0x80 form (§7 row 1).
        assert msg.supported_requests() == frozenset(TdispRequest(c) for c in range(0x81, 0x88))
        assert msg.dev_addr_width == 48 and msg.num_req_this == msg.num_req_all == 0  # §7 row 2
    if isinstance(msg, LockInterfaceRequest):
        assert msg.mmio_reporting_offset == 0xD000_0000 and msg.bind_p2p_address_mask == 0


def test_reports_reassemble(spdm_emu: Path, spdm_emu_manifest: dict) -> None:
    sessions: dict[Path, list[tuple[str, dict]]] = defaultdict(list)
    for path, vendor in _tdisp_entries(spdm_emu_manifest):
        if vendor["tdisp_message"] in ("GET_DEVICE_INTERFACE_REPORT", "DEVICE_INTERFACE_REPORT"):
            sessions[(spdm_emu / path).parent.parent].append((path, vendor))
    assert sessions
    for session_dir, items in sessions.items():
        expected = (session_dir / "tdisp_device_interface_report.bin").read_bytes()
        asm = ReportAssembler(buffer_size=0x40)
        for path, _vendor in sorted(items):
            msg = decode_tdisp(VendorDefinedMessage.decode((spdm_emu / path).read_bytes()).pci_body)
            if isinstance(msg, GetDeviceInterfaceReport):
                assert asm.next_request() == (msg.offset, msg.length)
            else:
                asm.feed(msg)
        assert asm.is_complete and asm.report() == expected
        report = assert_codec(TdiReport.decode, expected)
        assert report.encode() == SAMPLE_REPORT  # the §2.7 hand-derived bytes
