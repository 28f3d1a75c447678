# SPDX-License-Identifier: BSD-3-Clause
"""Policy files: loading (YAML, TOML), class resolution and one-line validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtrust.appraise.device_class import DeviceIdentity
from devtrust.appraise.errors import AppraisalInputError
from devtrust.appraise.policy import DEFAULT_POLICY, PolicyError, load_policy, parse_policy

GOOD = """
version: 1
id: t
classes:
  - {name: vendor-wide, match: {vendor_id: 0x10de}, target_level: 2}
  - {name: model, match: {vendor_id: 0x10de, device_id: 0x2330}, target_level: 4}
  - {name: storage, match: {class_code: 0x010000, class_code_mask: 0xff0000}, target_level: 1}
"""


def test_default_policy_loads_and_states_the_four_statements() -> None:
    p = load_policy(DEFAULT_POLICY)
    assert p.id == "devtrust-default-v1" and p.mode == "strict"
    assert {c.name for c in p.classes} == {"gpu-model-x", "nvme"}
    assert p.unknown_devices.target_level == 0
    assert [c.name for c in p.caps] == ["no-tsm"]


def test_most_specific_class_wins() -> None:
    p = parse_policy("p.yaml", GOOD)
    assert p.for_device(DeviceIdentity(0x10DE, 0x2330)).name == "model"
    assert p.for_device(DeviceIdentity(0x10DE, 0x1111)).name == "vendor-wide"
    assert p.for_device(DeviceIdentity(0x8086, 1, class_code=0x010802)).name == "storage"
    unknown = p.for_device(DeviceIdentity(0x8086, 1))
    assert unknown.name == "unknown" and unknown.target_level == 0
    assert not unknown.run_allowed


def test_hw_identity_match() -> None:
    p = parse_policy("p.yaml", """
version: 1
id: t
classes: [{name: cma, match: {hw_identity: "pci:10de:2330:serial"}, target_level: 4}]
""")
    assert p.for_device(DeviceIdentity(hw_identity="pci:10de:2330:serial")).name == "cma"
    assert p.for_device(DeviceIdentity(hw_identity="other")).name == "unknown"


def test_toml_policy(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text("""
version = 1
id = "toml"
mode = "relaxed"
[[caps]]
name = "no-tsm"
max_level = 2
when = { tsm_kind = ["none"] }
[[classes]]
name = "gpu"
target_level = 4
match = { vendor_id = 4318 }
requirements = { "4" = ["chain", "signature", "tsm_devsec"] }
[classes.report]
coverage = "full"
rules = { ats = "warn" }
""")
    p = load_policy(f)
    cls = p.for_device(DeviceIdentity(4318, 1))
    assert cls.mode == "relaxed" and cls.requirements[4] == ("chain", "signature", "tsm_devsec")
    assert cls.report.coverage == "full" and cls.report.level("ats") == "warn"


def one_line_error(text: str, suffix: str = ".yaml") -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(f"bad{suffix}", text, suffix)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"bad{suffix}: ")
    assert isinstance(info.value, AppraisalInputError)
    return msg


@pytest.mark.parametrize(("text", "expect"), [
    ("version: 1\nid: x\nclasses: [{name: a, target_level: 7}]",
     "classes.0.target_level"),
    ("version: 1\nid: x\nmode: lenient", "mode"),
    ("version: 2\nid: x", "version"),
    ("version: 1", "id: Field required (fix: add this field)"),
    ("version: 1\nid: x\nclasess: []", "clasess: Extra inputs are not permitted (fix: remove"),
    ("version: 1\nid: x\nclasses: [{name: a, target_level: 4, requirements: {4: [magic]}}]",
     "requirements.4.0"),
    ("version: 1\nid: x\nlevel_set: 4\nclasses: [{name: a, target_level: 4}]",
     "exceeds the top level 3"),
    ("version: 1\nid: x\nclasses: [{name: a, target_level: 1}, {name: a, target_level: 2}]",
     "duplicate class name"),
    ("version: 1\nid: x\nclasses: [{name: a, target_level: 1, report: {rules: {nope: off}}}]",
     "unknown report rule"),
    ("version: 1\nid: x\ncaps: [{name: c, max_level: 2, when: {tsm_kind: [tdx]}}]",
     "caps.0.when.tsm_kind.0"),
    ("version: [1\n", "not valid YAML"),
    ("- 1\n- 2\n", "a policy is a mapping"),
])
def test_broken_policy_gives_one_clear_line(text: str, expect: str) -> None:
    msg = one_line_error(text)
    assert expect in msg
    assert "fix:" in msg


def test_broken_toml_and_unknown_suffix() -> None:
    assert "not valid TOML" in one_line_error("version = ", ".toml")
    assert "unknown file type" in one_line_error("x", ".ini")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.yaml")


def test_policy_is_immutable() -> None:
    p = parse_policy("p.yaml", GOOD)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        p.mode = "relaxed"  # type: ignore[misc]
