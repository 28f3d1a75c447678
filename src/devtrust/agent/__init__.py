# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.agent."""

__all__: list[str] = []
