# SPDX-License-Identifier: BSD-3-Clause
"""Every fault of the catalogue (devtrust.hw.faults) shows its misbehaviour on the wire.

Each test is registered in ``COVERED``; :func:`test_every_catalogue_entry_has_a_test`
fails when the catalogue grows without a matching wire-level test.
"""

from __future__ import annotations

import errno
import hashlib

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtensionOID
from dsm_rig import NOW, PKI, Platform, make_platform, measurement_set
from test_dsm_spdm_responder import verify

from devtrust.hw.dsm.events import HwEventKind
from devtrust.hw.dsm.spdm_responder import STALE_NONCE
from devtrust.hw.faults import CATALOGUE, Fault, FaultSpec
from devtrust.hw.keys import KeyType
from devtrust.hw.pki import CertFlaw
from devtrust.hw.rng import Drbg
from devtrust.hw.tsm.requester import RequesterError, SpdmRequester
from devtrust.wire.errors import WireError
from devtrust.wire.spdm.certchain import SpdmCertChain
from devtrust.wire.spdm.error import ErrorCode, ErrorResponse
from devtrust.wire.spdm.header import ResponseCode
from devtrust.wire.spdm.measurements import Measurements
from devtrust.wire.spdm.signing import CONTEXT_MEASUREMENTS
from devtrust.wire.spdm.transcript import iter_measurement_exchanges
from devtrust.wire.tdisp.base import LockFlags
from devtrust.wire.tdisp.header import FunctionId, TdispErrorCode, TdiState
from devtrust.wire.tdisp.messages import decode_tdisp_response
from devtrust.wire.tdisp.report import RangeAttr, TdiReport
from devtrust.wire.tdisp.requests import (
    GetDeviceInterfaceReport,
    GetDeviceInterfaceState,
    LockInterfaceRequest,
    StopInterfaceRequest,
)
from devtrust.wire.tdisp.responses import LockInterfaceResponse, TdispError

COVERED: set[Fault] = set()


def covers(*faults: Fault):  # type: ignore[no-untyped-def]
    COVERED.update(faults)
    return lambda fn: fn


def platform(*specs: FaultSpec, **kw: object) -> Platform:
    return make_platform(faults=specs, **kw)  # type: ignore[arg-type]


def served_chain(p: Platform) -> tuple[SpdmRequester, bytes]:
    req = SpdmRequester(p.dsm.mailbox, Drbg(b"r", "r"))
    req.negotiate()
    return req, req.certificate(0)


def certs(chain: bytes) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(c)
            for c in SpdmCertChain.decode(chain, 48).certificates]


def report_of(p: Platform) -> TdiReport:
    ev = p.devsec.evidence(p.pf0)
    assert ev is not None
    return TdiReport.decode(ev.get(10).data)  # type: ignore[arg-type]


def tdisp(p: Platform, message: bytes):  # type: ignore[no-untyped-def]
    code, raw = p.link.guest_req(p.pf0, message)
    assert code == 0 and raw is not None
    return raw


FID = FunctionId.from_requester_id(0x0100)


# -- PKI ----------------------------------------------------------------------------------
@covers(Fault.WRONG_SIGNING_KEY)
def test_wrong_signing_key() -> None:
    p = platform(FaultSpec.of(Fault.WRONG_SIGNING_KEY), wrong_key=True)
    req, _ = served_chain(p)
    transcript, m = req.measurements(bytes(32))
    request = transcript[:len(transcript) - len(m.raw)]
    with pytest.raises(InvalidSignature):
        verify(KeyType.ECDSA_P384, 0x12, CONTEXT_MEASUREMENTS,
               req.conn.vca + request + m.unsigned_bytes, m.signature)


@covers(Fault.BROKEN_CHAIN_SIGNATURE)
def test_broken_chain_signature() -> None:
    _, chain = served_chain(platform(flaws=frozenset({CertFlaw.BROKEN_SIGNATURE})))
    _, ca, leaf = certs(chain)
    with pytest.raises(InvalidSignature):
        leaf.verify_directly_issued_by(ca)


@covers(Fault.UNKNOWN_ROOT)
def test_unknown_root() -> None:
    _, chain = served_chain(platform(trusted=False))
    root = SpdmCertChain.decode(chain, 48).certificates[0]
    assert root not in PKI.trust_anchors()
    good = SpdmCertChain.decode(served_chain(platform())[1], 48).certificates[0]
    assert good in PKI.trust_anchors()


@covers(Fault.EXPIRED_CERT, Fault.NOT_YET_VALID_CERT)
@pytest.mark.parametrize("flaw", [CertFlaw.EXPIRED, CertFlaw.NOT_YET_VALID])
def test_leaf_validity(flaw: CertFlaw) -> None:
    leaf = certs(served_chain(platform(flaws=frozenset({flaw})))[1])[-1]
    if flaw is CertFlaw.EXPIRED:
        assert leaf.not_valid_after_utc < NOW
    else:
        assert leaf.not_valid_before_utc > NOW


@covers(Fault.LEAF_WITHOUT_PROFILE)
def test_leaf_without_cma_san() -> None:
    leaf = certs(served_chain(platform(flaws=frozenset({CertFlaw.NO_CMA_SAN})))[1])[-1]
    san = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    oids = {n.type_id.dotted_string for n in san if isinstance(n, x509.OtherName)}
    assert "2.23.147" not in oids


# -- SPDM -----------------------------------------------------------------------------------
@covers(Fault.NONCE_NOT_ECHOED)
def test_nonce_not_echoed() -> None:
    p = platform(FaultSpec.of(Fault.NONCE_NOT_ECHOED))
    req, _ = served_chain(p)
    fresh = bytes(range(32))
    transcript, m = req.measurements(fresh)
    request = transcript[:len(transcript) - len(m.raw)]
    with pytest.raises(InvalidSignature):
        verify(KeyType.ECDSA_P384, 0x12, CONTEXT_MEASUREMENTS,
               req.conn.vca + request + m.unsigned_bytes, m.signature)
    stale = request[:4] + STALE_NONCE + request[36:]
    verify(KeyType.ECDSA_P384, 0x12, CONTEXT_MEASUREMENTS,
           req.conn.vca + stale + m.unsigned_bytes, m.signature)


@covers(Fault.DIGEST_MISMATCH)
@pytest.mark.parametrize("target", ["digests", "root-hash"])
def test_digest_mismatch(target: str) -> None:
    req, chain = served_chain(platform(FaultSpec.of(Fault.DIGEST_MISMATCH, target=target)))
    if target == "digests":
        assert req.digests().digest_for(0) != hashlib.sha384(chain).digest()
    else:
        assert not SpdmCertChain.decode(chain, 48).root_hash_matches("sha384")


@covers(Fault.BUSY)
def test_busy_spdm_then_retry_succeeds() -> None:
    p = platform(FaultSpec.of(Fault.BUSY, request="get-digests", count=2))
    req, _ = served_chain(p)
    req.digests()
    answers = [x.response for x in p.dsm.mailbox.trace if x.request[1] == 0x81]
    assert [ErrorResponse.decode(a).error_code for a in answers[:2]] == [ErrorCode.BUSY] * 2
    assert answers[2][1] == ResponseCode.DIGESTS


def test_busy_forever_gives_eagain() -> None:
    p = platform(FaultSpec.of(Fault.BUSY, request="get-measurements", count=0))
    assert p.link.connect(p.pf0) == errno.EAGAIN
    assert p.link.available_streams("hb0") == 4


def test_busy_tdisp() -> None:
    p = platform(FaultSpec.of(Fault.BUSY, protocol="tdisp", count=1))
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    first = decode_tdisp_response(tdisp(p, GetDeviceInterfaceState(FID).encode()))
    assert isinstance(first, TdispError) and first.error_code is TdispErrorCode.BUSY
    assert p.devsec.lock(p.pf0) == 0


@covers(Fault.NOT_READY)
def test_not_ready_then_respond_if_ready() -> None:
    p = platform(FaultSpec.of(Fault.NOT_READY, request="get-digests"))
    req, _ = served_chain(p)
    assert req.digests().slot_mask == 1
    answers = [x.response for x in p.dsm.mailbox.trace if x.request[1] in (0x81, 0xFF)]
    rnr = ErrorResponse.decode(answers[0]).response_not_ready
    assert rnr is not None and rnr.request_code == 0x81
    assert answers[1][1] == ResponseCode.DIGESTS


@covers(Fault.TRUNCATED_MESSAGE, Fault.OVERSIZE_MESSAGE)
@pytest.mark.parametrize("fault", [Fault.TRUNCATED_MESSAGE, Fault.OVERSIZE_MESSAGE])
def test_mangled_spdm_response(fault: Fault) -> None:
    p = platform(FaultSpec.of(fault, request="get-measurements"))
    req, _ = served_chain(p)
    with pytest.raises(RequesterError) as info:
        req.measurements(bytes(32))
    assert info.value.errno == errno.EIO
    raw = p.dsm.mailbox.trace[-1].response
    with pytest.raises(WireError):
        Measurements.decode(raw, signature_size=96)
    assert p.link.connect(p.pf0) == errno.EIO


@pytest.mark.parametrize("fault", [Fault.TRUNCATED_MESSAGE, Fault.OVERSIZE_MESSAGE])
def test_mangled_tdisp_response(fault: Fault) -> None:
    p = platform(FaultSpec.of(fault, protocol="tdisp", request="lock-interface"))
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    assert p.devsec.lock(p.pf0) == errno.EIO
    lock = LockInterfaceRequest(FID, LockFlags(0), default_stream_id=0).encode()
    tdisp(p, StopInterfaceRequest(FID).encode())
    with pytest.raises(WireError):
        LockInterfaceResponse.decode(tdisp(p, lock))


# -- measurements ------------------------------------------------------------------------
@covers(Fault.MEASUREMENTS_CHANGED_AFTER_LOCK)
def test_measurements_changed_after_lock() -> None:
    after = measurement_set("9.9.9", 0)
    p = platform(FaultSpec.of(Fault.MEASUREMENTS_CHANGED_AFTER_LOCK), after_lock=after)
    assert p.link.connect(p.pf0) == 0
    before = p.link.evidence(p.pf0)
    assert before is not None
    p.link.bind(p.pf0, 1)
    assert p.devsec.lock(p.pf0) == 0
    assert p.dsm.tdi_state(p.pf0) is TdiState.CONFIG_LOCKED  # no ERROR: that is the fault
    assert p.link.refresh_evidence(p.pf0, bytes(32)) == 0
    refreshed = p.link.evidence(p.pf0)
    assert refreshed is not None and refreshed.generation > before.generation
    assert b"9.9.9" in refreshed.get(9).data  # type: ignore[arg-type]
    assert b"9.9.9" not in before.get(9).data  # type: ignore[arg-type]


@covers(Fault.FIRMWARE_DOWNGRADE)
def test_firmware_downgrade(machine) -> None:  # type: ignore[no-untyped-def]
    spec = machine.fleet.device("nvme-oldfw")
    reference = machine.fleet.reference_measurements(spec.model)
    dev = machine.device("nvme-oldfw")
    assert machine.link.connect(dev.pf0_bdf) == 0
    ev = machine.link.evidence(dev.pf0_bdf)
    ((_, m),) = iter_measurement_exchanges(ev.get(9).data, signature_size=96)
    svn = int.from_bytes(m.record.by_index(0x10).value, "little")
    assert svn == spec.measurements.svn < reference.svn
    assert machine.link.disconnect(dev.pf0_bdf) == 0


# -- TDISP report -------------------------------------------------------------------------
@covers(Fault.REPORT_OVERLAPPING_RANGES)
def test_report_overlap() -> None:
    p = platform(FaultSpec.of(Fault.REPORT_OVERLAPPING_RANGES))
    p.connect_bind_lock()
    ranges = report_of(p).mmio_ranges
    a, b = ranges[0], ranges[1]
    assert a.range_id == b.range_id and b.first_page < a.first_page + a.num_pages


@covers(Fault.REPORT_RANGE_OUTSIDE_BAR)
def test_report_outside_bar() -> None:
    p = platform(FaultSpec.of(Fault.REPORT_RANGE_OUTSIDE_BAR))
    p.connect_bind_lock()
    last = report_of(p).mmio_ranges[-1]
    bar = p.dsm.functions[p.pf0.requester_id].bar(last.range_id)
    assert bar is not None and last.byte_end(0xD000_0000) > bar.end


@covers(Fault.REPORT_MISSING_RANGE)
def test_report_missing_range() -> None:
    good, bad = platform(), platform(FaultSpec.of(Fault.REPORT_MISSING_RANGE))
    good.connect_bind_lock()
    bad.connect_bind_lock()
    g, b = report_of(good).mmio_ranges, report_of(bad).mmio_ranges
    assert len(b) == len(g) - 1 and set(b) < set(g)
    covered = sum(r.num_pages for r in b if not r.attributes)
    assert covered < sum(r.num_pages for r in g if not r.attributes)


@covers(Fault.REPORT_MSIX_AS_TEE)
def test_report_msix_as_tee() -> None:
    p = platform(FaultSpec.of(Fault.REPORT_MSIX_AS_TEE))
    p.connect_bind_lock()
    msix = p.dsm.functions[p.pf0.requester_id].msix
    assert msix is not None
    bar = p.dsm.functions[p.pf0.requester_id].bar(msix.table_bar)
    table_page = (bar.address + msix.table_offset + 0xD000_0000) >> 12  # type: ignore[union-attr]
    entry = next(r for r in report_of(p).mmio_ranges if r.first_page == table_page)
    assert not entry.attributes & (RangeAttr.MSIX_TABLE | RangeAttr.NON_TEE)


@covers(Fault.REPORT_CHANGES_BETWEEN_FETCHES)
def test_report_changes_between_fetches() -> None:
    p = platform(FaultSpec.of(Fault.REPORT_CHANGES_BETWEEN_FETCHES))
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    # The devsec TSM reads the report twice at LOCK and refuses a device whose answers differ.
    assert p.devsec.lock(p.pf0) == errno.EIO
    # On the wire: the two reads inside LOCK got different answers.
    answers = {x.response for x in p.dsm.mailbox.trace
               if len(x.request) > 13 and x.request[11] == 1 and x.request[13] == 0x84}
    assert len(answers) >= 2


@covers(Fault.WRONG_INTERFACE_ID)
def test_wrong_interface_id() -> None:
    p = platform(FaultSpec.of(Fault.WRONG_INTERFACE_ID, request="lock-interface"))
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    assert p.devsec.lock(p.pf0) == errno.EIO
    tdisp(p, StopInterfaceRequest(FID).encode())
    raw = tdisp(p, LockInterfaceRequest(FID, LockFlags(0), default_stream_id=0).encode())
    assert decode_tdisp_response(raw).function_id != FID


@covers(Fault.ERROR_AT_STEP)
@pytest.mark.parametrize("step", ["lock", "report", "start", "run"])
def test_error_at_step(step: str) -> None:
    p = platform(FaultSpec.of(Fault.ERROR_AT_STEP, step=step))
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    code = p.devsec.lock(p.pf0)
    if step in ("lock", "report"):
        # LOCK itself answered; the report fetch then meets an ERROR TDI.
        assert code == errno.EBUSY
    else:
        assert code == 0
        assert p.devsec.accept(p.pf0) == (errno.EBUSY if step == "start" else 0)
    assert p.dsm.tdi_state(p.pf0) is TdiState.ERROR
    events = p.link.poll_events()
    assert any(e.kind is HwEventKind.TDI_STATE and e.state is TdiState.ERROR for e in events)


@covers(Fault.REPEATED_START_NONCE)
def test_repeated_start_nonce() -> None:
    p = platform(FaultSpec.of(Fault.REPEATED_START_NONCE))
    p.connect_bind_lock()
    first = p.devsec._locked[p.pf0].nonce
    assert p.devsec.unlock(p.pf0) == 0
    assert p.devsec.lock(p.pf0) == errno.EIO  # the TSM refuses a nonce it has seen
    assert p.dsm.tdi_state(p.pf0) is TdiState.CONFIG_UNLOCKED
    raw = tdisp(p, LockInterfaceRequest(FID, LockFlags(0), default_stream_id=0).encode())
    assert LockInterfaceResponse.decode(raw).nonce == first


@covers(Fault.CONFIG_WRITE_WHILE_LOCKED)
@pytest.mark.parametrize("ignores", [False, True])
@pytest.mark.parametrize("register", ["bar0", "command"])
def test_config_write_while_locked(register: str, ignores: bool) -> None:
    p = platform(FaultSpec.of(Fault.CONFIG_WRITE_WHILE_LOCKED, register=register, step="lock",
                              device_ignores=ignores))
    before = p.dsm.functions[p.pf0.requester_id].bars[0].address
    assert p.link.connect(p.pf0) == 0 and p.link.bind(p.pf0, 1) == 0
    # The write lands right after LOCK: a correct device is in ERROR before the report.
    assert p.devsec.lock(p.pf0) == (0 if ignores else errno.EBUSY)
    expected = TdiState.CONFIG_LOCKED if ignores else TdiState.ERROR
    assert p.dsm.tdi_state(p.pf0) is expected
    events = [e.kind for e in p.link.poll_events()]
    assert HwEventKind.CONFIG_WRITE in events
    if register == "bar0":
        assert p.dsm.functions[p.pf0.requester_id].bars[0].address != before


@covers(Fault.IDE_KEY_LOSS)
def test_ide_key_loss_at_run() -> None:
    p = platform(FaultSpec.of(Fault.IDE_KEY_LOSS, step="run"))
    p.connect_bind_lock()
    assert p.devsec.accept(p.pf0) == 0
    assert p.dsm.tdi_state(p.pf0) is TdiState.ERROR
    assert not p.dsm.ide.is_secure(0)
    assert HwEventKind.IDE_KEYS_LOST in [e.kind for e in p.link.poll_events()]


def test_every_catalogue_entry_has_a_test() -> None:
    assert set(CATALOGUE) - COVERED == set()


def test_unknown_request_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a tdisp request"):
        platform(FaultSpec.of(Fault.TRUNCATED_MESSAGE, protocol="tdisp",
                              request="get-measurements"))


_ = (GetDeviceInterfaceReport,)
