# SPDX-License-Identifier: BSD-3-Clause
"""Every SPDM structure round-trips: build a valid object, encode, decode, compare."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spdm_strategies import CASES

from devtrust.testing.codecs import assert_codec


@pytest.mark.parametrize("name", sorted(CASES))
def test_roundtrip(name: str) -> None:
    make_decoder, strategy = CASES[name]

    @given(strategy)
    def check(params: object) -> None:
        obj = params[0] if isinstance(params, tuple) else params
        assert_codec(make_decoder(params), obj.encode(), obj)

    check()


@given(st.data())
def test_hostile_after_valid(data: st.DataObject) -> None:
    """Truncating or extending a valid encoding never crashes a decoder."""
    from devtrust.testing.codecs import assert_decoder_total
    name = data.draw(st.sampled_from(sorted(CASES)))
    make_decoder, strategy = CASES[name]
    params = data.draw(strategy)
    obj = params[0] if isinstance(params, tuple) else params
    encoded = obj.encode()
    cut = data.draw(st.integers(0, len(encoded)))
    decode = make_decoder(params)
    assert_decoder_total(decode, encoded[:cut])
    assert_decoder_total(decode, encoded + data.draw(st.binary(min_size=1, max_size=4)))
    if encoded:
        i = data.draw(st.integers(0, len(encoded) - 1))
        flipped = encoded[:i] + bytes([encoded[i] ^ data.draw(st.integers(1, 255))]) + \
            encoded[i + 1:]
        assert_decoder_total(decode, flipped)
