# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.appraise."""

__all__: list[str] = []
