# SPDX-License-Identifier: BSD-3-Clause
"""The fault and attack catalogue: named misbehaviours a scenario can give a device.

Each entry says where it acts, which parameters it takes, and what a *correct* verifier,
TSM or kernel must do about it (the defence tests and the checker hold the system to).
This module only defines the catalogue; the PKI faults are realised in ``pki.py`` and the
protocol faults by the DSM responders (``hw/dsm``), which read :class:`FaultSpec` values.

This is a declarative catalogue: it may exceed the usual module length (STYLE 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "CATALOGUE",
    "ERROR_STEPS",
    "Fault",
    "FaultInfo",
    "FaultSpec",
    "Layer",
    "Outcome",
    "ParamSpec",
]


class Layer(StrEnum):
    """Where a fault acts."""

    PKI = "pki"
    SPDM = "spdm"
    MEASUREMENTS = "measurements"
    TDISP = "tdisp"
    IDE_KM = "ide-km"
    CONFIG_SPACE = "config-space"


class Outcome(StrEnum):
    """What a correct system ends up doing (the observable defence)."""

    CHAIN_REJECTED = "chain-rejected"
    SIGNATURE_REJECTED = "signature-rejected"
    EVIDENCE_REJECTED = "evidence-rejected"
    MEASUREMENT_REJECTED = "measurement-rejected"
    REPORT_REJECTED = "report-rejected"
    PROTOCOL_ERROR = "protocol-error"
    TRUST_DROPPED = "trust-dropped"
    RETRY_SUCCEEDS = "retry-succeeds"


class Fault(StrEnum):
    """Catalogue names (the scenario spelling)."""

    WRONG_SIGNING_KEY = "wrong-signing-key"
    BROKEN_CHAIN_SIGNATURE = "broken-chain-signature"
    UNKNOWN_ROOT = "unknown-root"
    EXPIRED_CERT = "expired-cert"
    NOT_YET_VALID_CERT = "not-yet-valid-cert"
    LEAF_WITHOUT_PROFILE = "leaf-without-profile"
    NONCE_NOT_ECHOED = "nonce-not-echoed"
    DIGEST_MISMATCH = "digest-mismatch"
    BUSY = "busy"
    NOT_READY = "not-ready"
    TRUNCATED_MESSAGE = "truncated-message"
    OVERSIZE_MESSAGE = "oversize-message"
    MEASUREMENTS_CHANGED_AFTER_LOCK = "measurements-changed-after-lock"
    FIRMWARE_DOWNGRADE = "firmware-downgrade"
    REPORT_OVERLAPPING_RANGES = "report-overlapping-ranges"
    REPORT_RANGE_OUTSIDE_BAR = "report-range-outside-bar"
    REPORT_MISSING_RANGE = "report-missing-range"
    REPORT_MSIX_AS_TEE = "report-msix-as-tee"
    REPORT_CHANGES_BETWEEN_FETCHES = "report-changes-between-fetches"
    WRONG_INTERFACE_ID = "wrong-interface-id"
    ERROR_AT_STEP = "error-at-step"
    REPEATED_START_NONCE = "repeated-start-nonce"
    CONFIG_WRITE_WHILE_LOCKED = "config-write-while-locked"
    IDE_KEY_LOSS = "ide-key-loss"


# Steps at which a device can fall into (or be pushed into) TDISP ERROR.
ERROR_STEPS = ("lock", "report", "start", "run")
_SPDM_REQUESTS = ("get-version", "get-capabilities", "negotiate-algorithms", "get-digests",
                  "get-certificate", "challenge", "get-measurements", "key-exchange", "finish")
_TDISP_REQUESTS = ("get-version", "get-capabilities", "lock-interface", "get-report",
                   "get-state", "start-interface", "stop-interface")
_LEAF_FLAWS = ("no-eku", "requester-only-eku", "no-spdm-extension", "no-cma-san",
               "wrong-cma-san", "leaf-key-cert-sign", "no-digital-signature", "leaf-is-ca",
               "explicit-ca-false", "no-basic-constraints")
_ParamValue = int | str | bool


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One fault parameter: its type, default and (for strings) allowed values."""

    name: str
    kind: type
    default: _ParamValue
    choices: tuple[str, ...] = ()
    minimum: int = 0

    def check(self, value: object) -> _ParamValue:
        """``value`` if acceptable, else ValueError naming the fix."""
        if self.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"parameter {self.name!r} must be an integer")
        if self.kind is bool and not isinstance(value, bool):
            raise ValueError(f"parameter {self.name!r} must be true or false")
        if self.kind is str and not isinstance(value, str):
            raise ValueError(f"parameter {self.name!r} must be a string")
        if self.choices and value not in self.choices:
            raise ValueError(f"parameter {self.name!r} must be one of {', '.join(self.choices)}")
        if self.kind is int and int(value) < self.minimum:  # type: ignore[call-overload]
            raise ValueError(f"parameter {self.name!r} must be >= {self.minimum}")
        return value  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class FaultInfo:
    """Catalogue entry: where a fault acts, what it does, and the defence it demands."""

    fault: Fault
    layer: Layer
    description: str
    defence: str
    outcome: Outcome
    params: tuple[ParamSpec, ...] = ()

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _p(name: str, kind: type, default: _ParamValue, *choices: str, minimum: int = 0) -> ParamSpec:
    return ParamSpec(name, kind, default, tuple(choices), minimum)


_ENTRIES = (
    FaultInfo(Fault.WRONG_SIGNING_KEY, Layer.SPDM,
              "SPDM signatures (CHALLENGE_AUTH, MEASUREMENTS, KEY_EXCHANGE_RSP) are made with "
              "a key other than the one in the slot-0 leaf certificate.",
              "verifier rejects the signature: it does not verify under the leaf public key",
              Outcome.SIGNATURE_REJECTED),
    FaultInfo(Fault.BROKEN_CHAIN_SIGNATURE, Layer.PKI,
              "The leaf names the real intermediate as issuer but was signed by another key.",
              "verifier rejects the chain: leaf signature does not verify under its issuer",
              Outcome.CHAIN_REJECTED),
    FaultInfo(Fault.UNKNOWN_ROOT, Layer.PKI,
              "The chain ends in a self-signed root with the vendor's name but a key that is "
              "not in the trust store (a cloned or counterfeit device).",
              "verifier rejects the chain: root not among the trust anchors",
              Outcome.CHAIN_REJECTED),
    FaultInfo(Fault.EXPIRED_CERT, Layer.PKI,
              "The leaf's notAfter lies before the scenario clock.",
              "verifier rejects the chain: leaf expired at the appraisal time",
              Outcome.CHAIN_REJECTED),
    FaultInfo(Fault.NOT_YET_VALID_CERT, Layer.PKI,
              "The leaf's notBefore lies after the scenario clock.",
              "verifier rejects the chain: leaf not yet valid at the appraisal time",
              Outcome.CHAIN_REJECTED),
    FaultInfo(Fault.LEAF_WITHOUT_PROFILE, Layer.PKI,
              "The leaf violates the SPDM/CMA profile in one way (``flaw``): missing or "
              "requester-only EKU, no SPDM extension, no or wrong 2.23.147 SAN, keyCertSign "
              "or CA on the leaf, no digitalSignature, BasicConstraints not encoded as 30 00.",
              "verifier rejects the leaf: profile check names the violated rule",
              Outcome.CHAIN_REJECTED,
              (_p("flaw", str, "no-cma-san", *_LEAF_FLAWS),)),
    FaultInfo(Fault.NONCE_NOT_ECHOED, Layer.SPDM,
              "The signed MEASUREMENTS / CHALLENGE_AUTH replays an earlier response, so it is "
              "bound to a stale requester nonce instead of the fresh one.",
              "verifier rejects the response: signature over the fresh transcript fails "
              "(freshness), evidence not accepted",
              Outcome.SIGNATURE_REJECTED),
    FaultInfo(Fault.DIGEST_MISMATCH, Layer.SPDM,
              "A digest the device reports does not match the object it delivers: DIGESTS "
              "vs the certificate chain, or the chain RootHash vs the root certificate.",
              "verifier recomputes the digest over the received bytes and rejects",
              Outcome.EVIDENCE_REJECTED,
              (_p("target", str, "digests", "digests", "root-hash"),)),
    FaultInfo(Fault.BUSY, Layer.SPDM,
              "The responder answers ``request`` with ERROR(Busy) ``count`` times before "
              "answering normally (count 0 = forever).",
              "requester retries with a bounded budget; gives up with a protocol error when "
              "the budget runs out, never accepts on a half-finished exchange",
              Outcome.RETRY_SUCCEEDS,
              (_p("request", str, "get-measurements", *_SPDM_REQUESTS),
               _p("count", int, 2), _p("protocol", str, "spdm", "spdm", "tdisp"))),
    FaultInfo(Fault.NOT_READY, Layer.SPDM,
              "The responder answers ``request`` with ERROR(ResponseNotReady); the response "
              "is available through RESPOND_IF_READY.",
              "requester waits as told and sends RESPOND_IF_READY with the right token",
              Outcome.RETRY_SUCCEEDS,
              (_p("request", str, "challenge", *_SPDM_REQUESTS),)),
    FaultInfo(Fault.TRUNCATED_MESSAGE, Layer.SPDM,
              "The response to ``request`` loses its last ``bytes`` bytes.",
              "decoder raises WireError; the exchange fails closed",
              Outcome.PROTOCOL_ERROR,
              (_p("protocol", str, "spdm", "spdm", "tdisp"),
               _p("request", str, "get-measurements", *_SPDM_REQUESTS, *_TDISP_REQUESTS),
               _p("bytes", int, 4, minimum=1))),
    FaultInfo(Fault.OVERSIZE_MESSAGE, Layer.SPDM,
              "The response to ``request`` carries ``bytes`` extra trailing bytes.",
              "decoder rejects trailing bytes (strict decoding); the exchange fails closed",
              Outcome.PROTOCOL_ERROR,
              (_p("protocol", str, "spdm", "spdm", "tdisp"),
               _p("request", str, "get-measurements", *_SPDM_REQUESTS, *_TDISP_REQUESTS),
               _p("bytes", int, 16, minimum=1))),
    FaultInfo(Fault.MEASUREMENTS_CHANGED_AFTER_LOCK, Layer.MEASUREMENTS,
              "After LOCK the device runs different firmware (``version``/``svn``) and "
              "reports new measurements without entering ERROR.",
              "agent re-reads evidence before accept, sees the evidence generation moved "
              "or the measurements differ from what was appraised, and refuses accept",
              Outcome.EVIDENCE_REJECTED,
              (_p("version", str, "9.9.9"), _p("svn", int, 0))),
    FaultInfo(Fault.FIRMWARE_DOWNGRADE, Layer.MEASUREMENTS,
              "The device runs an older firmware with a lower SVN than the reference "
              "minimum for its model.",
              "appraiser rejects the SVN measurement (below the minimum); trust stays low",
              Outcome.MEASUREMENT_REJECTED,
              (_p("version", str, "0.9.0"), _p("svn", int, 1))),
    FaultInfo(Fault.REPORT_OVERLAPPING_RANGES, Layer.TDISP,
              "The interface report contains two MMIO ranges that overlap.",
              "report appraisal and the kernel's report parser reject the whole report",
              Outcome.REPORT_REJECTED),
    FaultInfo(Fault.REPORT_RANGE_OUTSIDE_BAR, Layer.TDISP,
              "A report range extends past the end of its BAR.",
              "report appraisal and kernel parser reject: in-BAR offset + size > BAR size",
              Outcome.REPORT_REJECTED),
    FaultInfo(Fault.REPORT_MISSING_RANGE, Layer.TDISP,
              "A TEE range of a BAR is absent from the report (not an MSI-X hole).",
              "report appraisal rejects: every non-MSI-X BAR page must be reported",
              Outcome.REPORT_REJECTED),
    FaultInfo(Fault.REPORT_MSIX_AS_TEE, Layer.TDISP,
              "The MSI-X table pages are reported as ordinary TEE memory (no MSI-X "
              "attribute), so the guest would map the table encrypted.",
              "report appraisal rejects a range covering the MSI-X table without the MSI-X "
              "attribute",
              Outcome.REPORT_REJECTED),
    FaultInfo(Fault.REPORT_CHANGES_BETWEEN_FETCHES, Layer.TDISP,
              "Two GET_DEVICE_INTERFACE_REPORT reads of the same locked TDI return different "
              "reports.",
              "verifier compares reports (or binds the report digest) and rejects",
              Outcome.REPORT_REJECTED),
    FaultInfo(Fault.WRONG_INTERFACE_ID, Layer.TDISP,
              "TDISP responses carry an INTERFACE_ID other than the request's.",
              "requester checks the echoed INTERFACE_ID and rejects the response",
              Outcome.PROTOCOL_ERROR,
              (_p("request", str, "get-report", *_TDISP_REQUESTS),)),
    FaultInfo(Fault.ERROR_AT_STEP, Layer.TDISP,
              "The TDI drops to ERROR at ``step`` (lock/report/start requests, or "
              "spontaneously while in RUN).",
              "kernel drops trust to 0 (IOMMU blocks DMA) on ERROR; agent never accepts a "
              "TDI that is not in RUN",
              Outcome.TRUST_DROPPED,
              (_p("step", str, "run", *ERROR_STEPS),)),
    FaultInfo(Fault.REPEATED_START_NONCE, Layer.TDISP,
              "LOCK_INTERFACE_RESPONSE returns the same START_INTERFACE_NONCE every time "
              "(no entropy).",
              "TSM/verifier rejects a nonce seen before for the same TDI",
              Outcome.PROTOCOL_ERROR),
    FaultInfo(Fault.CONFIG_WRITE_WHILE_LOCKED, Layer.CONFIG_SPACE,
              "At ``step`` the host rewrites a locked register (``register``) of the TDI. A "
              "correct device moves the TDI to ERROR; with ``device_ignores`` it stays in "
              "its state with the changed register.",
              "kernel drops trust to 0 when the TDI enters ERROR; if the device ignores the "
              "write, re-validation sees the report/BAR mismatch and drops trust",
              Outcome.TRUST_DROPPED,
              (_p("register", str, "bar0", "bar0", "bar1", "bar2", "command", "msix-control"),
               _p("step", str, "run", "lock", "run"), _p("device_ignores", bool, False))),
    FaultInfo(Fault.IDE_KEY_LOSS, Layer.IDE_KM,
              "At ``step`` the device loses its IDE keys: the stream goes Insecure and bound "
              "TDIs enter ERROR.",
              "kernel drops trust to 0 for every TDI bound to the stream; reconnect needed",
              Outcome.TRUST_DROPPED,
              (_p("step", str, "run", "lock", "run"),)),
)

CATALOGUE: Mapping[Fault, FaultInfo] = MappingProxyType({e.fault: e for e in _ENTRIES})


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A fault selected for a device, with every parameter resolved (defaults filled)."""

    fault: Fault
    params: tuple[tuple[str, _ParamValue], ...] = ()

    def __post_init__(self) -> None:
        info = CATALOGUE[Fault(self.fault)]
        names = [name for name, _ in self.params]
        if names != sorted(names) or len(set(names)) != len(names):
            raise ValueError("FaultSpec params must be sorted and unique; use FaultSpec.of")
        for name, value in self.params:
            info.param(name).check(value)

    @classmethod
    def of(cls, fault: Fault | str, **params: _ParamValue) -> FaultSpec:
        """Validate ``params`` against the catalogue and fill in defaults."""
        try:
            fault = Fault(fault)
        except ValueError:
            raise ValueError(f"unknown fault {fault!r}; known: "
                             f"{', '.join(f.value for f in Fault)}") from None
        info = CATALOGUE[fault]
        known = {p.name for p in info.params}
        unknown = sorted(set(params) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise ValueError(f"fault {fault.value!r} has no parameter {unknown[0]!r} "
                             f"(allowed: {allowed})")
        resolved = {p.name: p.check(params.get(p.name, p.default)) for p in info.params}
        return cls(fault, tuple(sorted(resolved.items())))

    @property
    def info(self) -> FaultInfo:
        return CATALOGUE[self.fault]

    def param(self, name: str) -> _ParamValue:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(f"fault {self.fault.value!r} has no parameter {name!r}")

    def as_dict(self) -> dict[str, object]:
        """Scenario form: ``{"fault": name, "params": {...}}`` (params omitted when empty)."""
        out: dict[str, object] = {"fault": self.fault.value}
        if self.params:
            out["params"] = dict(self.params)
        return out
