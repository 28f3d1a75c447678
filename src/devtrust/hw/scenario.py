# SPDX-License-Identifier: BSD-3-Clause
"""Scenario files: the emulated platform, its devices, keys, measurements and faults.

Loading is two passes (STYLE 16): the pydantic schema check of ``scenario_schema.py``,
then the cross-reference pass of ``fleet.check_scenario`` (vendors, models, host bridges,
bus ranges, BDF clashes, fault parameters, BAR/MSI-X geometry, window sizes). Either pass
reports the *first* problem as one :class:`ScenarioError` line naming the file, the path
inside it and the fix. ``fleet.build_fleet`` turns a valid scenario into hardware objects.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from devtrust.hw.fleet import check_scenario
from devtrust.hw.scenario_schema import (
    BarSpec,
    DeviceModelSpec,
    DeviceSpec,
    DriverMatch,
    DriverSpec,
    ExpectSpec,
    FaultSel,
    FirmwareSpec,
    FunctionSpec,
    HostBridgeSpec,
    MsixSpec,
    PkiSpec,
    RegionSpec,
    Scenario,
    ScenarioError,
    SpdmSpec,
    SriovSpec,
    TsmSpec,
    VendorSpec,
    WindowSpec,
)

__all__ = [
    "BarSpec",
    "DeviceModelSpec",
    "DeviceSpec",
    "DriverMatch",
    "DriverSpec",
    "ExpectSpec",
    "FaultSel",
    "FirmwareSpec",
    "FunctionSpec",
    "HostBridgeSpec",
    "MsixSpec",
    "PkiSpec",
    "RegionSpec",
    "Scenario",
    "ScenarioError",
    "SpdmSpec",
    "SriovSpec",
    "TsmSpec",
    "VendorSpec",
    "WindowSpec",
    "default_scenario",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
]

def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove this field or fix its spelling",
    "literal_error": "use one of the listed values",
    "enum": "use one of the listed values",
    "string_type": "quote the value",
}


def _schema_error(source: str, err: ValidationError) -> ScenarioError:
    first = err.errors()[0]
    # Union members show up as extra loc parts (e.g. 'int'); keep only real field names.
    loc = tuple(p for p in first["loc"] if isinstance(p, int) or not p.startswith(
        ("function-", "int", "str", "bool", "tagged-union")))
    message = first["msg"]
    fix = _FIXES.get(first["type"])
    if first["type"] == "extra_forbidden" and isinstance(first["input"], str | int):
        message = f"unknown field {loc[-1]!r}"
    return ScenarioError(source, _loc(loc), f"{message}; {fix}" if fix else message)


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed YAML/JSON ``data`` (schema pass, then cross-references)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise _schema_error(source, err) from None
    check_scenario(scenario, source)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a YAML scenario file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ScenarioError(str(path), "", f"cannot read file: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(str(path), where, f"not valid YAML: "
                            f"{getattr(err, 'problem', None) or err}") from None
    return parse_scenario(data, str(path))


def default_scenario() -> Scenario:
    """The shipped scenario (``hw/scenarios/default.yaml``)."""
    ref = resources.files("devtrust.hw").joinpath("scenarios/default.yaml")
    # The shipped file is valid YAML; libyaml's safe loader builds the same data ~4x faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(ref.read_text(encoding="utf-8"), Loader=loader)
    return parse_scenario(data, "devtrust/hw/scenarios/default.yaml")


def dump_scenario(scenario: Scenario) -> str:
    """YAML text that loads back to an equal scenario."""
    return yaml.safe_dump(scenario.model_dump(mode="json", exclude_defaults=True),
                          sort_keys=False)
