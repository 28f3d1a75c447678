# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.hw: the emulated hardware's foundations.

Deterministic PKI (``pki``, ``keys``, ``rng``), the PCI function and topology model
(``pci``, ``topology``, ``config_space``, ``mmio``), device measurements
(``measurements``), the fault catalogue (``faults``) and scenario files (``scenario``,
``fleet``). The DSM responders and TSMs build on these in ``hw.dsm`` and ``hw.tsm``.
"""

from devtrust.hw.config_space import bar_sizing_readback, config_space
from devtrust.hw.faults import CATALOGUE, Fault, FaultInfo, FaultSpec, Layer, Outcome
from devtrust.hw.fleet import EmulatedDevice, Fleet, SpdmConfig, build_fleet, build_topology
from devtrust.hw.keys import KeyType, derive_private_key
from devtrust.hw.measurements import Measurement, MeasurementSet, MeasurementType
from devtrust.hw.mmio import ReportRange, interface_report_ranges
from devtrust.hw.pci import Bar, BarRegion, Bdf, MsixPlacement, PciFunction
from devtrust.hw.pki import (
    CertAuthority,
    CertFlaw,
    DeviceIdentity,
    DiceTcbInfo,
    LeafProfile,
    PciIds,
    Pki,
    Validity,
)
from devtrust.hw.rng import Drbg
from devtrust.hw.scenario import (
    Scenario,
    ScenarioError,
    default_scenario,
    dump_scenario,
    load_scenario,
    parse_scenario,
)
from devtrust.hw.topology import Device, HostBridge, RootPort, Topology, Window

__all__ = [
    "CATALOGUE",
    "Bar",
    "BarRegion",
    "Bdf",
    "CertAuthority",
    "CertFlaw",
    "Device",
    "DeviceIdentity",
    "DiceTcbInfo",
    "Drbg",
    "EmulatedDevice",
    "Fault",
    "FaultInfo",
    "FaultSpec",
    "Fleet",
    "HostBridge",
    "KeyType",
    "Layer",
    "LeafProfile",
    "Measurement",
    "MeasurementSet",
    "MeasurementType",
    "MsixPlacement",
    "Outcome",
    "PciFunction",
    "PciIds",
    "Pki",
    "ReportRange",
    "RootPort",
    "Scenario",
    "ScenarioError",
    "SpdmConfig",
    "Topology",
    "Validity",
    "Window",
    "bar_sizing_readback",
    "build_fleet",
    "build_topology",
    "config_space",
    "default_scenario",
    "derive_private_key",
    "dump_scenario",
    "interface_report_ranges",
    "load_scenario",
    "parse_scenario",
]
