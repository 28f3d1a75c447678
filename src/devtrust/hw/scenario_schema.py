# SPDX-License-Identifier: BSD-3-Clause
"""Scenario file schema (pass one of loading; ``scenario.py`` does the rest).

Every model forbids unknown fields and is frozen; integers may be written in hex and
sizes as "2MiB". Names referenced across sections are resolved by ``scenario.py``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from devtrust.hw.faults import Fault, FaultSpec
from devtrust.hw.keys import KeyType

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
]

_SIZE_RE = re.compile(r"^\s*(\d+)\s*(KiB|MiB|GiB|TiB|K|M|G|T)?\s*$")
_UNITS = {None: 1, "K": 1 << 10, "KiB": 1 << 10, "M": 1 << 20, "MiB": 1 << 20,
          "G": 1 << 30, "GiB": 1 << 30, "T": 1 << 40, "TiB": 1 << 40}


class ScenarioError(ValueError):
    """A scenario file is invalid: ``str()`` is one line ``file: path: problem; fix``."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        self.message = message
        super().__init__(f"{source}: {path or '<top>'}: {message}")


def _int_like(value: object) -> object:
    """Accept hex/decimal strings ("0x8086") besides YAML integers."""
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            raise ValueError(f"{value!r} is not an integer (write e.g. 0x8086 or 32)") from None
    return value


def _size(value: object) -> object:
    """Accept byte counts or "2MiB"-style strings."""
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if not m:
            return _int_like(value)
        return int(m.group(1)) * _UNITS[m.group(2)]
    return value


IntLike = Annotated[int, BeforeValidator(_int_like)]
U8 = Annotated[int, BeforeValidator(_int_like), Field(ge=0, le=0xFF)]
U16 = Annotated[int, BeforeValidator(_int_like), Field(ge=0, le=0xFFFF)]
U24 = Annotated[int, BeforeValidator(_int_like), Field(ge=0, le=0xFFFFFF)]
Size = Annotated[int, BeforeValidator(_size), Field(gt=0)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowSpec(_Spec):
    base: IntLike = Field(ge=0)
    size: Size


class HostBridgeSpec(_Spec):
    name: Name
    domain: IntLike = Field(ge=0, le=0xFFFFFFFF)
    buses: tuple[U8, U8]
    nr_streams: int = Field(default=4, ge=0, le=256)
    mmio: WindowSpec
    prefetch: WindowSpec


class VendorSpec(_Spec):
    name: Name
    key_type: KeyType = KeyType.ECDSA_P384
    intermediates: tuple[Name, ...] = Field(default=("Devices",), min_length=0, max_length=3)


class BarSpec(_Spec):
    index: int = Field(ge=0, le=5)
    size: Size
    is_64bit: bool = False
    prefetchable: bool = False
    is_memory: bool = True


class MsixSpec(_Spec):
    table_bar: int = Field(ge=0, le=5)
    table_offset: IntLike = Field(ge=0)
    entries: int = Field(ge=1, le=2048)
    pba_bar: int = Field(ge=0, le=5)
    pba_offset: IntLike = Field(ge=0)


class RegionSpec(_Spec):
    bar: int = Field(ge=0, le=5)
    offset: IntLike = Field(ge=0)
    size: Size


class FunctionSpec(_Spec):
    bars: tuple[BarSpec, ...] = ()
    msix: MsixSpec | None = None
    non_tee: tuple[RegionSpec, ...] = ()
    device_id: U16 | None = None
    class_code: U24 | None = None


class SriovSpec(_Spec):
    num_vfs: int = Field(ge=1, le=256)
    first_vf_offset: IntLike = Field(default=0x80, ge=1, le=0xFFFF)
    vf_stride: IntLike = Field(default=1, ge=1, le=0xFFFF)
    vf_device_id: U16
    bars: tuple[BarSpec, ...] = ()
    msix: MsixSpec | None = None


class FirmwareSpec(_Spec):
    version: Annotated[str, Field(min_length=1, max_length=32)]
    svn: int = Field(ge=0, lt=1 << 64)


class SpdmSpec(_Spec):
    versions: tuple[Literal["1.0", "1.1", "1.2", "1.3"], ...] = Field(default=("1.2",),
                                                                      min_length=1)
    key_type: KeyType | None = None
    base_hash: Literal["sha256", "sha384", "sha512"] | None = None
    measurement_hash: Literal["sha256", "sha384", "sha512"] = "sha384"


class DeviceModelSpec(_Spec):
    name: Name
    vendor: Name
    product: Name | None = None
    vendor_id: U16
    device_id: U16
    class_code: U24
    revision: U8 = 0
    subsystem_vendor_id: U16 = 0
    subsystem_id: U16 = 0
    tee: bool = True
    doe: bool = True
    ide: bool = True
    functions: tuple[FunctionSpec, ...] = Field(min_length=1, max_length=8)
    sriov: SriovSpec | None = None
    firmware: FirmwareSpec
    firmware_config: str = "default"
    spdm: SpdmSpec = SpdmSpec()
    device_mode: bool = True
    manifest_size: int = Field(default=0, ge=0, le=4096)


class FaultSel(_Spec):
    fault: Fault
    params: dict[str, int | str | bool] = Field(default_factory=dict)


class ExpectSpec(_Spec):
    """What the scenario author expects a correct system to conclude (for end-to-end tests)."""

    accepted: bool
    max_trust: int | None = Field(default=None, ge=0, le=4)
    note: str = ""


class DeviceSpec(_Spec):
    name: Name
    model: Name
    host_bridge: Name
    bus: U8
    device: int = Field(default=0, ge=0, le=31)
    serial: Annotated[str, Field(min_length=1, max_length=64)]
    firmware: FirmwareSpec | None = None
    faults: tuple[FaultSel, ...] = ()
    expect: ExpectSpec | None = None


class TsmSpec(_Spec):
    name: Name
    kind: Literal["link", "devsec"]


class DriverMatch(_Spec):
    vendor_id: U16 | None = None
    device_id: U16 | None = None
    class_code: U24 | None = None


class DriverSpec(_Spec):
    name: Name
    builtin: bool = False
    override_only: bool = False
    matches: tuple[DriverMatch, ...] = Field(min_length=1)


class PkiSpec(_Spec):
    not_before: datetime
    not_after: datetime


class Scenario(_Spec):
    version: Literal[1] = 1
    name: Name
    description: str = ""
    platform: Literal["cc-guest", "bare-metal-host"]
    seed: Annotated[str, Field(min_length=1)]
    clock: datetime
    pki: PkiSpec
    host_bridges: tuple[HostBridgeSpec, ...] = Field(min_length=1)
    vendors: tuple[VendorSpec, ...] = Field(min_length=1)
    models: tuple[DeviceModelSpec, ...] = Field(min_length=1)
    devices: tuple[DeviceSpec, ...] = ()
    tsms: tuple[TsmSpec, ...] = ()
    drivers: tuple[DriverSpec, ...] = ()

    def model(self, name: str) -> DeviceModelSpec:
        return next(m for m in self.models if m.name == name)

    def vendor(self, name: str) -> VendorSpec:
        return next(v for v in self.vendors if v.name == name)

    def host_bridge(self, name: str) -> HostBridgeSpec:
        return next(h for h in self.host_bridges if h.name == name)

    def device(self, name: str) -> DeviceSpec:
        return next(d for d in self.devices if d.name == name)

    def fault_specs(self, device: DeviceSpec) -> tuple[FaultSpec, ...]:
        """The device's faults with parameters validated and defaults filled in."""
        return tuple(FaultSpec.of(f.fault, **f.params) for f in device.faults)
