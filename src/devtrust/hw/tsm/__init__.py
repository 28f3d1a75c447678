# SPDX-License-Identifier: BSD-3-Clause
"""Emulated TSMs: the host "link" TSM and the guest "devsec" TSM."""

__all__: list[str] = []
