# SPDX-License-Identifier: BSD-3-Clause
"""Results: claims, the AR4SI trust vector, EAR status, JSON output against its schema."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from devtrust.appraise.checks import CheckResult
from devtrust.appraise.claims import Category, Claim, ClaimStatus, LevelCap, claims_from_checks
from devtrust.appraise.decide import DecisionContext, decide
from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.policy import DEFAULT_POLICY, load_policy
from devtrust.appraise.results import (
    RESULT_SCHEMA_PATH,
    AppraisalResult,
    EarStatus,
    TrustVector,
    ar4si_tier,
    build_result,
)

AT = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
SCHEMA = json.loads(RESULT_SCHEMA_PATH.read_text())


# A small JSON Schema checker for the keywords result-v1.json uses (jsonschema is not a
# dependency). It is deliberately strict: an unsupported keyword is an error.
_KNOWN = {"$schema", "$id", "title", "description", "type", "additionalProperties", "required",
          "properties", "const", "enum", "$ref", "$defs", "items", "minimum", "maximum",
          "pattern", "minLength"}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def validate(value: Any, schema: dict, path: str = "$") -> list[str]:
    errs: list[str] = []
    unknown = set(schema) - _KNOWN
    assert not unknown, f"checker does not support {unknown}"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return validate(value, SCHEMA["$defs"][name], path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any((t == "integer" and isinstance(value, int) and not isinstance(value, bool))
                 or (t != "integer" and isinstance(value, _TYPES[t])) for t in types)
        if not ok:
            return [f"{path}: {value!r} is not {types}"]
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            errs.append(f"{path}: too short")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                errs.append(f"{path}: missing {key}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                errs += validate(item, props[key], f"{path}.{key}")
            elif extra is False:
                errs.append(f"{path}: unexpected {key}")
            elif isinstance(extra, dict):
                errs += validate(item, extra, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errs += validate(item, schema["items"], f"{path}[{i}]")
    return errs


def claims(**overrides: ClaimStatus) -> tuple[Claim, ...]:
    base = {
        "chain.path": (Category.HARDWARE, "/objects/cert0"),
        "signature.measurements": (Category.INSTANCE_IDENTITY, "/objects/measurements"),
        "measurement[1]": (Category.EXECUTABLES, "/objects/measurements/index/1"),
        "report.range_in_bar": (Category.CONFIGURATION, "/objects/report"),
    }
    return tuple(Claim(n, overrides.get(n.split(".")[0].split("[")[0], ClaimStatus.PASS),
                       "why", ptr, cat, (("k", "v"),)) for n, (cat, ptr) in base.items())


GPU = DeviceIdentity(0x10DE, 0x2330)


def result(cs: tuple[Claim, ...] = claims(), device: DeviceIdentity = GPU) -> AppraisalResult:
    policy = load_policy(DEFAULT_POLICY)
    cls = policy.for_device(device)
    d = decide(cs, cls, DecisionContext("devsec", "locked"))
    return build_result("0000:01:00.0", device, cls, d, evidence_generation=7,
                        nonce=bytes(range(32)), at=AT)


def test_json_output_validates_against_schema() -> None:
    for r in (result(), result(claims(measurement=ClaimStatus.UNKNOWN)),
              result(device=DeviceIdentity(1, 2)),
              result(claims(signature=ClaimStatus.FAIL))):
        doc = json.loads(r.to_json())
        assert validate(doc, SCHEMA) == [], r.to_json()


def test_schema_checker_catches_bad_documents() -> None:
    doc = json.loads(result().to_json())
    doc["trust_level"] = 9
    doc["claims"][0]["status"] = "maybe"
    del doc["nonce"]
    doc["extra"] = 1
    errs = validate(doc, SCHEMA)
    assert len(errs) == 4


def test_result_carries_binding_and_decision() -> None:
    r = result()
    doc = r.to_dict()
    assert doc["schema_version"] == 1
    assert doc["evidence_generation"] == 7 and doc["nonce"] == bytes(range(32)).hex()
    assert doc["trust_level"] == 4 and doc["capped_by"]["source"].startswith("policy:")
    assert doc["appraised_at"] == "2026-11-26T08:30:00Z"
    assert doc["status"] == "affirming"
    assert doc["trust_vector"] == {"instance-identity": 2, "configuration": 2,
                                   "executables": 2, "hardware": 2}


def test_json_round_trip() -> None:
    r = result(claims(report=ClaimStatus.WARN))
    assert AppraisalResult.from_dict(json.loads(r.to_json())) == r
    with pytest.raises(ValueError, match="schema_version"):
        AppraisalResult.from_dict({**r.to_dict(), "schema_version": 2})


def test_json_is_deterministic() -> None:
    assert result().to_json() == result().to_json()


@pytest.mark.parametrize(("status", "crypto", "values"), [
    (ClaimStatus.PASS, False, (2, 2, 2, 2)),
    (ClaimStatus.WARN, False, (32, 32, 32, 32)),
    (ClaimStatus.UNKNOWN, False, (97, 36, 33, 97)),
    (ClaimStatus.FAIL, False, (96, 96, 96, 96)),
    (ClaimStatus.FAIL, True, (99, 99, 99, 99)),
])
def test_trust_vector_tiers(status: ClaimStatus, crypto: bool, values: tuple) -> None:
    cats = (Category.INSTANCE_IDENTITY, Category.CONFIGURATION, Category.EXECUTABLES,
            Category.HARDWARE)
    tv = TrustVector.from_claims(Claim(f"x.{c.value}", status, "r", category=c, crypto=crypto)
                                 for c in cats)
    assert (tv.instance_identity, tv.configuration, tv.executables, tv.hardware) == values
    assert tv.file_system == tv.sourced_data == 0


def test_worst_claim_per_category_wins_and_skips_are_ignored() -> None:
    cs = (Claim("a", ClaimStatus.PASS, "", category=Category.EXECUTABLES),
          Claim("b", ClaimStatus.UNKNOWN, "", category=Category.EXECUTABLES),
          Claim("c", ClaimStatus.SKIP, "", category=Category.HARDWARE),
          Claim("d", ClaimStatus.FAIL, "", category=None))
    tv = TrustVector.from_claims(cs)
    assert tv.executables == 33 and tv.hardware == 0
    assert tv.status is EarStatus.WARNING


def test_ear_status_tiers() -> None:
    assert TrustVector().status is EarStatus.NONE
    assert TrustVector(hardware=2).status is EarStatus.AFFIRMING
    assert TrustVector(hardware=2, executables=33).status is EarStatus.WARNING
    assert TrustVector(hardware=97, executables=33).status is EarStatus.CONTRAINDICATED
    assert ar4si_tier(-1) is EarStatus.CONTRAINDICATED
    assert ar4si_tier(1) is EarStatus.WARNING
    with pytest.raises(ValueError):
        TrustVector(hardware=200)


def test_claim_validation_and_adapter() -> None:
    with pytest.raises(ValueError):
        Claim("", ClaimStatus.PASS, "")
    with pytest.raises(ValueError):
        Claim("x", ClaimStatus.PASS, "", "no-slash")
    with pytest.raises(ValueError):
        LevelCap("x", 5, "")
    got = claims_from_checks("chain", (CheckResult("root", True, "pinned", "cert[0]"),
                                       CheckResult("validity", False, "expired", "cert[2]")),
                             category=Category.HARDWARE, pointer="/objects/cert0", crypto=True)
    assert [(c.name, c.status, c.evidence_pointer, c.crypto) for c in got] == [
        ("chain.root", ClaimStatus.PASS, "/objects/cert0/cert/0", False),
        ("chain.validity", ClaimStatus.FAIL, "/objects/cert0/cert/2", True)]
    assert TrustVector.from_claims(got).hardware == 99


def test_result_rejects_inconsistent_levels() -> None:
    r = result()
    with pytest.raises(ValueError):
        AppraisalResult(**{**{f: getattr(r, f) for f in r.__dataclass_fields__},
                           "trust_level": 4, "qualified_level": 2})
    with pytest.raises(ValueError):
        AppraisalResult(**{**{f: getattr(r, f) for f in r.__dataclass_fields__},
                           "appraised_at": datetime(2026, 1, 1)})


def test_binding_claims() -> None:
    from devtrust.appraise.claims import binding_claims

    def st(**kw):
        return tuple(c.status for c in binding_claims(**kw))

    n = b"\x01" * 32
    assert st(expected_nonce=n, signed_nonce=n, generation=3, generation_now=3) == (
        ClaimStatus.PASS, ClaimStatus.PASS)
    assert st(expected_nonce=n, signed_nonce=b"\x02" * 32, generation=3, generation_now=4) == (
        ClaimStatus.FAIL, ClaimStatus.FAIL)
    assert st(expected_nonce=n, signed_nonce=None, generation=0) == (ClaimStatus.FAIL,
                                                                     ClaimStatus.FAIL)
    assert st(expected_nonce=None, signed_nonce=None, generation=2) == (ClaimStatus.SKIP,
                                                                        ClaimStatus.SKIP)
