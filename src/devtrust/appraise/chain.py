# SPDX-License-Identifier: BSD-3-Clause
"""Walk an SPDM/DICE certificate chain from a pinned anchor to the leaf.

``cryptography``'s ``x509.verification`` refuses chains whose certificates carry
critical TCG DICE extensions (landscape.md pitfall 1), so the walk is done here:
anchor from the local store -> each link ``verify_directly_issued_by`` -> validity at
the given time -> BasicConstraints / KeyUsage / path length on issuers -> critical
extensions (known ones handled, DICE parsed into claims, unknown ones fail) ->
revocation from local data -> the SPDM/CMA leaf profile (:mod:`.leaf_profile`).

Every check is recorded; the verdict passes only if all of them do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from devtrust.appraise.certs import CertificateBundle, is_issued_by
from devtrust.appraise.checks import CheckResult
from devtrust.appraise.dice import (
    OID_MULTI_TCB_INFO,
    OID_TCB_INFO,
    OID_UEID,
    DiceTcbInfo,
    parse_multi_tcb_info,
    parse_tcb_info,
    parse_ueid,
)
from devtrust.appraise.errors import EvidenceFormatError, VerificationError
from devtrust.appraise.leaf_profile import (
    OID_DMTF_SPDM_EXTENSION,
    CertModel,
    LeafFacts,
    LeafProfile,
    RawExtension,
    check_leaf,
    raw_extensions,
)
from devtrust.appraise.trust_store import Anchor, AnchorMatch, RevocationStatus, TrustStore

__all__ = ["ChainVerdict", "DiceClaims", "validate_chain"]

# Extensions this walker interprets, and may therefore accept as critical.
_HANDLED = frozenset(o.dotted_string for o in (
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER)) | {OID_DMTF_SPDM_EXTENSION}
_DICE = frozenset({OID_TCB_INFO, OID_MULTI_TCB_INFO, OID_UEID})


@dataclass(frozen=True, slots=True)
class DiceClaims:
    """DICE claims carried by one certificate of the path (index into ``ChainVerdict.path``)."""

    index: int
    subject: str
    tcb_infos: tuple[DiceTcbInfo, ...]
    ueid: bytes | None


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """Outcome of :func:`validate_chain`.

    ``path`` is anchor-to-leaf (the pinned anchor heads it when the bundle omitted
    the root). ``checks`` lists every check in the order run; ``ok`` is true only
    when all passed. ``cert_model``, ``device_info`` and ``cma_identity`` come from
    the leaf and are reported even when a check failed.
    """

    ok: bool
    checks: tuple[CheckResult, ...]
    anchor: Anchor | None
    path: tuple[x509.Certificate, ...]
    leaf_public_key: object
    cert_model: CertModel | None
    dice: tuple[DiceClaims, ...]
    device_info: str | None
    cma_identity: str | None
    at: datetime

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.ok)

    @property
    def reason(self) -> str:
        """The first failure, or a one-line pass summary."""
        bad = self.failures
        return str(bad[0]) if bad else f"chain of {len(self.path)} verified"

    def raise_for_failure(self) -> None:
        """Raise :class:`VerificationError` naming the first failed check."""
        if not self.ok:
            raise VerificationError(f"certificate chain: {self.reason}", self)


def _name(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string()
    except ValueError:
        return "<unprintable subject>"


def _dice(index: int, cert: x509.Certificate, raw: dict[str, RawExtension]) -> DiceClaims | None:
    infos: list[DiceTcbInfo] = []
    if OID_TCB_INFO in raw:
        infos.append(parse_tcb_info(raw[OID_TCB_INFO].value))
    if OID_MULTI_TCB_INFO in raw:
        infos.extend(parse_multi_tcb_info(raw[OID_MULTI_TCB_INFO].value))
    ueid = parse_ueid(raw[OID_UEID].value) if OID_UEID in raw else None
    if not infos and ueid is None:
        return None
    return DiceClaims(index, _name(cert), tuple(infos), ueid)


def _issuer_checks(i: int, cert: x509.Certificate, below: int) -> list[CheckResult]:
    """CA checks for path[i], which has ``below`` non-leaf certificates under it."""
    out: list[CheckResult] = []
    who = f"path[{i}]"
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return [CheckResult("ca.basic_constraints", False, "issuer lacks BasicConstraints", who)]
    out.append(CheckResult("ca.basic_constraints", bc.ca, f"cA={bc.ca}", who))
    if bc.path_length is not None:
        out.append(CheckResult("ca.path_length", below <= bc.path_length,
                               f"{below} intermediate(s) below, pathLen {bc.path_length}", who))
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        out.append(CheckResult("ca.key_usage", ku.key_cert_sign,
                               f"keyCertSign={ku.key_cert_sign}", who))
    except x509.ExtensionNotFound:
        # RFC 5280 4.2.1.3 makes KeyUsage a SHOULD for CAs; libspdm's sample roots omit it.
        out.append(CheckResult("ca.key_usage", True, "KeyUsage absent (not restricted)", who))
    return out


def validate_chain(bundle: CertificateBundle, store: TrustStore, *, at: datetime,
                   profile: LeafProfile) -> ChainVerdict:
    """Validate ``bundle`` against ``store`` at time ``at`` under ``profile``.

    Returns a verdict listing every check. Raises :class:`EvidenceFormatError` only
    when a certificate's extensions cannot be parsed at all.
    """
    if at.tzinfo is None:
        raise ValueError("'at' must be timezone-aware")
    at = at.astimezone(UTC)
    checks: list[CheckResult] = []

    def add(name: str, ok: bool, reason: str, subject: str = "") -> None:
        checks.append(CheckResult(name, ok, reason, subject))

    anchor = store.anchor_for(bundle)
    if anchor is None:
        add("anchor", False, "the chain's topmost certificate is not pinned in the trust store "
            "(a chain's own self-signed root is never trusted)")
        path = bundle.certificates
    else:
        add("anchor", True, f"anchored by {anchor.match.value} ({anchor.source})")
        path = ((anchor.certificate, *bundle.certificates) if anchor.match is AnchorMatch.ISSUER
                else bundle.certificates)
    n = len(path)
    add("chain.length", n <= profile.max_chain_length,
        f"{n} certificates (limit {profile.max_chain_length})")
    if bundle.spdm_root_hash is not None:
        add("spdm.order", bundle.was_root_first, "SPDM chain root first" if bundle.was_root_first
            else "SPDM chain is not in root-to-leaf order")
        if is_issued_by(bundle.root, bundle.root):
            ok = bundle.spdm_root_hash_algorithm is not None
            add("spdm.root_hash", ok, f"RootHash = {bundle.spdm_root_hash_algorithm}(root)" if ok
                else "RootHash does not match the hash of the root certificate")
    signed = is_issued_by(path[0], path[0])
    if signed is not False:
        add("signature", signed is True, "root self-signature verifies" if signed
            else "unsupported algorithm for the root's self-signature", "path[0]")
    dice: list[DiceClaims] = []
    raws: list[dict[str, RawExtension]] = []
    for i, cert in enumerate(path):
        who = f"path[{i}]"
        try:
            _ = cert.extensions
            raw = {e.oid: e for e in raw_extensions(cert)}
        except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType,
                EvidenceFormatError) as exc:
            raise EvidenceFormatError("certificate chain", f"{who} extensions: {exc}") from exc
        raws.append(raw)
        if i:
            signed = is_issued_by(cert, path[i - 1])
            add("signature", signed is True,
                f"issued by path[{i - 1}]" if signed else
                "unsupported signature algorithm" if signed is None else
                f"not issued by path[{i - 1}] (name or signature mismatch)", who)
        lo, hi = cert.not_valid_before_utc, cert.not_valid_after_utc
        add("validity", lo <= at <= hi,
            f"{lo.isoformat()} .. {hi.isoformat()} at {at.isoformat()}", who)
        if i < n - 1 or profile.partial_alias_chain:
            # pathLen counts the CA certificates below this one (the leaf is not one,
            # except in a partial AliasCert chain, which ends at a CA).
            below = n - 1 - i if profile.partial_alias_chain else n - 2 - i
            checks.extend(_issuer_checks(i, cert, max(0, below)))
        accepted = _HANDLED | profile.accepted_critical | (_DICE if profile.allow_dice else set())
        unknown = sorted(o for o, e in raw.items() if e.critical and o not in accepted)
        add("critical_extensions", not unknown,
            "all critical extensions understood" if not unknown
            else f"unhandled critical extension(s) {', '.join(unknown)}", who)
        try:
            claims = _dice(i, cert, raw)
        except EvidenceFormatError as exc:
            add("dice", False, f"malformed DICE extension: {exc.reason}", who)
        else:
            if claims is not None:
                dice.append(claims)
                add("dice", True, f"{len(claims.tcb_infos)} TcbInfo entr(ies) parsed", who)
        if i and anchor is not None:
            rev = store.revocation_status(cert, path[i - 1], at=at)
            ok = rev.status is RevocationStatus.GOOD or (
                rev.status is RevocationStatus.UNKNOWN and not profile.require_revocation_info)
            add("revocation", ok, f"{rev.status.value}: {rev.reason}", who)
    if profile.partial_alias_chain:
        facts = LeafFacts(CertModel.ALIAS_CERT, None, None)
        add("leaf.partial_alias_chain", True, "chain ends at the DeviceCert CA; no leaf profile")
    else:
        leaf_checks, facts = check_leaf(path[-1], raws[-1], profile)
        checks.extend(leaf_checks)
    result = tuple(checks)
    return ChainVerdict(
        ok=all(c.ok for c in result), checks=result, anchor=anchor, path=tuple(path),
        leaf_public_key=path[-1].public_key() if _has_key(path[-1]) else None,
        cert_model=facts.model, dice=tuple(dice), device_info=facts.device_info,
        cma_identity=facts.cma_identity, at=at)


def _has_key(cert: x509.Certificate) -> bool:
    try:
        cert.public_key()
    except Exception:
        return False
    return True
