# SPDX-License-Identifier: BSD-3-Clause
"""One object holding every open design choice of trust-model.md §9 (docs/variants.md).

A :class:`Variant` is built once and never changed; the kernel model reads it
and nothing else decides between the thread's alternatives. ``v2()`` is the
posted v2 series (no ``trust`` attribute, ``cc_accepted`` only) with the two
review bugs fixed unless ``bug_double_accept`` / ``bug_unlock_never_accepted``
ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from devtrust.kernel.levels import LevelSet

__all__ = [
    "AttachGate",
    "BootDefault",
    "Consistency",
    "DmaGranularity",
    "EvidenceBinding",
    "FlagRelation",
    "MmioSource",
    "RunDriver",
    "Unblock",
    "Variant",
    "bare_metal",
    "dan_b2",
    "jason_strict",
    "last_design",
    "preset",
    "presets",
    "v2",
]


class RunDriver(Enum):
    """V3: which action performs the TDISP RUN transition."""

    ACCEPT_CALLBACK = "accept"      # (a) tsm/accept bus callback (B1, v2)
    TRUST_WRITE = "trust-write"     # (b) trust=TCB drives RUN synchronously (B2)
    TSM_UAPI = "tsm-uapi"           # (c) tsm/accept drives RUN, trust confirms (B3)


class Consistency(Enum):
    """V4: level x TDISP-state rule."""

    STRICT = "strict"    # below TCB refused while RUN (Jason 03-23)
    RELAXED = "relaxed"  # below TCB allowed while RUN; IOMMU enforces it (Jason 03-26)


class Unblock(Enum):
    """V5: who unblocks DMA to private memory."""

    BUS_CALLBACK = "bus"        # together with RUN, inside accept / the trust write
    IOMMU_RESPONDER = "iommu"   # IOMMU reacts to the trust change (B4)


class BootDefault(Enum):
    """V8: level at discovery."""

    ALL_ZERO = "zero"              # (a) Jason 03-24
    CC_VM_ONE = "cc-one"           # (b) Dan 03-23: 1 in CC VMs (2 on bare metal)
    BUILTIN_TRUSTED = "builtin"    # (c) 0, a built-in driver match sets builtin_level
    PER_BUS_OPT_IN = "per-bus"     # (d) 0 only on buses that opted in, else today's default
    TRUST_ALL_WITHOUT_OPS = "all"  # (e) today's default (2) when no trust ops exist


class AttachGate(Enum):
    """V9: what gates driver attach."""

    AUTOPROBE = "autoprobe"        # (a) modules_autoprobe / autoprobe= (v2 patch 05)
    TRUST_ZERO = "trust-zero"      # (b) trust 0 is the gate; raising trust autoprobes
    MODULE_TRUST = "module-trust"  # (c) modprobe X trust=N plus built-in auto-trust


class EvidenceBinding(Enum):
    """V10: TOCTOU protection between evidence validation and RUN."""

    NONE = "T0"
    GENERATION_INTO_ACCEPT = "T1"
    VALIDATE_COMMAND = "T2"


class FlagRelation(Enum):
    """V13: relation with the existing ``authorized`` / ``untrusted`` flags."""

    MERGE_UNTRUSTED = "merge"    # (a) untrusted folded into the level; no authorized file
    CROSS_REFLECT = "reflect"    # (b) trust=1 <-> authorized=1


class DmaGranularity(Enum):
    """V14: shared vs private as a device flag or a per-mapping attribute."""

    PER_DEVICE = "device"    # (a) RUN device reaches private only (B5)
    PER_MAPPING = "mapping"  # (b) a decrypted mapping stays shared for RUN devices (B6)


class MmioSource(Enum):
    """Where accept takes its encrypted MMIO ranges from."""

    WHOLE_BARS = "bars"    # the v2 sample: every non-empty memory BAR (D19)
    REPORT = "report"      # the interface report, parsed with the v2 rules (§7.1)


@dataclass(frozen=True, slots=True)
class Variant:
    """Every open choice of trust-model.md §9, one field each (docs/variants.md)."""

    name: str = "custom"
    has_trust_attr: bool = True               # False = v2 (cc_accepted only)
    levels: LevelSet = LevelSet.FIVE          # V1
    level_names: bool = False                 # V2: also accept level names
    run_driver: RunDriver = RunDriver.TSM_UAPI  # V3
    consistency: Consistency = Consistency.RELAXED  # V4
    unblock: Unblock = Unblock.IOMMU_RESPONDER      # V5
    synchronous: bool = True                  # V6: (a) True, (b) False = deferred IOMMU sync
    refuse_encrypted_below_tcb: bool = False  # V7 (a) True
    boot_default: BootDefault = BootDefault.ALL_ZERO  # V8
    builtin_level: int = 2                    # V8(c): level a built-in match sets
    attach_gate: AttachGate = AttachGate.TRUST_ZERO   # V9
    evidence_binding: EvidenceBinding = EvidenceBinding.NONE  # V10
    unbound_implies_zero: bool = False        # V11 (b): unbind drops the level to 0
    lower_on_link_withdrawal: bool = True     # V12 (b)
    flags: FlagRelation = FlagRelation.CROSS_REFLECT  # V13
    dma_granularity: DmaGranularity = DmaGranularity.PER_MAPPING  # V14
    auto_reset_on_leave_run: bool = True      # I25 / S8; v2 has none
    reset_target: int = 0                     # level after leaving RUN
    mmio_source: MmioSource = MmioSource.WHOLE_BARS
    bug_double_accept: bool = False           # reproduce D11 (Lai Yi 2026-04-10)
    bug_unlock_never_accepted: bool = False   # reproduce D10 (Lai Yi 2026-03-27)
    bug_bounce_unaccepted_truncated: bool = False  # reproduce D1

    def __post_init__(self) -> None:
        if not self.has_trust_attr and self.run_driver is not RunDriver.ACCEPT_CALLBACK:
            raise ValueError("without a trust attribute only tsm/accept can drive RUN")
        if not self.has_trust_attr and self.unblock is not Unblock.BUS_CALLBACK:
            raise ValueError("without a trust attribute only the bus callback can unblock")
        if self.run_driver is RunDriver.TRUST_WRITE and self.unblock is Unblock.IOMMU_RESPONDER:
            # B2 unblocks inside the trust write; the responder reacts to the same write,
            # so both name the same instant. Keep one spelling.
            raise ValueError("trust-write RUN (B2) unblocks with the bus callback")
        if self.reset_target != 0:
            raise ValueError("the thread only names 0 as the auto-reset target")


def v2(**overrides: object) -> Variant:
    """The posted v2 series: cc_accepted via tsm/accept, module autoprobe, no trust file."""
    base = Variant(
        name="v2", has_trust_attr=False, levels=LevelSet.FOUR,
        run_driver=RunDriver.ACCEPT_CALLBACK, consistency=Consistency.RELAXED,
        unblock=Unblock.BUS_CALLBACK, boot_default=BootDefault.TRUST_ALL_WITHOUT_OPS,
        attach_gate=AttachGate.AUTOPROBE, lower_on_link_withdrawal=False,
        auto_reset_on_leave_run=False, dma_granularity=DmaGranularity.PER_DEVICE)
    return replace(base, **overrides)  # type: ignore[arg-type]


def jason_strict() -> Variant:
    """Jason 03-13/03-23: four levels, STRICT rule, trust 0 gate, IOMMU blocks at 0."""
    return Variant(name="jason-strict", levels=LevelSet.FOUR, consistency=Consistency.STRICT,
                   run_driver=RunDriver.TSM_UAPI, unblock=Unblock.IOMMU_RESPONDER,
                   boot_default=BootDefault.ALL_ZERO, attach_gate=AttachGate.TRUST_ZERO)


def dan_b2() -> Variant:
    """Dan 03-23/03-24: five levels, trust write drives RUN, CC default 1, module trust=."""
    return Variant(name="dan-b2", levels=LevelSet.FIVE, run_driver=RunDriver.TRUST_WRITE,
                   unblock=Unblock.BUS_CALLBACK, consistency=Consistency.STRICT,
                   boot_default=BootDefault.CC_VM_ONE, attach_gate=AttachGate.MODULE_TRUST,
                   evidence_binding=EvidenceBinding.VALIDATE_COMMAND)


def last_design() -> Variant:
    """Last design state (03-26): five levels, B3 + IOMMU responder, RELAXED, trust 0."""
    return Variant(name="last-design")


def bare_metal() -> Variant:
    """Last design with V7(a) refusal, T1 generation binding and deferred IOMMU sync."""
    return Variant(name="async-t1", refuse_encrypted_below_tcb=True, synchronous=False,
                   evidence_binding=EvidenceBinding.GENERATION_INTO_ACCEPT,
                   lower_on_link_withdrawal=False, dma_granularity=DmaGranularity.PER_DEVICE)


def presets() -> tuple[Variant, ...]:
    """Named variants the tests and the checker run under, in a fixed order."""
    return (v2(), v2(name="v2-bugs", bug_double_accept=True, bug_unlock_never_accepted=True,
                     bug_bounce_unaccepted_truncated=True),
            jason_strict(), dan_b2(), last_design(), bare_metal(),
            Variant(name="b3-bus-unblock", unblock=Unblock.BUS_CALLBACK),
            Variant(name="squashed-builtin", levels=LevelSet.FIVE_SQUASHED,
                    boot_default=BootDefault.BUILTIN_TRUSTED, unbound_implies_zero=True,
                    flags=FlagRelation.MERGE_UNTRUSTED, mmio_source=MmioSource.REPORT))


def preset(name: str) -> Variant:
    """The preset called ``name``; KeyError naming the known presets otherwise."""
    for variant in presets():
        if variant.name == name:
            return variant
    known = ", ".join(v.name for v in presets())
    raise KeyError(f"unknown variant {name!r} (known: {known})")
