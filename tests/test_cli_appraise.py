# SPDX-License-Identifier: BSD-3-Clause
"""``devtrust appraise BUNDLE --policy FILE --refs DIR --json`` on the shipped examples."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from devtrust.cli import app

EX = Path(__file__).resolve().parent.parent / "docs" / "examples"
runner = CliRunner()


def test_appraise_json_has_level_claims_status() -> None:
    res = runner.invoke(app, ["appraise", str(EX / "bundle.json"), "--policy",
                              str(EX / "policy.yaml"), "--refs", str(EX / "refs"),
                              "--trust-store", str(EX / "trust"), "--json"])
    doc = json.loads(res.output)
    assert isinstance(doc["trust_level"], int) and doc["trust_level"] == 4
    assert isinstance(doc["claims"], list) and doc["claims"]
    assert doc["status"] == "affirming" and res.exit_code == 0


def test_without_anchors_the_appraisal_still_answers(tmp_path: Path) -> None:
    res = runner.invoke(app, ["appraise", str(EX / "bundle.json"), "--policy",
                              str(EX / "policy.yaml"), "--refs", str(EX / "refs"), "--json"])
    doc = json.loads(res.stdout)
    assert doc["trust_level"] == 0 and doc["capped_by"]["source"] == "claim:chain.anchor"
    assert res.exit_code == 1
