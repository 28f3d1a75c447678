# SPDX-License-Identifier: BSD-3-Clause
"""The devtrust command line: a thin shell over the library (one command, one call)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from devtrust.appraise.trust_store import TrustStore

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Confidential PCIe device acceptance (PCI/TSM, TDISP, SPDM).")
spdm_app = typer.Typer(no_args_is_help=True, help="SPDM evidence tools.")
refs_app = typer.Typer(no_args_is_help=True, help="Local reference-value stores.")
scenario_app = typer.Typer(no_args_is_help=True, help="Emulated-platform scenarios.")
app.add_typer(spdm_app, name="spdm")
app.add_typer(refs_app, name="refs")
app.add_typer(scenario_app, name="scenario")

_JSON = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"devtrust: {message}", err=True)
    return typer.Exit(code)


def _parse_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@spdm_app.command("verify")
def spdm_verify(
    transcript: Annotated[Path, typer.Option(help="GET_MEASUREMENTS||MEASUREMENTS "
                                             "(optionally VCA-prefixed), hex or binary.")],
    certs: Annotated[Path, typer.Option(help="Chain: PEM (any order), DER, SPDM chain; "
                                        "hex or binary.")],
    nonce: Annotated[str | None, typer.Option(help="Expected requester nonce (hex).")] = None,
    vca: Annotated[Path | None, typer.Option(help="VCA transcript, when not in the "
                                             "transcript file.")] = None,
    trust_store: Annotated[Path | None, typer.Option(
        help="Directory of pinned roots; without it the chain is not anchored.")] = None,
    at: Annotated[str | None, typer.Option(help="Validation time (ISO 8601), default now.")] = None,
    as_json: _JSON = False,
) -> None:
    """Verify an SPDM measurement transcript against a certificate chain.

    Exit status 0 only if the signature verifies (and the nonce and chain, when given).
    """
    from devtrust.appraise.blobs import read_blob
    from devtrust.appraise.errors import AppraisalInputError
    from devtrust.appraise.spdm_report import spdm_verify_report

    try:
        report = spdm_verify_report(
            read_blob(transcript.read_bytes()), read_blob(certs.read_bytes()),
            nonce=bytes.fromhex(nonce) if nonce else None,
            vca=read_blob(vca.read_bytes()) if vca else None,
            trust_store=trust_store, at=_parse_time(at))
    except (AppraisalInputError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(f"SPDM {report['spdm_version']}: signature "
                   f"{'valid' if report['signature_valid'] else 'INVALID'} "
                   f"({report['reason']})")
        for block in report["measurement_blocks"]:
            kind = "raw" if block["raw"] else "digest"
            typer.echo(f"  [{block['index']:3d}] {block['value_type_name']:<32} {kind:6} "
                       f"{block['value'][:64]}")
    raise typer.Exit(0 if report["ok"] else 1)


@app.command("appraise")
def appraise_cmd(
    bundle: Annotated[Path, typer.Argument(help="Evidence bundle (JSON).")],
    policy: Annotated[Path | None, typer.Option(help="Policy file (YAML/TOML/JSON).")] = None,
    refs: Annotated[Path | None, typer.Option(help="Reference-value store directory.")] = None,
    trust_store: Annotated[Path | None, typer.Option(
        help="Pinned roots; default REFS/trust.")] = None,
    at: Annotated[str | None, typer.Option(help="Appraisal time (ISO 8601).")] = None,
    ear_key: Annotated[Path | None, typer.Option(
        help="Sign the result as an EAR JWT with this EC private key (PEM); prints the token.")
    ] = None,
    as_json: _JSON = False,
) -> None:
    """Appraise an evidence bundle: checks, claims, trust vector and decided trust level."""
    from devtrust.appraise.bundle import load_bundle
    from devtrust.appraise.engine import appraise_bundle
    from devtrust.appraise.errors import AppraisalInputError
    from devtrust.appraise.policy import DEFAULT_POLICY, load_policy
    from devtrust.appraise.refstore import RefStore

    try:
        ev = load_bundle(bundle)
        pol = load_policy(policy or DEFAULT_POLICY)
        store = _trust_store(trust_store, refs)
        result = appraise_bundle(ev, policy=pol, trust_store=store,
                                 refs=RefStore.from_dir(refs) if refs else None,
                                 at=_parse_time(at) if at else ev.collected_at)
    except AppraisalInputError as exc:
        raise _fail(str(exc)) from None
    if ear_key is not None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from devtrust.appraise.ear import EarError
        try:
            key = load_pem_private_key(ear_key.read_bytes(), password=None)
            typer.echo(result.to_ear_jwt(key))
        except (OSError, ValueError, TypeError, EarError) as exc:
            raise _fail(f"cannot sign the EAR: {exc}") from None
    elif as_json:
        typer.echo(result.to_json())
    else:
        _print_result(result)
    raise typer.Exit(0 if result.trust_level > 0 else 1)


def _trust_store(trust_store: Path | None, refs: Path | None) -> TrustStore:
    """--trust-store, else REFS/trust, else roots kept in REFS itself; without any, an
    empty store: the appraisal still runs and reports the chain as not anchored."""
    from devtrust.appraise.trust_store import TrustStore

    for candidate in (trust_store, refs / "trust" if refs else None, refs):
        if candidate is not None and candidate.is_dir():
            store = TrustStore.from_dir(candidate)
            if store.anchors or candidate == trust_store:
                return store
    typer.echo("devtrust: no trust anchors found; chains cannot be anchored", err=True)
    return TrustStore.from_certificates()


def _print_result(result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{result.device}: trust level {result.trust_level} "
                  f"(target {result.target_level}, capped by {result.capped_by.source})")
    table.add_column("claim")
    table.add_column("status")
    table.add_column("reason")
    for claim in result.claims:
        table.add_row(claim.name, claim.status.value, claim.reason)
    console.print(table)


@app.command("accept")
def accept_cmd(
    policy: Annotated[Path, typer.Option(help="Appraisal policy.")],
    trust_store: Annotated[Path, typer.Option(help="Pinned vendor roots.")],
    refs: Annotated[Path | None, typer.Option(help="Reference-value store.")] = None,
    root: Annotated[str, typer.Option(help="Filesystem root holding sys/ (tests).")] = "/",
    kernel_levels: Annotated[int, typer.Option(help="The kernel's level set (4 or 5).")] = 5,
    journal: Annotated[Path | None, typer.Option(help="Write the journal (JSONL).")] = None,
) -> None:
    """Run the acceptance agent against the running kernel (/sys and pci-tsm netlink)."""
    from devtrust.agent.acceptance import AcceptanceAgent
    from devtrust.appraise.engine import Appraiser
    from devtrust.appraise.errors import AppraisalInputError
    from devtrust.appraise.policy import load_policy
    from devtrust.appraise.refstore import RefStore
    from devtrust.appraise.trust_store import TrustStore
    from devtrust.platform.sysfs import SysfsPlatform

    try:
        appraiser = Appraiser(load_policy(policy), TrustStore.from_dir(trust_store),
                              RefStore.from_dir(refs) if refs else None)
    except AppraisalInputError as exc:
        raise _fail(str(exc)) from None
    agent = AcceptanceAgent(SysfsPlatform(root), appraiser, clock=lambda: datetime.now(UTC),
                            kernel_levels=kernel_levels)
    try:
        outcomes = agent.run()
    except OSError as exc:
        raise _fail(f"cannot drive the kernel: {exc} (is CONFIG_PCI_TSM enabled and a TSM "
                    "registered under /sys/class/tsm?)") from None
    if journal is not None:
        journal.write_text(agent.journal.to_jsonl() + "\n")
    if not outcomes:
        typer.echo("no TSM-capable device found")
    for o in outcomes:
        typer.echo(f"{o.device}: decided {o.decided_level}, kernel trust {o.kernel_level}, "
                   f"RUN {'yes' if o.accepted else 'no'}{' - ' + o.error if o.error else ''}")
    raise typer.Exit(0 if all(o.ok for o in outcomes) else 1)


@app.command("check")
def check_cmd(
    variant: Annotated[str, typer.Option(help="Kernel design variant preset.")] = "last-design",
    max_states: Annotated[int, typer.Option(help="Stop after this many states.")] = 200_000,
    max_depth: Annotated[int, typer.Option(help="Stop below this depth.")] = 40,
    as_json: _JSON = False,
) -> None:
    """Explore every interleaving of the kernel model under a variant; print violations
    with their shortest counterexamples. Exit 0 when only expected violations occur and
    every ``sometimes`` property is reached."""
    import time

    from devtrust.check.report import run_check

    try:
        report = run_check(variant, max_states=max_states, max_depth=max_depth,
                           clock=time.monotonic)
    except KeyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(report.to_json() if as_json else report.render_text())
    raise typer.Exit(0 if report.ok else 1)


@refs_app.command("import")
def refs_import(store: Annotated[Path, typer.Argument(help="Store directory.")],
                files: Annotated[list[Path], typer.Argument(help="YAML/JSON/CoRIM files.")],
                overwrite: bool = False) -> None:
    """Validate and import reference-value files into a local store."""
    from devtrust.appraise.errors import AppraisalInputError
    from devtrust.appraise.refstore import RefStore

    store.mkdir(parents=True, exist_ok=True)
    try:
        ref_store = RefStore.from_dir(store)
        for item in files:
            ref_store = ref_store.import_file(item, overwrite=overwrite)
    except AppraisalInputError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{len(ref_store.list())} reference file(s) in {store}")


@refs_app.command("list")
def refs_list(store: Annotated[Path, typer.Argument(help="Store directory.")]) -> None:
    """List the device classes a store has reference values for."""
    from devtrust.appraise.errors import AppraisalInputError
    from devtrust.appraise.refstore import RefStore

    try:
        entries = RefStore.from_dir(store).list()
    except AppraisalInputError as exc:
        raise _fail(str(exc)) from None
    for entry in entries:
        typer.echo(str(entry))


@scenario_app.command("check")
def scenario_check(path: Annotated[Path, typer.Argument(help="Scenario YAML.")]) -> None:
    """Validate a scenario file (schema, then cross-references)."""
    from devtrust.hw.fleet import build_fleet
    from devtrust.hw.scenario import load_scenario

    try:
        fleet = build_fleet(load_scenario(path))
    except Exception as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{path}: ok, {len(fleet.devices)} device(s)")


@app.command()
def version() -> None:
    """Print the devtrust version."""
    from devtrust import __version__
    typer.echo(__version__)


@app.command()
def run(
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario YAML (default: built-in).")] = None,
    variant: Annotated[str, typer.Option(help="Kernel design variant (docs/variants.md).")
                       ] = "devtrust",
    policy: Annotated[Path | None, typer.Option(help="Appraisal policy.")] = None,
    digest_mode: Annotated[bool, typer.Option(help="TSMs deliver digests (SEV-TIO shape).")
                           ] = False,
    journal: Annotated[Path | None, typer.Option(help="Write the agent journal (JSONL).")
                       ] = None,
    export: Annotated[Path | None, typer.Option(
        help="Write evidence bundles, vendor roots and CoRIM reference values here.")] = None,
    as_json: _JSON = False,
) -> None:
    """Run the acceptance agent on the built-in emulated platform.

    Exit status 0 when every device ends where the scenario expects it.
    """
    from devtrust.agent.runner import run_emulated

    try:
        report = run_emulated(scenario=scenario, variant=variant, policy=policy,
                              digest_mode=digest_mode, export=export)
    except (KeyError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if journal is not None:
        journal.write_text(report.journal.to_jsonl() + "\n")
    if as_json:
        typer.echo(json.dumps(_run_json(report), indent=2))
    else:
        _print_run(report)
    raise typer.Exit(0 if report.ok else 1)


def _run_json(report) -> dict:
    return {
        "schema_version": 1,
        "variant": report.variant,
        "ok": report.ok,
        "devices": [
            {"device": o.device, "decided_level": o.decided_level,
             "kernel_level": o.kernel_level, "run": o.accepted, "error": o.error or None,
             "capped_by": o.result.capped_by.source if o.result else None,
             "reason": o.result.capped_by.reason if o.result else None}
            for o in report.final.values()],
        "expectations": [{"device": e.device, "met": e.met, "reason": e.reason}
                         for e in report.expectations],
    }


def _print_run(report) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=f"devtrust run (variant {report.variant})")
    table.add_column("function", no_wrap=True, min_width=13)
    table.add_column("decided", justify="right", min_width=7)
    table.add_column("trust", justify="right", min_width=5)
    table.add_column("RUN", min_width=3)
    table.add_column("why", overflow="fold")
    for o in report.final.values():
        why = o.error or (o.result.capped_by.reason if o.result else "")
        table.add_row(o.device, str(o.decided_level), str(o.kernel_level),
                      "yes" if o.accepted else "no", escape(why))
    console.print(table)
    for e in report.expectations:
        mark = "[green]ok[/green]" if e.met else "[red]UNEXPECTED[/red]"
        console.print(f"  {mark} {escape(e.device)}: {escape(e.reason)}")


def main() -> None:
    app(prog_name="devtrust")


__all__ = ["app", "main"]

if __name__ == "__main__":  # pragma: no cover
    main()
