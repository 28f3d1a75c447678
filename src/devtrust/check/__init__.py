# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.check."""

__all__: list[str] = []
