# SPDX-License-Identifier: BSD-3-Clause
"""The fault catalogue: complete, documented, validated, and realised for PKI faults."""

from __future__ import annotations

import pytest
import yaml
from cryptography import x509

from devtrust.hw.faults import CATALOGUE, ERROR_STEPS, Fault, FaultSpec, Layer, Outcome
from devtrust.hw.fleet import build_fleet
from devtrust.hw.scenario import default_scenario, dump_scenario, parse_scenario

# Every behaviour the issue lists, by catalogue name.
ISSUE_LIST = {
    "wrong-signing-key", "unknown-root", "expired-cert", "not-yet-valid-cert",
    "leaf-without-profile", "nonce-not-echoed", "measurements-changed-after-lock",
    "firmware-downgrade", "report-overlapping-ranges", "report-range-outside-bar",
    "report-missing-range", "report-msix-as-tee", "report-changes-between-fetches",
    "error-at-step", "config-write-while-locked", "ide-key-loss", "busy", "not-ready",
    "truncated-message", "oversize-message", "wrong-interface-id", "digest-mismatch",
}


def test_catalogue_covers_issue_and_is_documented() -> None:
    assert ISSUE_LIST <= {f.value for f in Fault}
    assert set(CATALOGUE) == set(Fault)
    for fault, info in CATALOGUE.items():
        assert info.fault is fault
        assert isinstance(info.layer, Layer) and isinstance(info.outcome, Outcome)
        assert len(info.description) > 20 and len(info.defence) > 20
        for p in info.params:
            assert p.check(p.default) == p.default


def test_faultspec_defaults_and_errors() -> None:
    spec = FaultSpec.of("error-at-step")
    assert spec.param("step") == "run" and "run" in ERROR_STEPS
    assert FaultSpec.of("busy", count=5).param("count") == 5
    assert FaultSpec.of(Fault.UNKNOWN_ROOT).params == ()
    with pytest.raises(ValueError, match="unknown fault"):
        FaultSpec.of("melt")
    with pytest.raises(ValueError, match="no parameter 'steps'"):
        FaultSpec.of("error-at-step", steps="run")
    with pytest.raises(ValueError, match="one of"):
        FaultSpec.of("error-at-step", step="later")
    with pytest.raises(ValueError, match="integer"):
        FaultSpec.of("busy", count="many")
    with pytest.raises(ValueError, match=">= 1"):
        FaultSpec.of("truncated-message", bytes=0)
    with pytest.raises(ValueError):
        FaultSpec(Fault.BUSY, (("request", "x"), ("count", 1)))  # not sorted
    assert FaultSpec.of("busy").as_dict() == {
        "fault": "busy", "params": {"count": 2, "protocol": "spdm",
                                    "request": "get-measurements"}}


def _with_fault(fault: dict) -> object:
    data = yaml.safe_load(dump_scenario(default_scenario()))
    data["devices"] = [dict(data["devices"][0], faults=[fault])]
    return build_fleet(parse_scenario(data)).devices[0]


def _leaf(dev) -> x509.Certificate:  # type: ignore[no-untyped-def]
    return dev.identity.leaf


def test_pki_faults_are_realised() -> None:
    fleet = build_fleet(default_scenario())
    fake = fleet.device("gpu-counterfeit")
    assert fake.identity.chain[0] not in fleet.trust_anchors
    assert fleet.device("gpu0").identity.chain[0] in fleet.trust_anchors
    now = fleet.now
    assert _leaf(_with_fault({"fault": "expired-cert"})).not_valid_after_utc < now
    assert _leaf(_with_fault({"fault": "not-yet-valid-cert"})).not_valid_before_utc > now
    assert not _with_fault({"fault": "wrong-signing-key"}).identity.is_key_consistent
    leaf = _leaf(_with_fault({"fault": "leaf-without-profile",
                              "params": {"flaw": "leaf-key-cert-sign"}}))
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign


def test_measurement_faults_are_realised() -> None:
    fleet = build_fleet(default_scenario())
    old = fleet.device("nvme-oldfw")
    ref = fleet.reference_measurements(old.model)
    assert old.measurements.svn == 2 < ref.svn
    assert old.measurements.get(2) != ref.get(2)
    assert fleet.device("nvme0").measurements == ref
    dev = _with_fault({"fault": "measurements-changed-after-lock",
                       "params": {"version": "6.6.6", "svn": 9}})
    assert dev.measurements_after_lock is not None
    assert dev.measurements_after_lock.svn == 9 and dev.measurements.svn == 1


def test_default_scenario_has_misbehaving_devices() -> None:
    fleet = build_fleet(default_scenario())
    bad = [d for d in fleet.devices if d.faults]
    assert len(bad) >= 2
    assert all(d.expect is not None for d in fleet.devices)
    assert fleet.device("gpu-unstable").fault("error-at-step").param("step") == "run"
