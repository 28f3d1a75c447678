# SPDX-License-Identifier: BSD-3-Clause
"""Test support shipped with the package: codec assertions and state machines.

Importing this package needs the ``test`` extra (pytest, hypothesis).
"""

__all__: list[str] = []
