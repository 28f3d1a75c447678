# SPDX-License-Identifier: BSD-3-Clause
"""The acceptance flow: discover, lock (or connect), gather, appraise, accept, set trust.

The agent only talks to a :class:`~devtrust.platform.base.Platform` - sysfs writes
and the ``pci-tsm`` evidence dump - so the same code drives the emulated platform
and a real kernel. Every step is journaled with the kernel's errno; a step that
fails leaves the device at the lowest level the failure allows (fail closed).
"""

from __future__ import annotations

import errno as errno_mod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from devtrust import __version__
from devtrust.agent.facts import DeviceFacts, FactsError, read_facts
from devtrust.agent.journal import Journal
from devtrust.appraise.bundle import EvidenceBundle
from devtrust.appraise.engine import Appraiser
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.report_check import LockParams
from devtrust.appraise.results import AppraisalResult
from devtrust.platform.base import PCI_DEVICES, TSM_CLASS, EvidenceDump, Platform
from devtrust.wire.evidence import (
    EVIDENCE_TYPE_FLAG_MASK,
    EvidenceObject,
    EvidenceSet,
    EvidenceType,
)

__all__ = ["AcceptanceAgent", "DeviceOutcome", "map_level"]


def map_level(level: int, policy_levels: int, kernel_levels: int) -> int:
    """Translate a policy level into the kernel's level set (trust-model.md §2.4)."""
    if policy_levels == kernel_levels:
        return level
    if policy_levels == 5:      # 0 1 2 3(Link) 4(TCB) -> 0 1 2 2 3
        return (0, 1, 2, 2, 3)[level]
    return (0, 1, 2, 4)[level]  # 4-level policy on a 5-level kernel


@dataclass(frozen=True, slots=True)
class DeviceOutcome:
    """What happened to one device: the appraisal and what the kernel now says."""

    device: str
    mode: str                      # "devsec" or "link"
    result: AppraisalResult | None
    decided_level: int             # in the policy's level set
    kernel_level: int | None       # read back from ``trust`` (None: no trust attribute)
    accepted: bool                 # ``tsm/accept`` reads 1 (device in RUN)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class AcceptanceAgent:
    """Drives every TSM-capable device of a platform through the acceptance flow."""

    def __init__(self, platform: Platform, appraiser: Appraiser, *,
                 clock: Callable[[], datetime], journal: Journal | None = None,
                 kernel_levels: int = 5, lock_params: LockParams | None = None,
                 run_via: str = "accept", bind_generation: str = "none",
                 bundle_sink: Callable[[EvidenceBundle], None] | None = None) -> None:
        """``run_via``: "accept" (tsm/accept drives RUN) or "trust" (the trust write does,
        design B2). ``bind_generation``: "none", "accept" (T1: generation written with
        accept/trust) or "validate" (T2: a validate command records it first)."""
        self.platform = platform
        self.appraiser = appraiser
        self.clock = clock
        self.journal = journal or Journal()
        self.kernel_levels = kernel_levels
        self.lock_params = lock_params
        self.run_via = run_via
        self.bind_generation = bind_generation
        self.bundle_sink = bundle_sink   # e.g. save every bundle for offline re-appraisal

    # -- discovery ----------------------------------------------------------------------------
    def tsms(self) -> dict[str, str]:
        """TSM name -> ``pci_mode`` ("link" or "devsec")."""
        out = {}
        for name in self.platform.listdir(TSM_CLASS):
            try:
                out[name] = self.platform.read(f"{TSM_CLASS}/{name}/pci_mode")
            except OSError:
                continue
        return out

    def devices(self, mode: str) -> tuple[str, ...]:
        """Functions whose ``tsm/`` directory offers the operations of ``mode``."""
        attr = "lock" if mode == "devsec" else "connect"
        return tuple(d for d in self.platform.listdir(PCI_DEVICES)
                     if self.platform.exists(f"{PCI_DEVICES}/{d}/tsm/{attr}"))

    def run(self) -> tuple[DeviceOutcome, ...]:
        """Accept every device the first TSM of each mode can handle (devsec first)."""
        tsms = self.tsms()
        outcomes: list[DeviceOutcome] = []
        for mode in ("devsec", "link"):
            owner = next((t for t, m in sorted(tsms.items()) if m == mode), None)
            if owner is None:
                continue
            for device in self.devices(mode):
                outcomes.append(self.accept_device(device, owner, mode))
        return tuple(outcomes)

    # -- one device -----------------------------------------------------------------------------
    def _write(self, device: str, path: str, value: str, step: str) -> int:
        try:
            self.platform.write(path, value)
        except OSError as exc:
            code = exc.errno or errno_mod.EIO
            self.journal.add(device, step, errno=code, detail=f"{value!r}: {exc.strerror}")
            return code
        self.journal.add(device, step, detail=repr(value))
        return 0

    def _read(self, path: str) -> str | None:
        try:
            return self.platform.read(path)
        except OSError:
            return None

    def _dump(self, device: str) -> EvidenceSet:
        blobs = self.platform.evidence_read(device, EVIDENCE_TYPE_FLAG_MASK)
        digests: EvidenceDump | None
        try:
            digests = self.platform.evidence_read(device, EVIDENCE_TYPE_FLAG_MASK, digest=True)
        except OSError:
            digests = None
        objects = []
        for kind in EvidenceType:
            digest = digests.get(kind) if digests is not None else b""
            objects.append(EvidenceObject(blobs.get(kind), digest or None))
        generation = blobs.generation if blobs.generation is not None else 1
        self.journal.add(device, "evidence", detail=f"generation {generation}, "
                         f"{sum(1 for o in objects if o.data)} object(s), "
                         f"{sum(1 for o in objects if o.digest)} TSM digest(s)")
        return EvidenceSet(generation=generation, objects=tuple(objects))

    def _generation_now(self, device: str) -> int | None:
        try:
            return self.platform.evidence_read(device, EvidenceType.REPORT.flag).generation
        except OSError:
            return None

    def _fail(self, device: str, mode: str, error: str) -> DeviceOutcome:
        self.journal.add(device, "failed", detail=error)
        return DeviceOutcome(device, mode, None, 0, self._kernel_level(device),
                             self._accepted(device), error)

    def _kernel_level(self, device: str) -> int | None:
        text = self._read(f"{PCI_DEVICES}/{device}/trust")
        return int(text) if text is not None and text.strip().isdigit() else None

    def _accepted(self, device: str) -> bool:
        """In RUN: ``tsm/accept`` reads 1, or (design B2, where the trust write drives RUN
        and ``cc_accepted`` is not used) the kernel holds the device at its top level."""
        if self._read(f"{PCI_DEVICES}/{device}/tsm/accept") == "1":
            return True
        return self._kernel_level(device) == self.kernel_levels - 1

    def accept_device(self, device: str, tsm: str, mode: str) -> DeviceOutcome:
        """Run the flow for one device with TSM ``tsm`` in ``mode``."""
        try:
            facts = read_facts(self.platform, device)
        except (FactsError, OSError) as exc:
            return self._fail(device, mode, f"cannot read device facts: {exc}")
        driver = self._release_driver(device)
        outcome = self._flow(device, tsm, mode, facts)
        if driver is not None and (outcome.kernel_level or 0) > 0 and not outcome.error:
            self._write(device, f"/sys/bus/pci/drivers/{driver}/bind", device, "bind")
        return outcome

    def _release_driver(self, device: str) -> str | None:
        """A driver already bound (built-in autoprobe) blocks lock and trust changes: the
        agent, not the boot default, decides, so it unbinds first and rebinds after."""
        link = self._read(f"{PCI_DEVICES}/{device}/driver")
        if not link:
            return None
        driver = link.rsplit("/", 1)[-1]
        code = self._write(device, f"/sys/bus/pci/drivers/{driver}/unbind", device, "unbind")
        return driver if code == 0 else None

    def _flow(self, device: str, tsm: str, mode: str, facts: DeviceFacts) -> DeviceOutcome:
        tsm_dir = f"{PCI_DEVICES}/{device}/tsm"
        if mode == "devsec":
            if self._read(f"{tsm_dir}/lock") == tsm:
                # Re-validation: a device left RUN (ERROR) or was locked before; start over.
                self._write(device, f"{tsm_dir}/unlock", tsm, "unlock")
            code = self._write(device, f"{tsm_dir}/lock", tsm, "lock")
        else:
            code = self._write(device, f"{tsm_dir}/connect", tsm, "connect")
        if code:
            return self._fail(device, mode, f"{'lock' if mode == 'devsec' else 'connect'} "
                              f"failed: errno {code}")
        try:
            evidence = self._dump(device)
        except OSError as exc:
            return self._fail(device, mode, f"evidence dump failed: {exc}")
        result = self._appraise(device, facts, tsm, mode, evidence)
        if result is None:
            return self._fail(device, mode, "evidence could not be appraised")
        return self._apply(device, tsm, mode, result)

    def _appraise(self, device: str, facts: DeviceFacts, tsm: str, mode: str,
                  evidence: EvidenceSet) -> AppraisalResult | None:
        params = self.platform.lock_params(device) if mode == "devsec" else None
        lock = LockParams(*params) if params is not None else self.lock_params
        bundle = EvidenceBundle(
            device_name=device, identity=facts.identity, platform=self.platform.name,
            tsm_name=tsm, tsm_kind="devsec" if mode == "devsec" else "link",
            evidence=evidence, nonce=b"", collected_at=self.clock(), tool_version=__version__,
            bars=facts.bars, msix=facts.msix, lock=lock,
            tdisp_state="locked" if mode == "devsec" else "none",
            link_protected=mode == "link")
        if self.bundle_sink is not None:
            self.bundle_sink(bundle)
        try:
            result = self.appraiser.appraise(bundle, at=self.clock(),
                                             generation_now=self._generation_now(device))
        except AppraisalInputError as exc:
            self.journal.add(device, "appraise", errno=errno_mod.EINVAL, detail=str(exc))
            return None
        self.journal.add(device, "appraise", detail=f"level {result.trust_level} "
                         f"(target {result.target_level}, capped by {result.capped_by.source})")
        return result

    def _apply(self, device: str, tsm: str, mode: str,
               result: AppraisalResult) -> DeviceOutcome:
        tsm_dir = f"{PCI_DEVICES}/{device}/tsm"
        top = result.level_set - 1
        level = map_level(result.trust_level, result.level_set, self.kernel_levels)
        has_trust = self.platform.exists(f"{PCI_DEVICES}/{device}/trust")
        # T1 spelling (V10): the generation the relying party validated rides along.
        suffix = (f" generation={result.evidence_generation}"
                  if self.bind_generation == "accept" else "")
        if self.bind_generation == "validate":
            self._validate(device, result.evidence_generation)
        # Without a trust attribute (v2), RUN means full private access: only a device
        # decided at the top level may go there; "attested but held lower" cannot be
        # expressed, so such a device stays out of RUN (fail closed).
        wants_run = result.trust_level == top or (result.run_allowed and has_trust)
        error = ""
        ran = mode == "devsec" and wants_run
        if ran and not (self.run_via == "trust" and has_trust):
            code = self._write(device, f"{tsm_dir}/accept", "1" + suffix, "accept")
            if code:
                # RUN was refused: the device gets nothing (fail closed) and is released.
                error = f"accept failed: errno {code}"
                self._write(device, f"{tsm_dir}/unlock", tsm, "unlock")
        elif mode == "devsec" and not ran:
            # Not good enough for RUN: release the lock so the device stays T=0. In a
            # confidential guest only 0, 1 and TCB mean anything (trust-model.md §2.2):
            # the hypervisor can attack a T=0 device, so "DMA"/"Link" collapse to 1.
            self._write(device, f"{tsm_dir}/unlock", tsm, "unlock")
            level = min(level, 1)
        if has_trust and not error and ran:
            # Exactly the decided level (under B2 this write itself drives RUN). If the
            # kernel refuses it, the device left RUN meanwhile (ERROR) and must be
            # re-validated, not parked lower.
            code = self._write(device, f"{PCI_DEVICES}/{device}/trust", f"{level}{suffix}",
                               "trust")
            if code:
                error = f"trust={level} refused after RUN: errno {code}"
                self._write(device, f"{tsm_dir}/unlock", tsm, "unlock")
        if error and has_trust and (self._kernel_level(device) or 0) > 0:
            # A device that failed its way to RUN keeps nothing, not a boot default.
            self._write(device, f"{PCI_DEVICES}/{device}/trust", "0", "trust")
        elif has_trust and not error and not ran:
            # Below RUN the kernel may still refuse a level (no trust ops): settle for the
            # highest lower level it grants, never higher.
            for attempt in range(level, -1, -1):
                code = self._write(device, f"{PCI_DEVICES}/{device}/trust", str(attempt),
                                   "trust")
                if code == 0:
                    break
            else:
                error = f"trust={level} refused: errno {code}"
        return DeviceOutcome(device, mode, result, result.trust_level,
                             self._kernel_level(device), self._accepted(device), error)

    def _validate(self, device: str, generation: int) -> None:
        """T2 (V10): tell the kernel which evidence generation was validated."""
        validate = getattr(self.platform, "validate", None)
        if validate is None:
            self.journal.add(device, "validate", errno=errno_mod.EOPNOTSUPP,
                             detail="platform has no validate command")
            return
        try:
            validate(device, generation)
        except OSError as exc:
            self.journal.add(device, "validate", errno=exc.errno or errno_mod.EIO,
                             detail=str(exc))
            return
        self.journal.add(device, "validate", detail=f"generation {generation}")
