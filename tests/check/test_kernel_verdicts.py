# SPDX-License-Identifier: BSD-3-Clause
"""Kernel verdicts under every preset (STYLE 21): exact shortest traces and no-discovery passes.

The small scope (one TDISP device, devsec TSM registered, its module driver
loaded with autoprobe) is explored exhaustively. For each variant, every
invariant that fails has its shortest counterexample pinned action by action;
every other invariant is asserted to hold over the whole space. Findings that
disagree with ``expected_violations`` are pinned as traces too, and the
disagreement itself is an ``xfail`` named ``fixme_*``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devtrust.check import CheckReport, PropertyKind
from devtrust.kernel.actions import (
    Accept,
    DriverBind,
    DriverUnbind,
    HwEvent,
    HwKind,
    IommuSync,
    Lock,
    SetTrust,
    Unlock,
    UnregisterTsm,
    UserValidate,
)

D = "0000:01:00.0"
# The report an honest TSM publishes at LOCK for the small scope's device (enabled.py).
HONEST_REPORT = (
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
)
Report = Callable[[str], CheckReport]

TRACES = {
    # 932 states, 8296 transitions, exhaustive
    "v2": {
        "S6": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S8": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S12": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S17": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S21": (),
        "I13": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            DriverBind(driver="nvme", device=D),
            UnregisterTsm(tsm="tsm0"),
        ),
    },
    # 3452 states, 28336 transitions, exhaustive
    "v2-bugs": {
        "STYLE11": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Unlock(device=D, tsm="tsm0"),
        ),
        "S6": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S8": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S11": (),
        "S12": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S14": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
            Accept(device=D, run=False),
            Unlock(device=D, tsm="tsm0"),
        ),
        "S16": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
            Accept(device=D, run=False),
        ),
        "S17": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S19": (),
        "S21": (),
        "I13": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            UnregisterTsm(tsm="tsm0"),
        ),
    },
    # 1077 states, 15507 transitions, exhaustive
    "jason-strict": {
        "S14": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S17": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "I13": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="1"),
            UnregisterTsm(tsm="tsm0"),
        ),
    },
    # 1374 states, 22826 transitions, exhaustive
    "dan-b2": {
        "I13": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            DriverBind(driver="nvme", device=D),
            UnregisterTsm(tsm="tsm0"),
        ),
        "S14": (
            DriverUnbind(driver="nvme", device=D),
            Lock(device=D, tsm="tsm0"),
            UserValidate(device=D, generation=1),
            SetTrust(device=D, value="4"),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S21": (
        ),
    },
    # 2196 states, 35118 transitions, exhaustive
    "last-design": {
        "S14": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S17": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "I13": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="1"),
            UnregisterTsm(tsm="tsm0"),
        ),
    },
    # 5484 states, 89952 transitions, exhaustive
    "async-t1": {
        "I13": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="1"),
            UnregisterTsm(tsm="tsm0"),
        ),
        "S2": (
            SetTrust(device=D, value="1", run=False),
            DriverUnbind(driver="nvme", device=D),
            IommuSync(device=D),
            SetTrust(device=D, value="0", run=False),
        ),
        "S4": (
            Lock(device=D, tsm="tsm0"),
            UserValidate(device=D, generation=1),
            Accept(device=D, value="1 generation=1"),
            SetTrust(device=D, value="1", run=False),
            SetTrust(device=D, value="4 generation=1", run=False),
            IommuSync(device=D),
            SetTrust(device=D, value="0", run=False),
        ),
        "S5": (
            SetTrust(device=D, value="1", run=False),
            DriverUnbind(driver="nvme", device=D),
            IommuSync(device=D),
            SetTrust(device=D, value="0", run=False),
        ),
        "S7": (
            Lock(device=D, tsm="tsm0"),
            UserValidate(device=D, generation=1),
            Accept(device=D, value="1 generation=1"),
            SetTrust(device=D, value="1", run=False),
            SetTrust(device=D, value="4 generation=1", run=False),
            IommuSync(device=D),
            SetTrust(device=D, value="0", run=False),
        ),
        "S8": (
            Lock(device=D, tsm="tsm0"),
            UserValidate(device=D, generation=1),
            Accept(device=D, value="1 generation=1"),
            SetTrust(device=D, value="4 generation=1", run=False),
            IommuSync(device=D),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S9": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="3"),
            HwEvent(device=D, kind=HwKind.ERROR),
        ),
        "S12": (
            Lock(device=D, tsm="tsm0"),
            UserValidate(device=D, generation=1),
            Accept(device=D, value="1 generation=1"),
            SetTrust(device=D, value="4 generation=1", run=False),
        ),
        "S19": (
            SetTrust(device=D, value="2", run=False),
            DriverUnbind(driver="nvme", device=D),
            IommuSync(device=D),
            SetTrust(device=D, value="1", run=False),
        ),
        "S20": (
            SetTrust(device=D, value="2", run=False),
            DriverUnbind(driver="nvme", device=D),
            IommuSync(device=D),
            SetTrust(device=D, value="0", run=False),
        ),
        "S22": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="3"),
            DriverUnbind(driver="nvme", device=D),
            Unlock(device=D, tsm="tsm0"),
        ),
    },
    # 2631 states, 41913 transitions, exhaustive
    "b3-bus-unblock": {
        "S2": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S4": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S5": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S7": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S14": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S17": (
            Lock(device=D, tsm="tsm0"),
            Accept(device=D),
        ),
        "S19": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="1"),
            DriverUnbind(driver="nvme", device=D),
            Accept(device=D),
        ),
        "I13": (
            Lock(device=D, tsm="tsm0"),
            SetTrust(device=D, value="1"),
            UnregisterTsm(tsm="tsm0"),
        ),
    },
    # 150 states, 2244 transitions, exhaustive
    "squashed-builtin": {
        "I13": (
            Lock(device=D, tsm="tsm0", report=HONEST_REPORT),
            SetTrust(device=D, value="1"),
            UnregisterTsm(tsm="tsm0"),
        ),
        "S14": (
            Lock(device=D, tsm="tsm0", report=HONEST_REPORT),
            Accept(device=D),
        ),
        "S17": (
            Lock(device=D, tsm="tsm0", report=HONEST_REPORT),
            Accept(device=D),
        ),
    },
}


@pytest.mark.parametrize("variant", sorted(TRACES))
def test_exact_shortest_traces(variant: str, small_report: Report) -> None:
    report = small_report(variant)
    assert report.result.stats.exhaustive
    assert report.violated == frozenset(TRACES[variant])
    for prop, actions in TRACES[variant].items():
        report.result.assert_discovery(prop, actions)


@pytest.mark.parametrize("variant", sorted(TRACES))
def test_no_discovery_for_every_other_invariant(variant: str, small_report: Report) -> None:
    report = small_report(variant)
    holds = [
        v.prop
        for v in report.result.verdicts
        if v.kind is PropertyKind.ALWAYS and v.prop not in TRACES[variant]
    ]
    for prop in holds:
        report.result.assert_no_discovery(prop)


@pytest.mark.parametrize(
    "variant", ["v2", "v2-bugs", "jason-strict", "last-design", "b3-bus-unblock", "dan-b2",
                "async-t1"]
)
def test_findings_match_the_kernel_table(variant: str, small_report: Report) -> None:
    report = small_report(variant)
    assert not report.unexpected
    assert not report.result.unreached()
    assert report.ok


def test_v2_double_accept_is_the_d11_bug(small_report: Report) -> None:
    """Lai Yi 2026-04-10: accept, accept again, unlock leaves a stale encrypted range."""
    assert "S16" not in small_report("v2").violated
    trace = small_report("v2-bugs").result.discovery("S16")
    assert trace is not None
    assert [type(a).__name__ for a in trace.actions][-2:] == ["Accept", "Accept"]
    assert len(trace.states[-1].devices[0].encrypted) == 2


def test_bus_callback_vs_iommu_responder(small_report: Report) -> None:
    """V5: the bus callback opens private DMA with RUN, below TCB (S2/S4/S5/S7)."""
    bus = small_report("b3-bus-unblock").violated
    responder = small_report("last-design").violated
    assert {"S2", "S4", "S5", "S7"} <= bus
    assert not {"S2", "S4", "S5", "S7"} & responder


def test_v2_has_no_sometimes_below_tcb_in_run(small_report: Report) -> None:
    assert "run-below-tcb" in dict(small_report("v2").not_applicable)


@pytest.mark.parametrize("variant", ["dan-b2", "async-t1"])
def test_revalidation_after_run_is_not_an_s17_violation(
    variant: str, small_report: Report
) -> None:
    """S17 is judged at the RUN transition (kernel fix after the checker's finding)."""
    small_report(variant).result.assert_no_discovery("S17")


def test_async_expected_table_names_s7(small_report: Report) -> None:
    """A lagging IOMMU responder (V6 b) keeps private DMA open below TCB while RUN."""
    report = small_report("async-t1")
    assert "S7" in report.violated and not report.unexpected


def test_squashed_builtin_reaches_run(small_report: Report) -> None:
    """enabled_actions now locks with the honest report, so report-based MMIO accepts."""
    report = small_report("squashed-builtin")
    assert "S17" in report.violated   # RUN is reached (T0: nothing binds the generation)
    assert [v.prop for v in report.result.unreached()] == ["unlock-after-accept"]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "squashed-builtin (built-in auto-trust, unbind drops the level to 0) never unlocks "
        "after accept in the small scope; not yet analysed whether the partner is "
        "unreachable by design"
    ),
)
def test_fixme_squashed_builtin_unlocks_after_accept(small_report: Report) -> None:
    assert not small_report("squashed-builtin").result.unreached()
