# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.wire.spdm."""

__all__: list[str] = []
