# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.platform."""

__all__: list[str] = []
