# SPDX-License-Identifier: BSD-3-Clause
"""Exceptions raised by the appraiser.

Two families, kept apart on purpose:

* :class:`AppraisalInputError` - the *input* could not be read: evidence bytes that are
  not certificates, a trust-store directory with a broken file. These are raised before
  any security decision is taken. Every loader in :mod:`devtrust.appraise` raises only
  this family for bad input (a Hypothesis test feeds arbitrary bytes to prove it).
* :class:`VerificationError` - the input was readable but a check failed, raised by
  ``raise_for_failure()`` on a typed verdict when a caller prefers an exception.

Neither derives from ``ValueError``, so a stray ``ValueError`` from a library is never
mistaken for a documented outcome.
"""

from __future__ import annotations

__all__ = [
    "AppraisalInputError",
    "EvidenceFormatError",
    "TrustStoreError",
    "VerificationError",
]


class AppraisalInputError(Exception):
    """Base for every unreadable appraisal input.

    Attributes:
        source: what was being read, e.g. ``"certificate chain"`` or a file name.
        reason: what was wrong, in words.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class EvidenceFormatError(AppraisalInputError):
    """Device-supplied evidence (certificates, DICE extensions) that does not parse."""


class TrustStoreError(AppraisalInputError):
    """A local trust-store file (anchor, roots.json, CRL, OCSP response) that does not load."""


class VerificationError(Exception):
    """A check ran and failed; carries the verdict that failed."""

    def __init__(self, message: str, verdict: object) -> None:
        self.verdict = verdict
        super().__init__(message)
