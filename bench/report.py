# SPDX-License-Identifier: BSD-3-Clause
"""Markdown table from pytest-benchmark JSON: ``python bench/report.py run.json [before.json]``.

Columns: median time, operations/s (from the median), and the throughput
figures the benchmarks put in ``extra_info``. With a second file, a
"before" median and the speed-up are added.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _load(path: str) -> dict[str, dict]:
    data = json.loads(Path(path).read_text())
    return {b["fullname"].split("::", 1)[1]: b for b in data["benchmarks"]}


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("µs", 1e6)):
        if seconds * scale >= 1:
            return f"{seconds * scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _extra(info: dict) -> str:
    keys = ("MB_per_s", "messages_per_s", "ms_per_device", "bytes_per_round",
            "messages_per_round", "devices")
    return ", ".join(f"{k}={info[k]}" for k in keys if k in info)


def main(argv: list[str]) -> int:
    now = _load(argv[1])
    before = _load(argv[2]) if len(argv) > 2 else {}
    head = "| benchmark | median | ops/s | throughput |"
    rule = "|---|---:|---:|---|"
    if before:
        head += " before | speed-up |"
        rule += "---:|---:|"
    print(head)
    print(rule)
    for name, bench in now.items():
        median = bench["stats"]["median"]
        row = f"| {name} | {_time(median)} | {1 / median:,.1f} | {_extra(bench['extra_info'])} |"
        if before:
            old = before.get(name)
            row += (f" {_time(old['stats']['median'])} | {old['stats']['median'] / median:.2f}x |"
                    if old else " | |")
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
