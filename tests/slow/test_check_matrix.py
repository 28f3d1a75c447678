# SPDX-License-Identifier: BSD-3-Clause
"""The checker's variant matrix: every preset explored exhaustively in the full scope.

The full scope adds module load/unload and the global autoprobe switch to the
small one. Disagreements with ``expected_violations`` are the ones the small
scope already pins as ``fixme_*`` (tests/check/test_kernel_verdicts.py).
"""

from __future__ import annotations

import pytest

from devtrust.check import FULL, check_variant
from devtrust.kernel.variants import Variant, presets

pytestmark = pytest.mark.slow

KNOWN_UNEXPECTED = {"dan-b2": {"S17"}, "async-t1": {"S17", "S7"}}
KNOWN_UNREACHED = {"squashed-builtin": {
    "private-dma", "tcb-in-run", "run-below-tcb", "leaves-run", "dma-direct-private",
    "accepted-run", "encrypted-ioremap", "enters-run", "unlock-after-accept", "run-validated",
    "error-in-run"}}


@pytest.mark.parametrize("variant", presets(), ids=lambda v: v.name)
def test_full_scope(variant: Variant) -> None:
    report = check_variant(variant, FULL)
    assert report.result.stats.exhaustive, report.result.stats
    assert report.unexpected <= KNOWN_UNEXPECTED.get(variant.name, set()), report.render_text()
    unreached = {v.prop for v in report.result.unreached()}
    assert unreached <= KNOWN_UNREACHED.get(variant.name, set()), report.render_text()
    for cx in report.counterexamples:
        exec(cx.snippet, {})
