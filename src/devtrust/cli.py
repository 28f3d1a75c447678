# SPDX-License-Identifier: BSD-3-Clause
"""The devtrust command line."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Confidential PCIe device acceptance (PCI/TSM, TDISP, SPDM).")


@app.command()
def run() -> None:
    """Run the acceptance agent on the built-in emulated platform."""
    typer.echo("devtrust: emulated platform not built yet")


@app.command()
def version() -> None:
    """Print the devtrust version."""
    from devtrust import __version__
    typer.echo(__version__)


def main() -> None:
    app()


__all__ = ["app", "main"]
