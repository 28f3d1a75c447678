# SPDX-License-Identifier: BSD-3-Clause
"""``devtrust check`` runs the checker and says whether the verdict is exhaustive."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from devtrust.cli import app


def test_bounded_check_says_bounded() -> None:
    res = CliRunner().invoke(app, ["check", "--variant", "jason-strict", "--max-states", "300",
                                   "--json"])
    doc = json.loads(res.output)
    assert doc["variant"] == "jason-strict"
    assert "bounded" in json.dumps(doc)


def test_unknown_variant_is_a_clean_error() -> None:
    res = CliRunner().invoke(app, ["check", "--variant", "nope"])
    assert res.exit_code == 2 and "devtrust:" in res.output
