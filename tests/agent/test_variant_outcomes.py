# SPDX-License-Identifier: BSD-3-Clause
"""The default scenario under every kernel design variant, with the findings pinned.

Two variants cannot meet the scenario's expectations, and that is the point of
running them: v2 has no ERROR handling, so a device that drops to ERROR after
accept stays accepted (trust-model.md S8); "only built-ins trusted" lets the
built-in NVMe driver raise the drive to its configured level at probe, so the
policy cannot hold it at 1 (V8 c).
"""

from __future__ import annotations

import pytest

from devtrust.agent.runner import run_emulated
from devtrust.kernel.variants import presets

EXPECTED_UNMET = {
    "v2": {"gpu-unstable"},
    "v2-bugs": {"gpu-unstable"},
    "squashed-builtin": {"nvme0"},
}


@pytest.mark.parametrize("variant", ["devtrust", *(v.name for v in presets())])
def test_expectations_per_variant(variant: str) -> None:
    report = run_emulated(variant=variant)
    unmet = {e.device for e in report.expectations if not e.met}
    assert unmet == EXPECTED_UNMET.get(variant, set()), report.expectations
