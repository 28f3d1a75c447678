# SPDX-License-Identifier: BSD-3-Clause
"""Every fault of the hardware fault catalogue is caught by the defence the catalogue names.

Each case builds a two-device scenario (a clean control GPU and one device carrying the
fault, see ``attack_helpers``), runs the acceptance agent end to end over the emulated
platform (real SPDM/TDISP traffic, the pure kernel model, the appraiser) and asserts

* the defence: the exact appraisal claim that fails, the kernel errno the agent met, or
  the kernel's trust drop;
* that no function of the faulty device ends in RUN or at TCB (unless the catalogue says
  the requester must ride out the fault, ``retry-succeeds``);
* that the control device of the same scenario still reaches TCB.

Where the system does not show the documented defence the gap is recorded as a strict
``xfail`` in ``test_fixme`` (ids ``fixme_<fault>-<variant>``): the test asserts the
defence the catalogue documents and fails today; it turns into an XPASS failure once
fixed, so the entry must then move to ``CASES``.
"""

from __future__ import annotations

import errno

import pytest
from attack_helpers import (
    CONTROL,
    DEVSEC_TSM,
    VICTIM,
    AttackCase,
    AttackRun,
    Check,
    assert_claim_fails,
    assert_control_at_tcb,
    assert_journal_errno,
    assert_never_tcb,
    assert_reaches_tcb,
    execute,
    failed_claims,
)

from devtrust.agent.acceptance import DeviceOutcome
from devtrust.agent.watch import watch_once as _watch_once
from devtrust.hw.dsm.faults import SPDM_REQUEST_CODES
from devtrust.hw.faults import CATALOGUE, Fault, Outcome
from devtrust.hw.pci import Bdf
from devtrust.platform.base import PCI_DEVICES
from devtrust.wire.evidence import EvidenceType
from devtrust.wire.tdisp.header import TdiState

# -- pki: the chain is rejected -----------------------------------------------------------------


def _chain_rejected(claim: str, *, reason: str = "") -> Check:
    def check(run: AttackRun) -> None:
        assert_claim_fails(run, claim, crypto=True, reason=reason, capped_by=f"claim:{claim}")
        assert_never_tcb(run, max_level=0)   # contraindicated evidence earns no trust
    return check


def _broken_chain_rejected(run: AttackRun) -> None:
    # The forged leaf takes its place by name; the walk fails its signature link.
    assert_claim_fails(run, "chain.signature", crypto=True, reason="not issued by",
                       capped_by="claim:chain.signature")
    assert_never_tcb(run, max_level=0)


def _explicit_ca_false_rejected(run: AttackRun) -> None:
    # BasicConstraints {cA FALSE} explicitly encoded is not DER; the parser refuses it, and
    # a chain that does not decode is contraindicated.
    assert_claim_fails(run, "chain.decode", crypto=True, reason="extensions",
                       capped_by="claim:chain.decode")
    assert_never_tcb(run, max_level=0)


# -- spdm: signatures, digests, retries, framing ------------------------------------------------


def _signature_rejected(run: AttackRun) -> None:
    assert_claim_fails(run, "signature.measurements", crypto=True, reason="does not verify",
                       capped_by="claim:signature.measurements")
    # The chain itself is fine: only the signature gives the device away.
    assert not any(n.startswith("chain.") for n in failed_claims(run.final[VICTIM]))
    assert_never_tcb(run, max_level=0)


def _busy_fired(code: int) -> Check:
    def check(run: AttackRun) -> None:
        assert code not in run.platform.machine.device("victim").behaviour.spdm_busy, \
            "the Busy budget of the fault was not consumed"
        assert run.platform.machine.link.is_connected(VICTIM)
        assert_reaches_tcb(run)
    return check


def _not_ready_answered(code: int) -> Check:
    def check(run: AttackRun) -> None:
        assert code in run.platform.machine.device("victim").behaviour._not_ready_pending, \
            "the device never answered ResponseNotReady"
        assert_reaches_tcb(run)
    return check


def _connect_fails(code: int, *, again: bool = True) -> Check:
    """The host's link TSM cannot connect (SPDM fails closed): nothing is bound, so the
    guest's LOCK finds no TDI (ENXIO); a fresh connect attempt fails with ``code``."""
    def check(run: AttackRun) -> None:
        link = run.platform.machine.link
        assert not link.is_connected(VICTIM) and link.bound_tdi(VICTIM) is None
        assert_journal_errno(run, "lock", errno.ENXIO)
        assert run.final[VICTIM].result is None
        if again:
            assert link.connect(Bdf.parse(VICTIM)) == code
            assert not link.is_connected(VICTIM)
        assert_never_tcb(run, max_level=0)
    return check


def _lock_fails(code: int) -> Check:
    def check(run: AttackRun) -> None:
        assert_journal_errno(run, "lock", code)
        assert run.final[VICTIM].result is None, "evidence was appraised after a failed LOCK"
        assert not run.platform.machine.devsec.is_locked(VICTIM)
        assert_never_tcb(run, max_level=0)
    return check


def _accept_fails(code: int) -> Check:
    """The appraisal passes, START fails closed: the agent unlocks and grants nothing."""
    def check(run: AttackRun) -> None:
        out = run.final[VICTIM]
        assert out.result is not None and out.result.trust_level == run.tcb
        assert_journal_errno(run, "accept", code)
        assert out.error == f"accept failed: errno {code}"
        assert not run.platform.machine.devsec.is_locked(VICTIM)
        assert run.errnos(VICTIM, "trust") == [], "trust written after a failed accept"
        assert_never_tcb(run, max_level=0)
    return check


def _state_query_rejected(run: AttackRun) -> None:
    """GET_DEVICE_INTERFACE_STATE after START echoes another INTERFACE_ID: the TSM cannot
    confirm RUN, so the kernel never records RUN and refuses the trust write."""
    assert_journal_errno(run, "trust", errno.EINVAL)
    assert_never_tcb(run, max_level=0)


def _digest_root_hash(run: AttackRun) -> None:
    assert_claim_fails(run, "chain.spdm.root_hash", crypto=True, reason="RootHash",
                       capped_by="claim:chain.spdm.root_hash")
    assert_never_tcb(run, max_level=0)


# -- measurements -------------------------------------------------------------------------------


def _downgrade_rejected(capped_by: str) -> Check:
    def check(run: AttackRun) -> None:
        assert_claim_fails(run, "measurement[16]", reason="firmware downgrade: SVN 1 < minimum 5",
                           capped_by=capped_by)
        assert_never_tcb(run, max_level=1)
    return check


# -- tdisp: the interface report ----------------------------------------------------------------


def _report_rejected(claim: str, *, kernel_parser: bool) -> Check:
    """Appraisal fails ``claim`` (level below TCB: RUN refused, trust collapsed to 1 in a
    confidential guest); with ``kernel_parser`` the kernel also refuses RUN on its own."""
    def check(run: AttackRun) -> None:
        assert_claim_fails(run, claim, capped_by="requirement:report")
        for bdf in run.victims:
            out = run.final[bdf]
            assert out.result is not None and out.result.trust_level < run.tcb
            assert run.errnos(bdf, "accept") == [], "the agent tried to accept"
        assert_never_tcb(run, max_level=1)
        if kernel_parser:
            # Lock again and force the accept: pci_tsm_mmio_setup() must refuse the report.
            lock = f"{PCI_DEVICES}/{VICTIM}/tsm/lock"
            assert run.write_errno(lock, "tsm0") == 0
            assert run.write_errno(f"{PCI_DEVICES}/{VICTIM}/tsm/accept", "1") == errno.EINVAL
            assert not run.in_run(VICTIM)
    return check


def _repeated_nonce_refused(run: AttackRun) -> None:
    # A constant nonce cannot be told from a random one the first time it is seen ...
    first = run.final[VICTIM]
    assert first.accepted and first.kernel_level == run.tcb
    # ... but the second LOCK of the same TDI returns it again: the TSM refuses with EIO,
    # stops the TDI and the device ends unlocked at trust 0.
    again = run.revalidate()
    assert again.error == "lock failed: errno 5"
    assert_journal_errno(run, "lock", errno.EIO)
    assert not run.platform.machine.devsec.is_locked(VICTIM)
    dsm = run.platform.machine.device("victim")
    assert dsm.tdi_state(VICTIM) is TdiState.CONFIG_UNLOCKED
    assert_never_tcb(run, max_level=0)


# -- trust drops (ERROR, config writes, IDE) --------------------------------------------------


def _error_after_start(run: AttackRun) -> None:
    """The TDI fell to ERROR right after START: the kernel saw it before the trust write,
    so the trust write is refused (EINVAL: not in RUN) and the trust level is 0."""
    dsm = run.platform.machine.device("victim")
    # ERROR, or CONFIG_UNLOCKED once the agent released the TDI (STOP from ERROR).
    assert dsm.tdi_state(VICTIM) in (TdiState.ERROR, TdiState.CONFIG_UNLOCKED)
    assert_journal_errno(run, "trust", errno.EINVAL)
    assert run.final[VICTIM].error.startswith("trust=4 refused after RUN")
    assert_never_tcb(run, max_level=0)


def _error_before_start(step: str) -> Check:
    def check(run: AttackRun) -> None:
        if step == "accept":
            _accept_fails(errno.EBUSY)(run)
        else:
            _lock_fails(errno.EBUSY)(run)
    return check


def _ignored_write_caught_on_revalidation(run: AttackRun) -> None:
    """The device ignored the BAR move and stays in RUN; re-validating (unlock, LOCK,
    fresh report) shows the report no longer matches the BAR the kernel knows."""
    again = run.revalidate()
    bad = failed_claims(again)
    assert "report.range_in_bar" in bad, sorted(bad)
    assert again.result is not None and again.result.capped_by.source == "requirement:report"
    assert not again.accepted and again.kernel_level is not None and again.kernel_level <= 1
    assert_never_tcb(run, max_level=1)


# -- the case table -----------------------------------------------------------------------------

_GET_MEAS = SPDM_REQUEST_CODES["get-measurements"]
_GET_CERT = SPDM_REQUEST_CODES["get-certificate"]
_KEY_EX = SPDM_REQUEST_CODES["key-exchange"]

def _defence_claim(claim: str) -> Check:
    """The catalogue's chain-rejected defence: ``claim`` fails and the device gets nothing."""
    def check(run: AttackRun) -> None:
        assert_claim_fails(run, claim)
        assert_never_tcb(run)
    return check


def _signature_check_names_it(run: AttackRun) -> None:
    assert_claim_fails(run, "chain.signature", crypto=True)
    assert_never_tcb(run, max_level=0)


def _never_tcb(run: AttackRun) -> None:
    assert_never_tcb(run)


def _tdisp_busy_retried(run: AttackRun) -> None:
    assert_reaches_tcb(run)


def _new_firmware_refused(run: AttackRun) -> None:
    dsm = run.platform.machine.device("victim")
    assert (dsm.measurements.firmware_version, dsm.measurements.svn) == ("9.9.9", 0), \
        "the fault did not switch the firmware"
    assert_never_tcb(run)
    run.revalidate()      # not even a whole new LOCK + appraisal notices
    assert_never_tcb(run)


def _challenge_not_ready_fired(run: AttackRun) -> None:
    code = SPDM_REQUEST_CODES["challenge"]
    assert code in run.platform.machine.device("victim").behaviour._not_ready_pending, \
        "CHALLENGE was never sent, so the RESPOND_IF_READY path is not exercised"


CASES: tuple[AttackCase, ...] = (
    AttackCase(Fault.WRONG_SIGNING_KEY, _signature_rejected),
    AttackCase(Fault.BROKEN_CHAIN_SIGNATURE, _broken_chain_rejected),
    AttackCase(Fault.UNKNOWN_ROOT, _chain_rejected("chain.anchor", reason="not pinned")),
    AttackCase(Fault.EXPIRED_CERT, _chain_rejected("chain.validity", reason="2026-05-31")),
    AttackCase(Fault.NOT_YET_VALID_CERT, _chain_rejected("chain.validity", reason="2026-07-01")),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _chain_rejected("chain.leaf.eku", reason="other SPDM"),
               {"flaw": "requester-only-eku"}, variant="requester-only-eku"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE,
               _chain_rejected("chain.leaf.key_usage", reason="keyCertSign=True"),
               {"flaw": "leaf-key-cert-sign"}, variant="leaf-key-cert-sign"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE,
               _chain_rejected("chain.leaf.key_usage", reason="digitalSignature=False"),
               {"flaw": "no-digital-signature"}, variant="no-digital-signature"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE,
               _chain_rejected("chain.leaf.basic_constraints", reason="not exactly 30 00"),
               {"flaw": "leaf-is-ca"}, variant="leaf-is-ca"),
    # The GPU negotiates SPDM 1.3, where leaf BasicConstraints are mandatory.
    AttackCase(Fault.LEAF_WITHOUT_PROFILE,
               _chain_rejected("chain.leaf.basic_constraints", reason="mandatory"),
               {"flaw": "no-basic-constraints"}, variant="no-basic-constraints"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _explicit_ca_false_rejected,
               {"flaw": "explicit-ca-false"}, variant="explicit-ca-false"),
    # Policy-required leaf profile (emulated.yaml: CMA SAN, DMTF EKU, DeviceCert model).
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _defence_claim("chain.leaf.cma_san"),
               variant="no-cma-san"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _defence_claim("chain.leaf.cma_san"),
               {"flaw": "wrong-cma-san"}, variant="wrong-cma-san"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _defence_claim("chain.leaf.eku"),
               {"flaw": "no-eku"}, variant="no-eku"),
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _defence_claim("chain.leaf.cert_model"),
               {"flaw": "no-spdm-extension"}, variant="no-spdm-extension"),
    AttackCase(Fault.BROKEN_CHAIN_SIGNATURE, _signature_check_names_it, variant="named"),
    # Found by the catalogue run and fixed in the TSMs (DIGESTS check, BUSY retry,
    # fresh measurements at LOCK, report read twice).
    AttackCase(Fault.DIGEST_MISMATCH, _never_tcb, variant="digests"),
    AttackCase(Fault.BUSY, _tdisp_busy_retried, {"protocol": "tdisp"}, variant="tdisp"),
    AttackCase(Fault.MEASUREMENTS_CHANGED_AFTER_LOCK, _new_firmware_refused),
    # The devsec TSM reads the report twice at LOCK; different answers -> EIO.
    AttackCase(Fault.REPORT_CHANGES_BETWEEN_FETCHES, _lock_fails(errno.EIO)),
    # The link TSM now runs CHALLENGE in its connection flow (DIGEST, CERT, CHAL, MEAS).
    AttackCase(Fault.NOT_READY, _challenge_not_ready_fired, variant="challenge"),
    AttackCase(Fault.NONCE_NOT_ECHOED, _signature_rejected),
    # DIGESTS (over the true chain) no longer match the delivered chain: the host's link
    # TSM refuses to connect, before any appraisal.
    AttackCase(Fault.DIGEST_MISMATCH, _connect_fails(errno.EIO), {"target": "root-hash"},
               variant="root-hash"),
    AttackCase(Fault.BUSY, _busy_fired(_GET_MEAS)),
    AttackCase(Fault.BUSY, _busy_fired(_GET_CERT), {"request": "get-certificate", "count": 8},
               variant="whole-budget"),
    AttackCase(Fault.BUSY, _connect_fails(errno.EAGAIN, again=False),
               {"request": "get-certificate", "count": 9}, variant="budget-exceeded"),
    AttackCase(Fault.BUSY, _connect_fails(errno.EAGAIN), {"count": 0}, variant="forever"),
    AttackCase(Fault.NOT_READY, _not_ready_answered(_GET_MEAS),
               {"request": "get-measurements"}, variant="get-measurements"),
    AttackCase(Fault.NOT_READY, _not_ready_answered(_KEY_EX), {"request": "key-exchange"},
               variant="key-exchange"),
    AttackCase(Fault.TRUNCATED_MESSAGE, _connect_fails(errno.EIO)),
    AttackCase(Fault.TRUNCATED_MESSAGE, _connect_fails(errno.EIO), {"request": "key-exchange"},
               variant="key-exchange"),
    AttackCase(Fault.TRUNCATED_MESSAGE, _lock_fails(errno.EIO),
               {"protocol": "tdisp", "request": "get-report"}, variant="tdisp-get-report"),
    AttackCase(Fault.TRUNCATED_MESSAGE, _lock_fails(errno.EIO),
               {"protocol": "tdisp", "request": "lock-interface"}, variant="tdisp-lock"),
    AttackCase(Fault.OVERSIZE_MESSAGE, _connect_fails(errno.EIO)),
    AttackCase(Fault.OVERSIZE_MESSAGE, _lock_fails(errno.EIO),
               {"protocol": "tdisp", "request": "get-report"}, variant="tdisp-get-report"),
    AttackCase(Fault.OVERSIZE_MESSAGE, _accept_fails(errno.EIO),
               {"protocol": "tdisp", "request": "start-interface"}, variant="tdisp-start"),
    AttackCase(Fault.FIRMWARE_DOWNGRADE, _downgrade_rejected("requirement:measurements_known"),
               {"version": "96.00.5c.00.01", "svn": 1}, variant="same-version-lower-svn"),
    AttackCase(Fault.FIRMWARE_DOWNGRADE,
               _downgrade_rejected("policy:cap[gpu-unknown-firmware]")),
    AttackCase(Fault.REPORT_OVERLAPPING_RANGES,
               _report_rejected("report.range_overlap", kernel_parser=True)),
    AttackCase(Fault.REPORT_OVERLAPPING_RANGES,
               _report_rejected("report.range_overlap", kernel_parser=True),
               model="devsec-accel", variant="two-function"),
    AttackCase(Fault.REPORT_RANGE_OUTSIDE_BAR,
               _report_rejected("report.range_in_bar", kernel_parser=True)),
    AttackCase(Fault.REPORT_MISSING_RANGE,
               _report_rejected("report.bar_coverage", kernel_parser=False)),
    AttackCase(Fault.REPORT_MISSING_RANGE,
               _report_rejected("report.bar_coverage", kernel_parser=False),
               model="devsec-accel", variant="two-function"),
    # LOCK_MSIX is requested, so a table shown as plain TEE memory leaves no MSI-X table
    # range: the msix_lock rule names it.
    AttackCase(Fault.REPORT_MSIX_AS_TEE, _report_rejected("report.msix_lock", kernel_parser=False)),
    AttackCase(Fault.WRONG_INTERFACE_ID, _lock_fails(errno.EIO)),
    AttackCase(Fault.WRONG_INTERFACE_ID, _lock_fails(errno.EIO), {"request": "get-version"},
               variant="get-version"),
    AttackCase(Fault.WRONG_INTERFACE_ID, _lock_fails(errno.EIO), {"request": "lock-interface"},
               variant="lock-interface"),
    AttackCase(Fault.WRONG_INTERFACE_ID, _accept_fails(errno.EIO),
               {"request": "start-interface"}, variant="start-interface"),
    AttackCase(Fault.WRONG_INTERFACE_ID, _state_query_rejected, {"request": "get-state"},
               variant="get-state"),
    AttackCase(Fault.ERROR_AT_STEP, _error_after_start),
    AttackCase(Fault.ERROR_AT_STEP, _error_before_start("lock"), {"step": "lock"},
               variant="lock"),
    AttackCase(Fault.ERROR_AT_STEP, _error_before_start("lock"), {"step": "report"},
               variant="report"),
    AttackCase(Fault.ERROR_AT_STEP, _error_before_start("accept"), {"step": "start"},
               variant="start"),
    AttackCase(Fault.REPEATED_START_NONCE, _repeated_nonce_refused),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _error_after_start),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _error_after_start, {"register": "bar1"},
               variant="bar1"),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _error_after_start, {"register": "command"},
               variant="command"),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _error_after_start,
               {"register": "msix-control"}, variant="msix-control"),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _error_before_start("lock"), {"step": "lock"},
               variant="lock"),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _ignored_write_caught_on_revalidation,
               {"device_ignores": True}, variant="device-ignores-revalidated"),
    AttackCase(Fault.IDE_KEY_LOSS, _error_after_start),
    AttackCase(Fault.IDE_KEY_LOSS, _error_before_start("lock"), {"step": "lock"},
               variant="lock"),
)
CASES_BY_ID = {c.id: c for c in CASES}
assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"


# -- documented defences the system does not show (findings for the lead) ----------------------


def _report_of(run: AttackRun) -> bytes:
    dump = run.platform.evidence_read(VICTIM, EvidenceType.REPORT.flag)
    report = dump.get(EvidenceType.REPORT)
    assert report
    return report


def _ignored_write_refused(run: AttackRun) -> None:
    dsm = run.platform.machine.device("victim")
    rid = Bdf.parse(VICTIM).requester_id
    original = run.platform.fleet.device("victim").device.pf0.bars[0].address
    assert dsm.functions[rid].bars[0].address != original, "the BAR was not moved"
    assert dsm.tdi_state(VICTIM) is TdiState.RUN
    assert_never_tcb(run)


def _profile_names_basic_constraints(run: AttackRun) -> None:
    assert_claim_fails(run, "chain.leaf.basic_constraints")
    assert_never_tcb(run, max_level=0)


FIXMES: tuple[AttackCase, ...] = (
    AttackCase(Fault.LEAF_WITHOUT_PROFILE, _profile_names_basic_constraints,
               {"flaw": "explicit-ca-false"}, variant="explicit-ca-false-named",
               reason="the leaf is refused by the X.509 parser (non-crypto chain.decode, "
                      "trust 1), not by the profile rule chain.leaf.basic_constraints"),
    AttackCase(Fault.CONFIG_WRITE_WHILE_LOCKED, _ignored_write_refused, {"device_ignores": True},
               variant="device-ignores",
               reason="an ignored config write raises no event the kernel or watch_once sees "
                      "(only CONFIG_WRITE, which the platform drops), so re-validation never "
                      "starts and the device stays at TCB with its BAR moved"),
)

COVERED = {c.fault for c in CASES} | {c.fault for c in FIXMES}


# -- tests --------------------------------------------------------------------------------------


def test_every_fault_has_a_test() -> None:
    assert set(CATALOGUE) == set(Fault)
    assert COVERED == set(Fault), f"faults without a test: {sorted(set(Fault) - COVERED)}"


def test_only_retry_faults_may_end_at_tcb() -> None:
    """The busy/not-ready cases expect the victim at TCB: that is only right for faults
    whose catalogue outcome is retry-succeeds."""
    retry = {f for f, info in CATALOGUE.items() if info.outcome is Outcome.RETRY_SUCCEEDS}
    assert retry == {Fault.BUSY, Fault.NOT_READY}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_is_caught(case: AttackCase) -> None:
    run = execute(case)
    assert_control_at_tcb(run)
    case.check(run)
    assert_control_at_tcb(run)   # nothing done to the victim touched the control device


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=c.reason),
                 id=f"fixme_{c.id}") for c in FIXMES])
def test_fixme(case: AttackCase) -> None:
    run = execute(case)
    assert_control_at_tcb(run)
    case.check(run)


# -- faults that act between steps: drive the hardware directly ---------------------------------


def watch_once(run: AttackRun) -> tuple[DeviceOutcome, ...]:
    return _watch_once(run.agent, DEVSEC_TSM)


def settle(run: AttackRun) -> None:
    """Let the platform feed pending hardware events to the kernel (the emulation's stand-in
    for the interrupt; sysfs reads alone do not poll, see test_emulated_platform)."""
    run.platform.poll_hardware()


def clean_run() -> AttackRun:
    """An attack run whose clean control device sits at TCB (its victim is irrelevant)."""
    return execute(CASES_BY_ID["wrong-signing-key-default"])


def check_error_in_run(run: AttackRun) -> None:
    """error-at-step "run" while the TDI already holds TCB trust: the kernel drops it to 0
    on the ERROR (trust-change event), and the watch re-validates the device."""
    assert_control_at_tcb(run)
    run.platform.machine.device("control").force_error(CONTROL, "test: spontaneous ERROR")
    settle(run)
    assert run.trust(CONTROL) == 0 and not run.in_run(CONTROL)
    dropped = watch_once(run)
    assert [o.device for o in dropped] == [CONTROL]
    steps = [e.step for e in run.agent.journal.for_device(CONTROL)]
    assert steps[-7:] == ["revalidate", "unlock", "lock", "evidence", "appraise", "accept",
                          "trust"]
    assert dropped[0].kernel_level == run.tcb   # the fault was one-shot; fresh evidence passed


def check_ide_key_loss_in_run(run: AttackRun) -> None:
    """ide-key-loss at "run" on a TDI holding TCB trust: trust 0 at once; re-validation
    cannot LOCK again (the stream is insecure) - a reconnect is needed."""
    assert_control_at_tcb(run)
    dsm = run.platform.machine.device("control")
    tdi = dsm.tdi(CONTROL)
    assert tdi.lock is not None
    dsm.lose_ide_keys(tdi.lock.stream_id)
    settle(run)
    assert run.trust(CONTROL) == 0 and not run.in_run(CONTROL)
    again = watch_once(run)
    assert [o.device for o in again] == [CONTROL]
    assert again[0].error.startswith("lock failed") and again[0].kernel_level == 0
    assert not run.in_run(CONTROL)


def check_config_write_in_run(run: AttackRun) -> None:
    """config-write-while-locked at "run" (command register) on a TDI holding TCB trust."""
    assert_control_at_tcb(run)
    run.platform.machine.device("control").clear_command_bits(CONTROL)
    settle(run)
    assert run.trust(CONTROL) == 0 and not run.in_run(CONTROL)
    events = [e for e in run.platform.poll_events() if e.device == CONTROL]
    assert any(e.kind == "trust-change" and e.detail.startswith("4->0") for e in events), events


def test_error_in_run_drops_granted_trust() -> None:
    check_error_in_run(clean_run())


def test_ide_key_loss_in_run_drops_trust_until_reconnect() -> None:
    check_ide_key_loss_in_run(clean_run())


def test_config_write_in_run_drops_trust() -> None:
    check_config_write_in_run(clean_run())
