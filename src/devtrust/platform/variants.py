# SPDX-License-Identifier: BSD-3-Clause
"""The kernel variant the emulated platform boots with unless told otherwise."""

from __future__ import annotations

from dataclasses import replace

from devtrust.kernel.variants import MmioSource, Variant, last_design, preset

__all__ = ["platform_variant", "variant_by_name"]


def platform_variant(cc_guest: bool) -> Variant:
    """The last design state of the thread, with encrypted MMIO taken from the report.

    ``cc_guest`` is accepted for symmetry; the kernel model derives CC-specific
    behaviour (swiotlb, default levels) from the topology itself.
    """
    del cc_guest
    return replace(last_design(), name="devtrust", mmio_source=MmioSource.REPORT)


def variant_by_name(name: str) -> Variant:
    """A preset by name, plus ``devtrust`` (the platform default)."""
    if name == "devtrust":
        return platform_variant(True)
    return preset(name)
