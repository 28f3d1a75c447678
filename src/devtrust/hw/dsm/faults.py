# SPDX-License-Identifier: BSD-3-Clause
"""Behaviour of the fault catalogue: turn :class:`~devtrust.hw.faults.FaultSpec` values into
the hooks of one DSM.

Where each fault acts (the catalogue itself, with the defence each demands, is
:mod:`devtrust.hw.faults`):

* PKI faults (wrong signing key, broken chain signature, unknown root, expired /
  not-yet-valid leaf, leaf without profile) and FIRMWARE_DOWNGRADE are realised when the
  fleet is built (:mod:`devtrust.hw.fleet`: identity and initial measurements);
* MEASUREMENTS_CHANGED_AFTER_LOCK switches to the fleet's ``measurements_after_lock``
  right after LOCK, without ERROR;
* everything else becomes a :class:`~devtrust.hw.dsm.behaviour.DsmBehaviour` knob or a
  step action: :func:`behaviour_for`.
"""

from __future__ import annotations

from collections.abc import Iterable

from devtrust.hw.dsm.behaviour import DsmBehaviour, ReportFlaw, StepAction, WireMangle
from devtrust.hw.dsm.tdi import Tdi
from devtrust.hw.faults import Fault, FaultSpec
from devtrust.hw.measurements import MeasurementSet
from devtrust.wire.tdisp.header import TdispRequest

__all__ = ["SPDM_REQUEST_CODES", "TDISP_REQUEST_CODES", "behaviour_for"]

SPDM_REQUEST_CODES = {
    "get-version": 0x84, "get-capabilities": 0xE1, "negotiate-algorithms": 0xE3,
    "get-digests": 0x81, "get-certificate": 0x82, "challenge": 0x83,
    "get-measurements": 0xE0, "key-exchange": 0xE4, "finish": 0xE5,
}
TDISP_REQUEST_CODES = {
    "get-version": TdispRequest.GET_TDISP_VERSION,
    "get-capabilities": TdispRequest.GET_TDISP_CAPABILITIES,
    "lock-interface": TdispRequest.LOCK_INTERFACE_REQUEST,
    "get-report": TdispRequest.GET_DEVICE_INTERFACE_REPORT,
    "get-state": TdispRequest.GET_DEVICE_INTERFACE_STATE,
    "start-interface": TdispRequest.START_INTERFACE_REQUEST,
    "stop-interface": TdispRequest.STOP_INTERFACE_REQUEST,
}
_REPORT_FLAWS = {
    Fault.REPORT_OVERLAPPING_RANGES: ReportFlaw.OVERLAP,
    Fault.REPORT_RANGE_OUTSIDE_BAR: ReportFlaw.OUTSIDE_BAR,
    Fault.REPORT_MISSING_RANGE: ReportFlaw.MISSING_RANGE,
    Fault.REPORT_MSIX_AS_TEE: ReportFlaw.MSIX_AS_TEE,
}

def _request(protocol: str, name: str) -> int:
    table: dict[str, int] = dict(SPDM_REQUEST_CODES if protocol == "spdm"
                                 else TDISP_REQUEST_CODES)
    if name not in table:
        raise ValueError(f"request {name!r} is not a {protocol} request; "
                         f"use one of {', '.join(table)}")
    return table[name]


def behaviour_for(specs: Iterable[FaultSpec], *,
                  after_lock: MeasurementSet | None = None) -> DsmBehaviour:
    """The DSM behaviour realising the protocol-level faults in ``specs``.

    ``after_lock`` is the measurement set the measurements-changed-after-lock fault
    switches to (built by the fleet).
    """
    b = DsmBehaviour()
    steps: dict[str, list[StepAction]] = {}
    for spec in specs:
        fault = spec.fault
        if fault is Fault.BUSY:
            if spec.param("protocol") == "tdisp":
                b.tdisp_busy = int(spec.param("count"))
            else:
                b.spdm_busy[_request("spdm", str(spec.param("request")))] = int(
                    spec.param("count"))
        elif fault is Fault.NOT_READY:
            b.spdm_not_ready |= {_request("spdm", str(spec.param("request")))}
        elif fault in (Fault.TRUNCATED_MESSAGE, Fault.OVERSIZE_MESSAGE):
            n = int(spec.param("bytes"))
            mangle = WireMangle(truncate=n) if fault is Fault.TRUNCATED_MESSAGE \
                else WireMangle(oversize=n)
            protocol = str(spec.param("protocol"))
            code = _request(protocol, str(spec.param("request")))
            if protocol == "tdisp":
                b.tdisp_mangle[TdispRequest(code)] = mangle
            else:
                b.spdm_mangle[code] = mangle
        elif fault is Fault.NONCE_NOT_ECHOED:
            b.stale_nonce = True
        elif fault is Fault.DIGEST_MISMATCH:
            b.digest_mismatch = str(spec.param("target"))
        elif fault in _REPORT_FLAWS:
            b.report_flaws |= {_REPORT_FLAWS[fault]}
        elif fault is Fault.REPORT_CHANGES_BETWEEN_FETCHES:
            b.report_changes_between_fetches = True
        elif fault is Fault.WRONG_INTERFACE_ID:
            b.wrong_interface_id |= {TdispRequest(_request("tdisp", str(spec.param("request"))))}
        elif fault is Fault.REPEATED_START_NONCE:
            b.repeated_nonce = True
        elif fault is Fault.ERROR_AT_STEP:
            steps.setdefault(str(spec.param("step")), []).append(_error_action)
        elif fault is Fault.CONFIG_WRITE_WHILE_LOCKED:
            b.ignores_config = bool(spec.param("device_ignores"))
            steps.setdefault(str(spec.param("step")), []).append(
                _config_write_action(str(spec.param("register"))))
        elif fault is Fault.IDE_KEY_LOSS:
            steps.setdefault(str(spec.param("step")), []).append(_key_loss_action)
        elif fault is Fault.MEASUREMENTS_CHANGED_AFTER_LOCK and after_lock is not None:
            steps.setdefault("lock", []).append(_silent_update_action(after_lock))
    b.steps = {step: tuple(actions) for step, actions in steps.items()}
    return b


def _error_action(device: object, tdi: Tdi) -> None:
    from devtrust.hw.dsm.device import DsmDevice

    assert isinstance(device, DsmDevice)
    device.force_error(device.bdf_of(tdi.function_id.requester_id), "error-at-step fault")


def _key_loss_action(device: object, tdi: Tdi) -> None:
    from devtrust.hw.dsm.device import DsmDevice

    assert isinstance(device, DsmDevice)
    device.lose_ide_keys(tdi.lock.stream_id if tdi.lock else None)


def _config_write_action(register: str) -> StepAction:
    def act(device: object, tdi: Tdi) -> None:
        from devtrust.hw.dsm.device import CMD_BUS_MASTER, DsmDevice

        assert isinstance(device, DsmDevice)
        bdf = device.bdf_of(tdi.function_id.requester_id)
        if register == "command":
            device.clear_command_bits(bdf, CMD_BUS_MASTER)
        elif register == "msix-control":
            device.config_write(bdf, 0x82, 0x4000, 2)  # set the MSI-X Function Mask bit
        else:
            fn = device.functions[tdi.function_id.requester_id]
            bar = fn.bar(int(register[3:])) or (fn.bars[0] if fn.bars else None)
            if bar is None:
                return
            # Move the BAR by its own size (still naturally aligned).
            device.move_bar(bdf, bar.index, bar.address + bar.size)
    return act


def _silent_update_action(after: MeasurementSet) -> StepAction:
    def act(device: object, tdi: Tdi) -> None:
        from devtrust.hw.dsm.device import DsmDevice

        assert isinstance(device, DsmDevice)
        device.measurements = after  # new firmware, no ERROR, no event: the fault
    return act
