# SPDX-License-Identifier: BSD-3-Clause
"""Emulated device security manager: SPDM, TDISP and IDE_KM responders and the device."""

__all__: list[str] = []
