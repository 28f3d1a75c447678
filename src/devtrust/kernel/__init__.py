# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.kernel."""

__all__: list[str] = []
