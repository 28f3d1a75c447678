# SPDX-License-Identifier: BSD-3-Clause
"""Generate ``docs/faults.md`` from the fault catalogue (``devtrust.hw.faults.CATALOGUE``).

Run from the repository root::

    .venv/bin/python docs/gen_faults.py

``tests/test_docs_faults.py`` renders the page in memory and fails when the committed
file differs, so a catalogue change without a regenerated page cannot land.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from devtrust.hw.faults import CATALOGUE, FaultInfo, FaultSpec, Layer, Outcome, ParamSpec

__all__ = ["OUTPUT", "main", "render"]

OUTPUT = Path(__file__).resolve().parent / "faults.md"

# One line per layer and outcome. A new enum member without a line here makes render()
# raise KeyError, so the page can never silently omit a layer or an outcome.
_LAYERS = {
    Layer.PKI: "the device's certificates (built by `hw/pki.py` when the fleet is built)",
    Layer.SPDM: "SPDM messages and signatures from the device's DSM",
    Layer.MEASUREMENTS: "the firmware the device runs and the measurements it reports",
    Layer.TDISP: "TDISP messages, TDI state and the device interface report",
    Layer.IDE_KM: "IDE link encryption keys",
    Layer.CONFIG_SPACE: "PCI configuration space of a locked TDI",
}
_OUTCOMES = {
    Outcome.CHAIN_REJECTED: "the certificate chain fails validation",
    Outcome.SIGNATURE_REJECTED: "an SPDM signature fails verification",
    Outcome.EVIDENCE_REJECTED: "evidence is refused as inconsistent (digest or generation)",
    Outcome.MEASUREMENT_REJECTED: "a measurement fails against the reference values",
    Outcome.REPORT_REJECTED: "the TDISP interface report fails appraisal",
    Outcome.PROTOCOL_ERROR: "the exchange fails closed with a protocol error",
    Outcome.TRUST_DROPPED: "the kernel drops the device's trust level to 0",
    Outcome.RETRY_SUCCEEDS: "the requester retries within its budget and then succeeds",
}
_TYPE_NAMES = {int: "integer", str: "string", bool: "boolean"}


def _code(value: object) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _allowed(spec: ParamSpec) -> str:
    if spec.choices:
        # Some catalogue entries list a name twice (SPDM and TDISP both have get-version).
        unique = dict.fromkeys(spec.choices)
        return ", ".join(f"`{c}`" for c in unique)
    if spec.kind is int:
        return f">= {spec.minimum}"
    if spec.kind is bool:
        return "`true`, `false`"
    return "any string"


def _scenario_snippet(info: FaultInfo) -> str:
    """The scenario form with every default spelled out (validated by FaultSpec.of)."""
    entry = FaultSpec.of(info.fault).as_dict()
    text = yaml.safe_dump({"faults": [entry]}, sort_keys=False, default_flow_style=None)
    return text.rstrip("\n")


def _section(info: FaultInfo) -> list[str]:
    out = [f"## `{info.fault.value}`", ""]
    out.append("| layer | expected outcome |")
    out.append("|---|---|")
    out.append(f"| `{info.layer.value}` | `{info.outcome.value}` |")
    out += ["", f"**What the device does.** {info.description}", "",
            f"**Expected defence.** {info.defence}.", ""]
    if info.params:
        out += ["| parameter | type | default | allowed |", "|---|---|---|---|"]
        for p in info.params:
            out.append(f"| `{p.name}` | {_TYPE_NAMES[p.kind]} | {_code(p.default)} | "
                       f"{_allowed(p)} |")
        out.append("")
    else:
        out += ["No parameters.", ""]
    out += ["```yaml", _scenario_snippet(info), "```", ""]
    return out


def render() -> str:
    """The whole page as text (deterministic: catalogue order)."""
    entries = list(CATALOGUE.values())
    lines = [
        "<!-- GENERATED FILE: do not edit. Source: devtrust.hw.faults.CATALOGUE.",
        "     Regenerate with: .venv/bin/python docs/gen_faults.py",
        "     tests/test_docs_faults.py fails when this file is out of date. -->",
        "",
        "# Fault catalogue",
        "",
        "Scenario devices can be given named misbehaviours (`faults:` in a device entry, see",
        "[scenarios.md](scenarios.md)). Each fault below says where it acts, what the device",
        "does, which parameters it takes and what a *correct* verifier, TSM or kernel must do",
        "about it. Parameters are checked when the scenario is loaded; an omitted parameter",
        "takes its default, an unknown or out-of-range one is a one-line scenario error such",
        "as `devices[5].faults[0].params: parameter 'count' must be >= 0`.",
        "",
        "Where the faults are realised: PKI faults and `firmware-downgrade` when the fleet is",
        "built (`hw/fleet.py`, `hw/pki.py`); `measurements-changed-after-lock` when the DSM",
        "switches measurement sets after LOCK; all others as DSM behaviour",
        "(`hw/dsm/faults.py`).",
        "",
        "## Layers",
        "",
        "| layer | acts on |",
        "|---|---|",
        *(f"| `{layer.value}` | {_LAYERS[layer]} |" for layer in Layer),
        "",
        "## Outcomes",
        "",
        "| outcome | meaning |",
        "|---|---|",
        *(f"| `{outcome.value}` | {_OUTCOMES[outcome]} |" for outcome in Outcome),
        "",
        "## Index",
        "",
        "| fault | layer | outcome | parameters |",
        "|---|---|---|---|",
    ]
    for info in entries:
        params = ", ".join(f"`{p.name}`" for p in info.params) or "-"
        lines.append(f"| [`{info.fault.value}`](#{info.fault.value}) | `{info.layer.value}` | "
                     f"`{info.outcome.value}` | {params} |")
    lines.append("")
    for info in entries:
        lines += _section(info)
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
