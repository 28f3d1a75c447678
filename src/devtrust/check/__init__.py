# SPDX-License-Identifier: BSD-3-Clause
"""devtrust.check: an explicit-state model checker over the pure kernel core.

:func:`explore` searches any :class:`Model` (breadth-first by default);
:class:`KernelModel` presents ``devtrust.kernel`` as one; :func:`run_check`
explores a named design variant and reports every invariant's verdict with
replayable counterexamples.
"""

from devtrust.check.explorer import (
    CheckResult,
    Limits,
    Search,
    Stats,
    Status,
    Trace,
    Verdict,
    explore,
)
from devtrust.check.kernel_model import FULL, SMALL, KernelModel, Scope, one_device_topology
from devtrust.check.model import (
    Fingerprinter,
    Model,
    Property,
    PropertyKind,
    Replayable,
    always,
    fingerprint,
    sometimes,
)
from devtrust.check.render import python_snippet, step_table, to_dot
from devtrust.check.report import CheckReport, Counterexample, check_variant, run_check

__all__ = [
    "FULL",
    "SMALL",
    "CheckReport",
    "CheckResult",
    "Counterexample",
    "Fingerprinter",
    "KernelModel",
    "Limits",
    "Model",
    "Property",
    "PropertyKind",
    "Replayable",
    "Scope",
    "Search",
    "Stats",
    "Status",
    "Trace",
    "Verdict",
    "always",
    "check_variant",
    "explore",
    "fingerprint",
    "one_device_topology",
    "python_snippet",
    "run_check",
    "sometimes",
    "step_table",
    "to_dot",
]
