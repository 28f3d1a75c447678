# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.wire."""

__all__: list[str] = []
