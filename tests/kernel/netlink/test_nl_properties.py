# SPDX-License-Identifier: BSD-3-Clause
"""Properties of the dump server: total over hostile requests, lossless chunking,
and ``Return:`` docstrings listing errnos in the kernel's check order (STYLE 10)."""

from __future__ import annotations

import errno
import re

from hypothesis import given
from hypothesis import strategies as st

from devtrust.kernel.netlink import DumpOptions, dump_callback, dump_start, handle_request
from devtrust.kernel.netlink.codec import (
    NLM_F_DUMP,
    NLM_F_REQUEST,
    Attr,
    DoneMessage,
    GenlMessage,
    attr_string,
    attr_u32,
    decode_message,
)
from devtrust.platform.netlink_client import parse_dump_reply
from devtrust.wire.evidence import EvidenceObject, EvidenceSet, EvidenceType

FAM = 0x1E
OPT = DumpOptions(family_id=FAM)
DEV = "10000:01:00.0"


@given(st.binary(max_size=96), st.booleans())
def test_server_is_total_over_random_requests(tail: bytes, admin: bool) -> None:
    for raw in (tail, (16 + len(tail)).to_bytes(4, "little") + b"\x1e\x00\x01\x03" + bytes(8)
                + tail):
        for reply in handle_request(raw, {DEV: (True, EvidenceSet(1))}, is_admin=admin,
                                    options=OPT):
            decode_message(reply)  # every reply is well-formed


@given(st.lists(st.builds(Attr, st.integers(0, 8), st.binary(max_size=40)), max_size=5),
       st.booleans())
def test_server_is_total_over_random_attributes(attrs: list[Attr], admin: bool) -> None:
    req = GenlMessage(FAM, NLM_F_REQUEST | NLM_F_DUMP, 1, 0, 1, 1, tuple(attrs)).encode()
    out = handle_request(req, {DEV: (True, EvidenceSet(1))}, is_admin=admin, options=OPT)
    assert out and all(decode_message(m) for m in out)


@given(st.dictionaries(st.sampled_from(list(EvidenceType)), st.binary(max_size=3000),
                       min_size=1),
       st.integers(1, 2047), st.integers(37, 5000))
def test_chunking_is_lossless(objs: dict[EvidenceType, bytes], mask: int, room: int) -> None:
    ev = EvidenceSet(0)
    for kind, data in objs.items():
        ev = ev.replace(kind, EvidenceObject(data))
    req = GenlMessage(FAM, NLM_F_REQUEST | NLM_F_DUMP, 1, 0, 1, 1,
                      (attr_u32(2, mask), attr_string(4, DEV))).encode()
    state = dump_start(req, {DEV: (True, ev)}, is_admin=True, options=OPT)
    out: list[bytes] = []
    while not state.finished:  # type: ignore[union-attr]
        state, sent = dump_callback(state, {DEV: (True, ev)}, room=room,  # type: ignore[arg-type]
                                    options=OPT)
        assert all(len(m) <= room for m in sent if not isinstance(decode_message(m),
                                                                 DoneMessage))
        out.extend(sent)
    got = dict(parse_dump_reply(out, family_id=FAM, type_mask=mask))
    assert got == {k: ev.get(k).data for k in EvidenceType if mask & k.flag}


def _return_errnos(fn: object) -> list[str]:
    doc = fn.__doc__ or ""
    return re.findall(r"\bE[A-Z]{2,}\b", doc.split("Return:", 1)[1])


def test_return_sections_follow_kernel_check_order() -> None:
    # kernel-abi.md §3.9 netlink rows, in order, preceded by the genetlink layer.
    assert _return_errnos(dump_start) == [
        "ENOENT", "EINVAL", "EOPNOTSUPP", "EPERM", "EINVAL", "ERANGE", "EINVAL", "EINVAL",
        "EINVAL", "EINVAL", "EINVAL", "ENODEV", "EINVAL"]
    assert _return_errnos(dump_callback) == [
        "EOPNOTSUPP", "EINTR", "ENXIO", "EINTR", "ENXIO", "EAGAIN", "EMSGSIZE"]
    for name in _return_errnos(dump_start) + _return_errnos(dump_callback):
        assert hasattr(errno, name)


def _abi_netlink_rows() -> list[tuple[str, str, str]]:
    import os
    from pathlib import Path
    shared = Path(os.environ.get("DEVTRUST_SHARED", Path(__file__).resolve().parents[4] / "shared"))
    spec_file = shared / "spec" / "kernel-abi.md"
    if not spec_file.is_file():
        import pytest
        pytest.skip(f"{spec_file} not available")
    rows = []
    for line in spec_file.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and cells[1] in ("netlink dump start", "netlink dump"):
            rows.append((cells[1], cells[2], cells[3]))
    return rows


def _is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(x == y for y in it) for x in needle)


def test_return_sections_agree_with_errno_table() -> None:
    rows = _abi_netlink_rows()
    start = [re.findall(r"\bE[A-Z]+\b", e)[0] for op, _c, e in rows if op == "netlink dump start"]
    assert start == ["EINVAL"] * 5 + ["ENODEV", "EINVAL"]
    assert _is_subsequence(start, _return_errnos(dump_start))
    dump = [m[0] for op, _c, e in rows if op == "netlink dump"
            for m in [re.findall(r"\bE[A-Z]+\b", e)] if m and "refresh" not in _c]
    assert dump == ["ENXIO", "ENXIO", "EAGAIN", "EMSGSIZE"]
    assert _is_subsequence(dump, _return_errnos(dump_callback))
    # Every extack string of the table appears in the docstrings, %-formats included.
    docs = (dump_start.__doc__ or "") + (dump_callback.__doc__ or "")
    flat = " ".join(docs.split())
    for _op, _cond, text in rows:
        for quoted in re.findall(r'"([^"]+)"', text):
            assert quoted in flat, quoted
