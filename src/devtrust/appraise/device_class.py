# SPDX-License-Identifier: BSD-3-Clause
"""Who a device is (:class:`DeviceIdentity`) and which devices a rule is for (:class:`DeviceMatch`).

Reference values and policy classes are both keyed by a device class: PCI vendor/device ids,
optionally subsystem ids and class code, or the hardware identity string the device's
certificate carries (the CMA ``2.23.147`` SAN or a model name). ``None`` in a match is a
wildcard; the most specific matching entry wins (:meth:`DeviceMatch.specificity`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeviceIdentity", "DeviceMatch"]


def _check_u16(name: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= 0xFFFF:
        raise ValueError(f"{name} must be a 16-bit id, got {value!r}")


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """The identity of one device as read from config space and its certificate."""

    vendor_id: int | None = None
    device_id: int | None = None
    subsystem_vendor_id: int | None = None
    subsystem_id: int | None = None
    class_code: int | None = None
    hw_identity: str | None = None
    revision: int | None = None

    def __post_init__(self) -> None:
        for name in ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_id"):
            _check_u16(name, getattr(self, name))
        if self.class_code is not None and not 0 <= self.class_code <= 0xFFFFFF:
            raise ValueError("class_code is the 24-bit PCI class code")
        if self.revision is not None and not 0 <= self.revision <= 0xFF:
            raise ValueError("revision is the 8-bit PCI revision id")

    def describe(self) -> str:
        """Short human form, e.g. ``pci 10de:2330 sub 10de:16c1``."""
        parts = []
        if self.vendor_id is not None or self.device_id is not None:
            parts.append(f"pci {_hex(self.vendor_id)}:{_hex(self.device_id)}")
        if self.subsystem_vendor_id is not None or self.subsystem_id is not None:
            parts.append(f"sub {_hex(self.subsystem_vendor_id)}:{_hex(self.subsystem_id)}")
        if self.class_code is not None:
            parts.append(f"class {self.class_code:06x}")
        if self.hw_identity:
            parts.append(f"hw {self.hw_identity!r}")
        return " ".join(parts) or "unidentified device"


def _hex(value: int | None) -> str:
    return "????" if value is None else f"{value:04x}"


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    """A device-class selector; every non-``None`` field must equal the identity's.

    ``class_code_mask`` selects which class-code bits matter (``0xFF0000`` = base class only).
    """

    vendor_id: int | None = None
    device_id: int | None = None
    subsystem_vendor_id: int | None = None
    subsystem_id: int | None = None
    class_code: int | None = None
    class_code_mask: int = 0xFFFFFF
    hw_identity: str | None = None

    def __post_init__(self) -> None:
        for name in ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_id"):
            _check_u16(name, getattr(self, name))
        if self.class_code is not None and not 0 <= self.class_code <= 0xFFFFFF:
            raise ValueError("class_code is the 24-bit PCI class code")

    def matches(self, device: DeviceIdentity) -> bool:
        """Whether ``device`` belongs to this class (a selector, not a trust decision)."""
        for name in ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_id"):
            want = getattr(self, name)
            if want is not None and getattr(device, name) != want:
                return False
        if self.class_code is not None:
            if device.class_code is None:
                return False
            if (device.class_code ^ self.class_code) & self.class_code_mask:
                return False
        return self.hw_identity is None or device.hw_identity == self.hw_identity

    @property
    def is_wildcard(self) -> bool:
        """True for a selector that matches every device."""
        return self.specificity == 0

    @property
    def specificity(self) -> int:
        """How many fields constrain the match; the highest-specificity match wins."""
        fields = (self.vendor_id, self.device_id, self.subsystem_vendor_id, self.subsystem_id,
                  self.class_code, self.hw_identity)
        return sum(f is not None for f in fields)

    def describe(self) -> str:
        ident = DeviceIdentity(self.vendor_id, self.device_id, self.subsystem_vendor_id,
                               self.subsystem_id, self.class_code, self.hw_identity)
        return "any device" if self.is_wildcard else ident.describe()
