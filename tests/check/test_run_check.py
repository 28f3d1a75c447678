# SPDX-License-Identifier: BSD-3-Clause
"""``run_check`` (the CLI's entry point) and the kernel model's protocol obligations."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from devtrust.check import SMALL, CheckReport, KernelModel, Model, PropertyKind, run_check
from devtrust.check.kernel_props import PARTNERS
from devtrust.kernel.variants import last_design, presets


def test_run_check_bounded_says_bounded() -> None:
    report = run_check("last-design", max_states=300, max_depth=3)
    assert not report.result.stats.exhaustive
    text = report.render_text()
    assert "BOUNDED" in text and "bounded (" in text
    doc = json.loads(report.to_json())
    assert doc["version"] == 1 and doc["exhaustive"] is False
    assert doc["variant"] == "last-design"


def test_run_check_unknown_variant() -> None:
    with pytest.raises(KeyError, match="unknown variant 'nope'"):
        run_check("nope", max_states=10, max_depth=1)


def test_report_json_carries_replayable_counterexamples(
        small_report: Callable[[str], CheckReport]) -> None:
    doc = json.loads(small_report("b3-bus-unblock").to_json())
    cx = {c["property"]: c for c in doc["counterexamples"]}
    assert cx["S4"]["actions"] == ["Lock(device='0000:01:00.0', tsm='tsm0')",
                                   "Accept(device='0000:01:00.0')"]
    exec(cx["S4"]["python"], {})
    assert doc["ok"] is True


def test_kernel_model_satisfies_the_protocol_and_is_deterministic() -> None:
    model = KernelModel(last_design(), SMALL)
    assert isinstance(model, Model)
    init = model.init_states()[0]
    assert model.actions(init) == model.actions(init)
    a = model.actions(init)[0]
    assert model.fingerprint(model.next_state(init, a)) == \
        model.fingerprint(model.next_state(init, a))


@pytest.mark.parametrize("variant", presets(), ids=lambda v: v.name)
def test_every_s_invariant_has_a_sometimes_partner(variant: object) -> None:
    model = KernelModel(variant, SMALL)  # type: ignore[arg-type]
    props = model.properties()
    partnered = {n for p in props if p.kind is PropertyKind.SOMETIMES for n in p.partners}
    s_names = {f"S{i}" for i in range(1, 25)}
    assert s_names <= partnered
    assert {n for names in PARTNERS.values() for n in names} >= s_names
