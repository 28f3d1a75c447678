# SPDX-License-Identifier: BSD-3-Clause
"""From a validated scenario to hardware: topology, identities, measurements, faults.

:func:`build_fleet` is the one entry point the responders, TSMs and the emulated platform
use; everything it returns is a pure function of the scenario (seed, clock, specs), so
two builds of one scenario are byte-identical. :func:`check_scenario` is the scenario's
cross-reference pass; it reuses the same builders, so anything that would fail to build
fails at load time with a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devtrust.hw.faults import Fault, FaultSpec
from devtrust.hw.keys import KeyType
from devtrust.hw.measurements import MeasurementSet, firmware_image
from devtrust.hw.pci import Bar, BarRegion, Bdf, MsixPlacement, PciFunction
from devtrust.hw.pki import CertFlaw, DeviceIdentity, LeafProfile, PciIds, Pki, Validity
from devtrust.hw.rng import Drbg
from devtrust.hw.scenario_schema import (
    BarSpec,
    DeviceModelSpec,
    DeviceSpec,
    ExpectSpec,
    MsixSpec,
    Scenario,
    ScenarioError,
)
from devtrust.hw.topology import Device, HostBridge, Topology, Window, place
from devtrust.wire.spdm.algorithms import BaseAsymAlgo, BaseHashAlgo, MeasurementHashAlgo

__all__ = [
    "EmulatedDevice",
    "Fleet",
    "SpdmConfig",
    "build_fleet",
    "build_topology",
    "check_scenario",
    "device_layout",
]

_BASE_HASH = {"sha256": BaseHashAlgo.SHA_256, "sha384": BaseHashAlgo.SHA_384,
              "sha512": BaseHashAlgo.SHA_512}
_MEAS_HASH = {"sha256": MeasurementHashAlgo.SHA_256, "sha384": MeasurementHashAlgo.SHA_384,
              "sha512": MeasurementHashAlgo.SHA_512}
_PKI_FLAWS = {Fault.EXPIRED_CERT: CertFlaw.EXPIRED,
              Fault.NOT_YET_VALID_CERT: CertFlaw.NOT_YET_VALID,
              Fault.BROKEN_CHAIN_SIGNATURE: CertFlaw.BROKEN_SIGNATURE}


@dataclass(frozen=True, slots=True)
class SpdmConfig:
    """What the device's SPDM responder supports (versions as header bytes, e.g. 0x12)."""

    versions: tuple[int, ...]
    key_type: KeyType
    base_hash_name: str
    measurement_hash_name: str

    @property
    def base_asym(self) -> BaseAsymAlgo:
        return self.key_type.base_asym

    @property
    def base_hash(self) -> BaseHashAlgo:
        return _BASE_HASH[self.base_hash_name]

    @property
    def measurement_hash(self) -> MeasurementHashAlgo:
        return _MEAS_HASH[self.measurement_hash_name]


@dataclass(frozen=True, slots=True)
class EmulatedDevice:
    """One physical device of the scenario with everything its DSM needs.

    ``measurements_after_lock`` is set by the measurements-changed-after-lock fault: the
    set the device switches to once a TDI is locked.
    """

    name: str
    model: str
    serial: str
    device: Device
    ids: PciIds
    identity: DeviceIdentity
    measurements: MeasurementSet
    measurements_after_lock: MeasurementSet | None
    spdm: SpdmConfig
    faults: tuple[FaultSpec, ...]
    expect: ExpectSpec | None = None

    def fault(self, fault: Fault | str) -> FaultSpec | None:
        """The selected fault of that name, or None."""
        return next((f for f in self.faults if f.fault == Fault(fault)), None)

    def has_fault(self, fault: Fault | str) -> bool:
        return self.fault(fault) is not None


@dataclass(frozen=True, slots=True)
class Fleet:
    """The built scenario: topology, devices, trust anchors, and the seeded sources."""

    scenario: Scenario
    topology: Topology
    devices: tuple[EmulatedDevice, ...]
    trust_anchors: tuple[bytes, ...]
    trust_anchors_pem: bytes
    reference: tuple[tuple[str, MeasurementSet], ...]

    @property
    def now(self) -> datetime:
        """The scenario's fixed clock."""
        return self.scenario.clock

    def device(self, name: str) -> EmulatedDevice:
        for dev in self.devices:
            if dev.name == name:
                return dev
        raise KeyError(name)

    def device_at(self, bdf: Bdf | str) -> EmulatedDevice:
        """The physical device that owns function ``bdf``."""
        owner = self.topology.device_of(bdf)
        return self.device(owner.name)

    def reference_measurements(self, model: str) -> MeasurementSet:
        """The golden measurements of ``model`` at its reference firmware."""
        return dict(self.reference)[model]

    def rng(self, label: str) -> Drbg:
        """A fresh deterministic stream ``label`` for run-time randomness (nonces, keys)."""
        return _root(self.scenario).child(f"run/{label}")


def _root(scenario: Scenario) -> Drbg:
    return Drbg(scenario.seed.encode(), "devtrust")


def _bar(spec: BarSpec) -> Bar:
    return Bar(spec.index, spec.size, spec.is_64bit, spec.prefetchable, spec.is_memory)


def _bars(specs: tuple[BarSpec, ...]) -> tuple[Bar, ...]:
    return tuple(sorted((_bar(b) for b in specs), key=lambda b: b.index))


def _msix(spec: MsixSpec | None) -> MsixPlacement | None:
    if spec is None:
        return None
    return MsixPlacement(spec.table_bar, spec.table_offset, spec.entries, spec.pba_bar,
                         spec.pba_offset)


def device_layout(scenario: Scenario, spec: DeviceSpec) -> Device:
    """The unplaced :class:`Device` for ``spec`` (BAR addresses still zero)."""
    model = scenario.model(spec.model)
    hb = scenario.host_bridge(spec.host_bridge)
    multi = len(model.functions) > 1
    functions: list[PciFunction] = []
    vfs: list[PciFunction] = []
    for fn_index, fspec in enumerate(model.functions):
        bdf = Bdf(hb.domain, spec.bus, spec.device, fn_index)
        sriov = model.sriov if fn_index == 0 else None
        fn = PciFunction(
            bdf, model.vendor_id, fspec.device_id or model.device_id,
            fspec.class_code if fspec.class_code is not None else model.class_code,
            model.revision, model.subsystem_vendor_id, model.subsystem_id,
            _bars(fspec.bars), _msix(fspec.msix),
            tuple(BarRegion(r.bar, r.offset, r.size) for r in fspec.non_tee),
            has_tee_cap=model.tee, has_doe=model.doe and fn_index == 0,
            has_ide=model.ide and fn_index == 0, is_pf0=fn_index == 0, is_multifunction=multi,
            num_vfs=sriov.num_vfs if sriov else 0,
            first_vf_offset=sriov.first_vf_offset if sriov else 0,
            vf_stride=sriov.vf_stride if sriov else 0,
            vf_device_id=sriov.vf_device_id if sriov else 0,
            vf_bars=_bars(sriov.bars) if sriov else ())
        functions.append(fn)
        if sriov is not None:
            for n in range(sriov.num_vfs):
                vfs.append(PciFunction(
                    fn.vf_bdf(n), model.vendor_id, sriov.vf_device_id, fn.class_code,
                    model.revision, model.subsystem_vendor_id, model.subsystem_id,
                    _bars(sriov.bars), _msix(sriov.msix),
                    has_tee_cap=model.tee, is_vf=True, pf_bdf=fn.bdf))
    return Device(spec.name, spec.host_bridge, tuple(functions), tuple(vfs))


def build_topology(scenario: Scenario) -> Topology:
    """Place every device of the scenario behind its host bridge."""
    bridges = tuple(HostBridge(h.name, h.domain, h.buses[0], h.buses[1], h.nr_streams,
                               Window(h.mmio.base, h.mmio.size),
                               Window(h.prefetch.base, h.prefetch.size))
                    for h in scenario.host_bridges)
    return place(bridges, (device_layout(scenario, d) for d in scenario.devices))


def _hardware_config(model: DeviceModelSpec) -> bytes:
    """Canonical text of the model's hardware configuration (measured at index 3)."""
    lines = [f"{model.vendor_id:04x}:{model.device_id:04x} class {model.class_code:06x} "
             f"rev {model.revision:02x} tee {int(model.tee)} ide {int(model.ide)}"]
    for i, fn in enumerate(model.functions):
        for b in fn.bars:
            lines.append(f"fn{i} bar{b.index} size {b.size:#x} 64bit {int(b.is_64bit)} "
                         f"pref {int(b.prefetchable)} mem {int(b.is_memory)}")
        if fn.msix is not None:
            m = fn.msix
            lines.append(f"fn{i} msix {m.entries} table {m.table_bar}:{m.table_offset:#x} "
                         f"pba {m.pba_bar}:{m.pba_offset:#x}")
    if model.sriov is not None:
        lines.append(f"sriov vfs {model.sriov.num_vfs} vf-device {model.sriov.vf_device_id:04x}")
    return ("\n".join(lines) + "\n").encode()


def _measurements(drbg: Drbg, model: DeviceModelSpec, version: str, svn: int) -> MeasurementSet:
    return MeasurementSet.build(
        drbg, model=model.name, firmware_version=version, svn=svn,
        hardware_config=_hardware_config(model),
        firmware_config=f"{model.name}:{model.firmware_config}".encode(),
        device_mode=model.device_mode, manifest_size=model.manifest_size)


def build_fleet(scenario: Scenario) -> Fleet:
    """Build every device of ``scenario`` (deterministic in the scenario alone)."""
    root = _root(scenario)
    pki = Pki(root, Validity(scenario.pki.not_before, scenario.pki.not_after), scenario.clock)
    meas_drbg = root.child("measurements")
    for vendor in scenario.vendors:
        pki.vendor_root(vendor.name, vendor.key_type)
    topology = build_topology(scenario)
    devices = []
    for spec in scenario.devices:
        model = scenario.model(spec.model)
        vendor = scenario.vendor(model.vendor)
        faults = scenario.fault_specs(spec)
        selected = {f.fault: f for f in faults}
        issuer = pki.vendor_root(vendor.name, vendor.key_type,
                                 trusted=Fault.UNKNOWN_ROOT not in selected)
        for depth, name in enumerate(vendor.intermediates):
            issuer = pki.intermediate(issuer, f"{vendor.name} {name}",
                                      path_length=len(vendor.intermediates) - 1 - depth)
        flaws = {flaw for fault, flaw in _PKI_FLAWS.items() if fault in selected}
        if Fault.LEAF_WITHOUT_PROFILE in selected:
            flaws.add(CertFlaw(str(selected[Fault.LEAF_WITHOUT_PROFILE].param("flaw"))))
        ids = PciIds(model.vendor_id, model.device_id, model.class_code, model.revision,
                     model.subsystem_vendor_id, model.subsystem_id)
        key_type = model.spdm.key_type or vendor.key_type
        identity = pki.device_identity(
            issuer, ids, key_type, spec.serial, manufacturer=vendor.name,
            product=model.product or model.name, profile=LeafProfile(frozenset(flaws)),
            wrong_signing_key=Fault.WRONG_SIGNING_KEY in selected)
        firmware = spec.firmware or model.firmware
        if Fault.FIRMWARE_DOWNGRADE in selected:
            downgrade = selected[Fault.FIRMWARE_DOWNGRADE]
            firmware = firmware.model_copy(update={"version": downgrade.param("version"),
                                                   "svn": downgrade.param("svn")})
        measurements = _measurements(meas_drbg, model, firmware.version, firmware.svn)
        after = None
        if Fault.MEASUREMENTS_CHANGED_AFTER_LOCK in selected:
            change = selected[Fault.MEASUREMENTS_CHANGED_AFTER_LOCK]
            version, svn = str(change.param("version")), int(change.param("svn"))
            after = measurements.firmware_update(
                version, svn, firmware_image(meas_drbg, model.name, version))
        spdm = SpdmConfig(tuple(0x10 | int(v.split(".")[1]) for v in sorted(model.spdm.versions)),
                          key_type, model.spdm.base_hash or key_type.cert_hash.name,
                          model.spdm.measurement_hash)
        devices.append(EmulatedDevice(spec.name, model.name, spec.serial,
                                      topology.device(spec.name), ids, identity, measurements,
                                      after, spdm, faults, spec.expect))
    reference = tuple((m.name, _measurements(meas_drbg, m, m.firmware.version, m.firmware.svn))
                      for m in scenario.models)
    return Fleet(scenario, topology, tuple(devices), pki.trust_anchors(),
                 pki.trust_anchors_pem(), reference)


def _unique(source: str, section: str, names: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise ScenarioError(source, f"{section}[{i}].name", f"duplicate name {name!r} "
                                f"(also {section}[{seen[name]}]); rename one")
        seen[name] = i


def _check_geometry(source: str, at: str, model: DeviceModelSpec) -> None:
    """BARs, MSI-X and non-TEE windows of each function, with a precise path."""
    groups = [(f"{at}.functions[{j}]", fn.bars, fn.msix, fn.non_tee)
              for j, fn in enumerate(model.functions)]
    if model.sriov is not None:
        groups.append((f"{at}.sriov", model.sriov.bars, model.sriov.msix, ()))
    for where, bar_specs, msix, non_tee in groups:
        for k, spec in enumerate(bar_specs):
            try:
                _bar(spec)
            except ValueError as err:
                raise ScenarioError(source, f"{where}.bars[{k}]", str(err)) from None
        try:
            PciFunction(Bdf(0, 1, 0, 0), model.vendor_id, model.device_id, model.class_code,
                        bars=_bars(bar_specs), msix=_msix(msix),
                        non_tee_regions=tuple(BarRegion(r.bar, r.offset, r.size)
                                              for r in non_tee))
        except ValueError as err:
            raise ScenarioError(source, where, str(err).removeprefix("0000:01:00.0: ")) from None


def check_scenario(scenario: Scenario, source: str) -> None:
    """Cross-reference pass: raise :class:`ScenarioError` for the first inconsistency."""
    for section in ("host_bridges", "vendors", "models", "devices", "tsms", "drivers"):
        _unique(source, section, [item.name for item in getattr(scenario, section)])
    for when, value in (("clock", scenario.clock), ("pki.not_before", scenario.pki.not_before),
                        ("pki.not_after", scenario.pki.not_after)):
        if value.tzinfo is None:
            raise ScenarioError(source, when, "time has no UTC offset; append 'Z'")
    if not scenario.pki.not_before < scenario.clock < scenario.pki.not_after:
        raise ScenarioError(source, "pki", "the clock must lie inside [not_before, not_after]; "
                            "widen the validity window or move the clock")
    domains: dict[int, int] = {}
    for i, hb in enumerate(scenario.host_bridges):
        if hb.buses[0] >= hb.buses[1]:
            raise ScenarioError(source, f"host_bridges[{i}].buses", "need [first, last] with "
                                "first < last (root ports use the first bus)")
        if hb.domain in domains:
            raise ScenarioError(source, f"host_bridges[{i}].domain", f"domain {hb.domain:04x} "
                                f"already used by host_bridges[{domains[hb.domain]}]")
        domains[hb.domain] = i
    vendors = {v.name for v in scenario.vendors}
    for i, model in enumerate(scenario.models):
        if model.vendor not in vendors:
            raise ScenarioError(source, f"models[{i}].vendor", f"unknown vendor "
                                f"{model.vendor!r}; define it under vendors")
        if model.sriov is not None and not model.sriov.bars:
            raise ScenarioError(source, f"models[{i}].sriov.bars", "VFs need at least one BAR")
        _check_geometry(source, f"models[{i}]", model)
    models = {m.name for m in scenario.models}
    bridges = {h.name: h for h in scenario.host_bridges}
    used_buses: dict[tuple[str, int], int] = {}
    for i, dev in enumerate(scenario.devices):
        at = f"devices[{i}]"
        if dev.model not in models:
            raise ScenarioError(source, f"{at}.model", f"unknown model {dev.model!r}; "
                                "define it under models")
        bridge = bridges.get(dev.host_bridge)
        if bridge is None:
            raise ScenarioError(source, f"{at}.host_bridge", f"unknown host bridge "
                                f"{dev.host_bridge!r}; define it under host_bridges")
        if not bridge.buses[0] < dev.bus <= bridge.buses[1]:
            first, last = bridge.buses[0] + 1, bridge.buses[1]
            raise ScenarioError(source, f"{at}.bus", f"bus {dev.bus:#x} is outside "
                                f"{bridge.name}'s device buses {first:#x}..{last:#x}")
        if (bridge.name, dev.bus) in used_buses:
            raise ScenarioError(source, f"{at}.bus", f"bus {dev.bus:#x} already holds "
                                f"devices[{used_buses[(bridge.name, dev.bus)]}]; give each device "
                                "its own bus (its own root port)")
        used_buses[(bridge.name, dev.bus)] = i
        for j, sel in enumerate(dev.faults):
            try:
                FaultSpec.of(sel.fault, **sel.params)
            except ValueError as err:
                raise ScenarioError(source, f"{at}.faults[{j}].params", str(err)) from None
        try:
            device_layout(scenario, dev)
        except ValueError as err:
            model_index = [m.name for m in scenario.models].index(dev.model)
            raise ScenarioError(source, f"models[{model_index}] (used by {at})",
                                str(err)) from None
    try:
        topology = build_topology(scenario)
    except ValueError as err:
        raise ScenarioError(source, "host_bridges", str(err)) from None
    seen: set[Bdf] = set()
    for fn in topology.functions():
        if fn.bdf in seen:
            raise ScenarioError(source, "devices", f"two functions at {fn.bdf}; move a device "
                                "or change its VF offset")
        seen.add(fn.bdf)
        hb = bridges[topology.device_of(fn.bdf).host_bridge]
        if not hb.buses[0] < fn.bdf.bus <= hb.buses[1]:
            raise ScenarioError(source, "devices", f"{fn.bdf} lies outside {hb.name}'s buses; "
                                "lower the VF offset/stride or widen the bus range")
