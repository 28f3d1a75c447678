# SPDX-License-Identifier: BSD-3-Clause
"""Every file under docs/examples loads with the real loaders, and does what the docs say.

The reference pages (docs/policy.md, docs/results.md, docs/evidence-formats.md,
docs/scenarios.md) quote these files and their outputs; this test keeps them honest.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from devtrust.appraise.bundle import BUNDLE_FORMAT, load_bundle
from devtrust.appraise.certs import load_certificates
from devtrust.appraise.corim import decode_corim
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.engine import appraise_bundle
from devtrust.appraise.policy import DEFAULT_POLICY, load_policy, parse_policy
from devtrust.appraise.refstore import RefStore, load_any
from devtrust.appraise.refvalues import parse_refvalues
from devtrust.appraise.results import RESULT_SCHEMA_PATH, AppraisalResult
from devtrust.appraise.trust_store import AnchorMatch, TrustStore
from devtrust.hw.fleet import build_fleet
from devtrust.hw.scenario import load_scenario
from devtrust.wire.evidence import EvidenceType

DOCS = Path(__file__).resolve().parents[1] / "docs"
EX = DOCS / "examples"
# Every example file and the loader test that covers it; a new file must be added here.
COVERED = {
    "bundle.json", "policy.yaml", "policy-relaxed.toml", "scenario.yaml",
    "refs/libspdm-sample.yaml", "refs/gpu.json", "corim/gpu-model-x.cbor",
    "trust/libspdm-ecp384-root.pem", "trust/roots.json",
}


def test_every_example_file_is_covered() -> None:
    found = {p.relative_to(EX).as_posix() for p in EX.rglob("*") if p.is_file()}
    assert found == COVERED


@pytest.mark.parametrize("name", ["policy.yaml", "policy-relaxed.toml"])
def test_policies_load(name: str) -> None:
    policy = load_policy(EX / name)
    assert policy.version == 1 and policy.classes


def test_relaxed_toml_policy_resolves_nvme() -> None:
    policy = load_policy(EX / "policy-relaxed.toml")
    nvme = policy.for_device(DeviceIdentity(0x1E9A, 0xA80C, class_code=0x010802))
    assert (nvme.name, nvme.mode, nvme.level_set, nvme.hold_at) == ("nvme", "relaxed", 4, 1)
    assert nvme.report.level("first_range_at_bar_start") == "fail"


def test_example_policy_classes() -> None:
    policy = load_policy(EX / "policy.yaml")
    nic = policy.for_device(DeviceIdentity(0x1C2C, 0x1592, class_code=0x020000))
    assert nic.name == "network-adapters" and not nic.run_allowed
    assert nic.report.level("ats") == "warn"
    assert policy.for_device(DeviceIdentity(0x1234, 0x5678)).name == "unknown"


def test_reference_values_load_and_store() -> None:
    store = RefStore.from_dir(EX / "refs")
    names = [e.name for e in store.list()]
    assert names == ["gpu-model-x-fw-96.00", "libspdm-sample-responder"]
    for path in (EX / "refs").iterdir():
        assert load_any(path).entries


def test_corim_example_decodes() -> None:
    data = (EX / "corim" / "gpu-model-x.cbor").read_bytes()
    refs = decode_corim(data, "gpu-model-x.cbor")
    by_name = {e.name: e for e in refs.entries}
    gpu = by_name["gpu-model-x-fw-96.00#0"]
    assert (gpu.match.vendor_id, gpu.match.device_id) == (0x10DE, 0x2330)
    assert [m.index for m in gpu.measurements] == [2, 5, 16, 254]
    assert gpu.for_index(16).svn_min == 5
    assert gpu.for_index(5).versions == ("96.00.5c.00.01",)
    assert by_name["gpu-model-x-fw-96.00#1"].match.hw_identity == "Graphitex GX-H100E"
    # The tags the docs name: 501 CoRIM, 506 CoMID, 560 class-id, 553 min-svn, 563 masked raw.
    top = cbor2.loads(data)
    assert top.tag == 501 and top.value[1][0].tag == 506


def test_trust_store_example() -> None:
    store = TrustStore.from_dir(EX / "trust")
    assert len(store.anchors) == 1 and len(store.root_hashes) == 1
    (name, cert), pin = store.anchors[0], store.root_hashes[0]
    assert name == "libspdm-ecp384-root.pem"
    assert pin.digest == hashlib.sha384(cert.public_bytes(Encoding.DER)).digest()
    # The example bundle's chain is anchored by the certificate, and by the pin alone.
    chain = load_certificates(load_bundle(EX / "bundle.json").evidence.get(EvidenceType.CERT0).data)
    assert store.anchor_for(chain).match is AnchorMatch.CERTIFICATE
    pins_only = TrustStore(root_hashes=store.root_hashes)
    assert pins_only.anchor_for(chain).match is AnchorMatch.ROOT_HASH


def test_scenario_example_builds() -> None:
    fleet = build_fleet(load_scenario(EX / "scenario.yaml"))
    assert [d.name for d in fleet.devices] == ["accel0", "accel-fake"]
    assert fleet.device("accel-fake").has_fault("unknown-root")


def _appraise(policy_path: Path) -> AppraisalResult:
    bundle = load_bundle(EX / "bundle.json")
    return appraise_bundle(bundle, policy=load_policy(policy_path),
                           trust_store=TrustStore.from_dir(EX / "trust"),
                           refs=RefStore.from_dir(EX / "refs"), at=bundle.collected_at)


def test_bundle_loads_in_digest_mode() -> None:
    bundle = load_bundle(EX / "bundle.json")
    doc = json.loads((EX / "bundle.json").read_text())
    assert doc["format"] == BUNDLE_FORMAT and doc["format_version"] == 1
    assert set(doc["evidence"]["objects"]) == {"cert0", "vca", "measurements", "report"}
    for kind in (EvidenceType.CERT0, EvidenceType.VCA, EvidenceType.MEASUREMENTS,
                 EvidenceType.REPORT):
        obj = bundle.evidence.get(kind)
        assert obj.digest == hashlib.sha384(obj.data).digest()


def test_bundle_appraises_as_documented() -> None:
    """docs/results.md: example policy -> TCB; default policy -> unknown device, 0."""
    result = _appraise(EX / "policy.yaml")
    assert (result.device_class, result.trust_level, result.qualified_level) == (
        "devsec-accel", 4, 4)
    assert result.capped_by.source == "policy:class[devsec-accel].target_level"
    assert result.run_allowed and result.status.value == "affirming"
    assert result.trust_vector.as_ear() == {"instance-identity": 2, "configuration": 2,
                                            "executables": 2, "hardware": 2}
    statuses = {c.name: c.status.value for c in result.claims}
    assert statuses["binding.generation"] == "skip"
    assert statuses["measurement[253]"] == "skip"
    assert statuses["report.report_stable"] == "skip"
    assert sum(s == "fail" for s in statuses.values()) == 0
    # from_dict() rebuilds an equal document (it sorts `details`, so compare the JSON).
    assert AppraisalResult.from_dict(json.loads(result.to_json())).to_json() == result.to_json()

    default = _appraise(DEFAULT_POLICY)
    assert (default.device_class, default.trust_level) == ("unknown", 0)
    assert default.capped_by.source == "policy:unknown_devices"


def test_result_keys_match_the_schema() -> None:
    schema = json.loads(RESULT_SCHEMA_PATH.read_text())
    doc = json.loads(_appraise(EX / "policy.yaml").to_json())
    assert set(doc) == set(schema["required"]) == set(schema["properties"])
    claim_keys = set(schema["$defs"]["claim"]["required"])
    assert all(set(c) == claim_keys for c in doc["claims"])


def _fenced(page: str, lang: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_policy_page_snippets_load() -> None:
    """Complete policy / reference-value documents quoted in docs/policy.md parse."""
    checked = 0
    for block in _fenced("policy.md", "yaml"):
        if block.startswith("version: 1\nid:"):
            parse_policy("policy.md", block)
            checked += 1
        elif block.startswith("version: 1\ndevices:"):
            assert parse_refvalues("policy.md", block).entries
            checked += 1
    assert checked >= 2


def test_results_page_quotes_real_output() -> None:
    """The result quoted in docs/results.md is what the example bundle yields."""
    doc = json.loads(_appraise(EX / "policy.yaml").to_json())
    example, unknown_cap = (json.loads(b) for b in _fenced("results.md", "json"))
    for key, value in example.items():
        if key == "claims":
            assert all(claim in doc["claims"] for claim in value)
        else:
            assert doc[key] == value, key
    assert set(example) == set(doc)
    assert json.loads(_appraise(DEFAULT_POLICY).to_json())["capped_by"] == unknown_cap


def test_policy_page_quotes_the_default_policy() -> None:
    quoted = next(b for b in _fenced("policy.md", "yaml") if "id: devtrust-default-v1" in b)
    assert parse_policy("policy.md", quoted) == load_policy(DEFAULT_POLICY)


def test_appraisal_time_is_the_bundle_time() -> None:
    assert load_bundle(EX / "bundle.json").collected_at == datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_scenario_page_fault_snippet_loads() -> None:
    """The device with faults quoted in docs/scenarios.md fits the example scenario."""
    import yaml

    from devtrust.hw.scenario import parse_scenario

    (snippet,) = [b for b in _fenced("scenarios.md", "yaml") if "faults:" in b]
    data = yaml.safe_load((EX / "scenario.yaml").read_text())
    data["devices"] += yaml.safe_load(snippet)["devices"]
    fleet = build_fleet(parse_scenario(data, "scenarios.md"))
    slow = fleet.device("accel-slow")
    assert slow.has_fault("busy") and slow.measurements.svn == 1
