# SPDX-License-Identifier: BSD-3-Clause
"""Scenario files: the default loads, bad files give one clear line, fragments round-trip."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from devtrust.hw.config_space import config_space
from devtrust.hw.fleet import build_fleet
from devtrust.hw.mmio import interface_report_ranges
from devtrust.hw.scenario import (
    BarSpec,
    FaultSel,
    FirmwareSpec,
    HostBridgeSpec,
    MsixSpec,
    Scenario,
    ScenarioError,
    default_scenario,
    dump_scenario,
    load_scenario,
    parse_scenario,
)


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return yaml.safe_load(dump_scenario(default_scenario()))


def test_default_loads_and_covers_the_brief() -> None:
    s = default_scenario()
    assert s.platform == "cc-guest"
    fleet = build_fleet(s)
    classes = {d.device.pf0.class_code for d in fleet.devices}
    assert {0x120000, 0x030200, 0x020000, 0x010802} <= classes
    assert sum(len(d.device.vfs) for d in fleet.devices if d.name == "nic0") >= 2
    assert {hb.domain for hb in fleet.topology.host_bridges} >= {0x10000, 0x10001}
    assert {t.kind for t in s.tsms} == {"link", "devsec"}


def _evidence(scenario: Scenario) -> list[bytes]:
    fleet = build_fleet(scenario)
    out = list(fleet.trust_anchors)
    for dev in fleet.devices:
        out.append(dev.identity.spdm_chain(dev.spdm.base_hash_name))
        out.append(dev.measurements.record(dev.spdm.measurement_hash_name))
        for fn in dev.device.all_functions:
            out.append(config_space(fn))
            out.append(repr(interface_report_ranges(fn, 0xD0000000, lock_msix=True)).encode())
    return out


def test_same_seed_byte_identical_evidence(base: dict[str, Any]) -> None:
    first = _evidence(default_scenario())
    assert first == _evidence(parse_scenario(copy.deepcopy(base)))
    other = parse_scenario(dict(copy.deepcopy(base), seed="another seed"))
    changed = _evidence(other)
    assert changed[0] != first[0]
    assert len(changed) == len(first)


def test_file_round_trip(tmp_path: Path, base: dict[str, Any]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(dump_scenario(default_scenario()))
    assert load_scenario(path) == default_scenario()


def _error(data: Any, source: str = "bad.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{source}: ")
    return text


def _mutate(base: dict[str, Any], fn: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    fn(data)
    return data


@pytest.mark.parametrize("mutation,expected", [
    (lambda d: d["devices"][0].update(model="nope"), "devices[0].model: unknown model 'nope'"),
    (lambda d: d["devices"][0].update(colour="red"),
     "devices[0].colour: unknown field 'colour'; remove this field"),
    (lambda d: d["devices"][0].pop("serial"), "devices[0].serial: Field required; add"),
    (lambda d: d["devices"][1].update(bus=0x01), "devices[1].bus: bus 0x1 is outside"),
    (lambda d: d["devices"][3].update(bus=0x01), "devices[3].bus: bus 0x1 already holds"),
    (lambda d: d["devices"][2].update(name="devsec-ep0"), "devices[2].name: duplicate name"),
    (lambda d: d["devices"][0].update(faults=[{"fault": "error-at-step",
                                               "params": {"step": "later"}}]),
     "devices[0].faults[0].params: parameter 'step' must be one of"),
    (lambda d: d["devices"][0].update(faults=[{"fault": "explode"}]),
     "devices[0].faults[0].fault: Input should be"),
    (lambda d: d["models"][0].update(vendor="Nobody"), "models[0].vendor: unknown vendor"),
    (lambda d: d["models"][0]["functions"][0]["bars"][0].update(size="3MiB"),
     "models[0].functions[0].bars[0]: BAR0 size 0x300000 must be a power of two"),
    (lambda d: d["models"][0].update(vendor_id="0x1ffff"), "models[0].vendor_id: Input should"),
    (lambda d: d["host_bridges"][0]["prefetch"].update(size="2MiB"),
     "host_bridges: host bridge devsec-hb0: prefetch window"),
    (lambda d: d.update(clock="2050-01-01T00:00:00Z"), "pki: the clock must lie inside"),
    (lambda d: d.update(clock="2026-01-01T00:00:00"), "clock: time has no UTC offset"),
    (lambda d: d.update(platform="mainframe"), "platform: Input should be 'cc-guest'"),
])
def test_broken_scenarios_give_one_clear_line(base: dict[str, Any], mutation: Any,
                                              expected: str) -> None:
    assert expected in _error(_mutate(base, mutation))


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert str(info.value).startswith(f"{bad}: line ") and "not valid YAML" in str(info.value)
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path / "missing.yaml")
    assert "<top>" in _error([1, 2])


def test_sizes_and_hex_strings_are_accepted() -> None:
    assert BarSpec.model_validate({"index": 0, "size": "2MiB"}).size == 2 << 20
    assert BarSpec.model_validate({"index": 0, "size": "0x1000"}).size == 4096
    spec = MsixSpec.model_validate({"table_bar": 0, "table_offset": "0x2000", "entries": 8,
                                    "pba_bar": 0, "pba_offset": 12288})
    assert spec.table_offset == 0x2000 and spec.pba_offset == 0x3000


_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,15}", fullmatch=True)
_bars = st.builds(BarSpec, index=st.integers(0, 5), size=st.integers(1, 1 << 40),
                  is_64bit=st.booleans(), prefetchable=st.booleans(), is_memory=st.booleans())
_msix = st.builds(MsixSpec, table_bar=st.integers(0, 5), table_offset=st.integers(0, 1 << 30),
                  entries=st.integers(1, 2048), pba_bar=st.integers(0, 5),
                  pba_offset=st.integers(0, 1 << 30))
_firmware = st.builds(FirmwareSpec, version=st.from_regex(r"[0-9a-z.]{1,12}", fullmatch=True),
                      svn=st.integers(0, (1 << 64) - 1))
_faults = st.builds(FaultSel, fault=st.sampled_from(["busy", "unknown-root", "error-at-step"]),
                    params=st.dictionaries(st.sampled_from(["count", "step"]),
                                           st.integers(0, 9) | st.sampled_from(["run", "lock"]),
                                           max_size=2))


@given(st.one_of(_bars, _msix, _firmware, _faults))
def test_fragments_round_trip(fragment: Any) -> None:
    dumped = yaml.safe_load(yaml.safe_dump(fragment.model_dump(mode="json")))
    assert type(fragment).model_validate(dumped) == fragment


@given(name=_names, domain=st.integers(0, 0xFFFFFFFF), first=st.integers(0, 0xFE),
       streams=st.integers(0, 256))
def test_host_bridge_round_trip_through_a_scenario(base: dict[str, Any], name: str, domain: int,
                                                   first: int, streams: int) -> None:
    hb = HostBridgeSpec(name=name, domain=domain, buses=(first, first + 1), nr_streams=streams,
                        mmio={"base": 0, "size": 4096}, prefetch={"base": 1 << 40, "size": 4096})
    data = copy.deepcopy(base)
    data["host_bridges"] = [*data["host_bridges"], hb.model_dump(mode="json")]
    clash = domain in {0, 0x10000, 0x10001} or name in {"devsec-hb0", "devsec-hb1", "pci0"}
    if clash:
        with pytest.raises(ScenarioError):
            parse_scenario(data)
        return
    scenario = parse_scenario(data)
    assert scenario.host_bridges[-1] == hb
    assert parse_scenario(yaml.safe_load(dump_scenario(scenario))) == scenario
