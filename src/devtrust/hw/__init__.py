# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.hw."""

__all__: list[str] = []
