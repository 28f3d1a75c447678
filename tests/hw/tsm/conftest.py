# SPDX-License-Identifier: BSD-3-Clause
"""The TSM tests reuse the DSM test rig (tests/hw/dsm/dsm_rig.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dsm"))
