# SPDX-License-Identifier: BSD-3-Clause
"""One named check and its outcome: the unit every appraisal verdict is built from."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of one named check. ``subject`` says what it was applied to (e.g. ``"cert[1]"``)."""

    name: str
    ok: bool
    reason: str
    subject: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a check needs a name")

    def __str__(self) -> str:
        where = f" [{self.subject}]" if self.subject else ""
        return f"{'PASS' if self.ok else 'FAIL'} {self.name}{where}: {self.reason}"
