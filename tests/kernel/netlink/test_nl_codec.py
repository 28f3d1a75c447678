# SPDX-License-Identifier: BSD-3-Clause
"""Byte-exact netlink codec: golden vectors, round trips, hostile input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from devtrust.kernel.netlink.codec import (
    NLM_F_ACK_TLVS,
    NLM_F_DUMP,
    NLM_F_MULTI,
    NLM_F_REQUEST,
    NLMSG_DONE,
    Attr,
    DoneMessage,
    ErrorMessage,
    GenlMessage,
    NlMsgHdr,
    attr_string,
    attr_u32,
    decode_attrs,
    decode_message,
    encode_attrs,
    split_messages,
)
from devtrust.kernel.netlink.ctrl import FamilyInfo, decode_family, encode_getfamily
from devtrust.testing.codecs import assert_codec, assert_decoder_total

# Hand-assembled from uapi netlink.h/genetlink.h layouts: an evidence-read dump
# request for "10000:01:00.0", mask 2047, flags 0, family id 0x1e, seq 1.
GOLDEN_REQUEST = bytes.fromhex(
    "38000000" "1e00" "0103" "01000000" "00000000"   # nlmsghdr len 56, DUMP|REQUEST
    "01010000"                                       # cmd 1, version 1, reserved
    "0800" "0200" "ff070000"                         # TYPE_MASK = 2047
    "0800" "0300" "00000000"                         # FLAGS = 0
    "1200" "0400" + b"10000:01:00.0".hex() + "00" + "0000"  # DEV_NAME + NUL + pad
)


def test_golden_request_bytes() -> None:
    msg = GenlMessage(0x1E, NLM_F_REQUEST | NLM_F_DUMP, 1, 0, 1, 1,
                      (attr_u32(2, 2047), attr_u32(3, 0), attr_string(4, "10000:01:00.0")))
    assert msg.encode() == GOLDEN_REQUEST
    assert_codec(decode_message, GOLDEN_REQUEST, msg)


def test_golden_done_with_extack() -> None:
    data = bytes.fromhex("28000000" "0300" "0202" "07000000" "99000000" "faffffff"
                         "1300" "0100") + b"no TSM context\0" + b"\0"
    msg = DoneMessage(NLM_F_MULTI | NLM_F_ACK_TLVS, 7, 0x99, -6,
                      (attr_string(1, "no TSM context"),))
    assert_codec(decode_message, data, msg)
    assert msg.extack_msg == "no TSM context"
    assert decode_message(data).encode()[4:6] == NLMSG_DONE.to_bytes(2, "little")


def test_golden_error_echoes_request() -> None:
    orig = NlMsgHdr(*[int.from_bytes(GOLDEN_REQUEST[a:b], "little")
                      for a, b in ((0, 4), (4, 6), (6, 8), (8, 12), (12, 16))])
    msg = ErrorMessage(0, 1, 0, -1, orig, GOLDEN_REQUEST[16:])
    data = msg.encode()
    assert data[:4] == (16 + 4 + 56).to_bytes(4, "little")
    assert data[16:20] == bytes.fromhex("ffffffff") and data[20:] == GOLDEN_REQUEST
    assert_codec(decode_message, data, msg)


def test_attr_flag_bits_and_padding() -> None:
    a = Attr(5, b"\x01", nested=True, net_byteorder=True)
    assert a.encode() == bytes.fromhex("0500" "05c0" "01000000")
    assert decode_attrs(a.encode()) == (a,)


def test_nlctrl_shapes_round_trip() -> None:
    info = FamilyInfo(0x1E, "pci-tsm", 1, 0, 6, ((1, 0x0D),))
    msg = info.to_message(seq=3, pid=0)
    decoded = decode_message(msg.encode())
    assert isinstance(decoded, GenlMessage) and decode_family(decoded) == info
    req = decode_message(encode_getfamily("pci-tsm", seq=9))
    assert isinstance(req, GenlMessage) and req.family == 0x10 and req.cmd == 3


def test_split_messages() -> None:
    done = DoneMessage(NLM_F_MULTI, 1, 0).encode()
    assert split_messages(GOLDEN_REQUEST + done) == (GOLDEN_REQUEST, done)


attrs_st = st.lists(st.builds(Attr, st.integers(0, 0x3FFF), st.binary(max_size=40),
                              st.booleans(), st.booleans()), max_size=6).map(tuple)


@given(attrs_st)
def test_attr_stream_round_trip(attrs: tuple[Attr, ...]) -> None:
    assert decode_attrs(encode_attrs(attrs)) == attrs


@given(attrs_st, st.integers(0, 2**32 - 1), st.integers(0, 0xFF), st.integers(0x10, 0xFFFF))
def test_genl_message_round_trip(attrs: tuple[Attr, ...], seq: int, cmd: int,
                                 family: int) -> None:
    msg = GenlMessage(family, NLM_F_MULTI, seq, 0, cmd, 1, attrs)
    assert_codec(decode_message, msg.encode(), msg)


@given(st.binary(max_size=120))
def test_decoders_raise_only_wire_error(data: bytes) -> None:
    assert_decoder_total(decode_message, data)
    assert_decoder_total(decode_attrs, data)
    assert_decoder_total(split_messages, data)


@given(st.binary(max_size=60), st.integers(0, 63))
def test_mutated_messages_raise_only_wire_error(noise: bytes, cut: int) -> None:
    base = GOLDEN_REQUEST[:cut] + noise
    assert_decoder_total(decode_message, base)
    assert_decoder_total(decode_message, len(base).to_bytes(4, "little") + base[4:])
