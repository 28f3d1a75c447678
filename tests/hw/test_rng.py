# SPDX-License-Identifier: BSD-3-Clause
"""The deterministic byte source: reproducible, labelled, order independent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtrust.hw.rng import Drbg


def test_same_seed_and_label_give_same_stream() -> None:
    assert Drbg(b"seed", "a").bytes(100) == Drbg(b"seed", "a").bytes(100)


def test_seed_and_label_both_matter() -> None:
    base = Drbg(b"seed", "a").bytes(32)
    assert Drbg(b"seed2", "a").bytes(32) != base
    assert Drbg(b"seed", "b").bytes(32) != base


def test_stream_is_split_invariant() -> None:
    one = Drbg(b"s", "x")
    two = Drbg(b"s", "x")
    assert one.bytes(7) + one.bytes(50) + one.bytes(1) == two.bytes(58)


def test_child_does_not_depend_on_parent_draws() -> None:
    fresh = Drbg(b"s", "root")
    used = Drbg(b"s", "root")
    used.bytes(1000)
    assert fresh.child("k").bytes(48) == used.child("k").bytes(48)
    assert fresh.child("k").bytes(48) != fresh.child("j").bytes(48)


def test_child_label_is_not_a_plain_concatenation_collision() -> None:
    # "a" / "b/c" and "a/b" / "c" name the same path on purpose (labels are paths).
    assert Drbg(b"s", "a").child("b/c").label == Drbg(b"s", "a").child("b").child("c").label


@given(st.integers(min_value=1, max_value=1 << 200))
def test_int_below_stays_in_range(bound: int) -> None:
    value = Drbg(bound.to_bytes(32, "big"), "t").int_below(bound)
    assert 0 <= value < bound


@given(st.integers(min_value=1, max_value=300))
def test_int_bits_width(bits: int) -> None:
    assert Drbg(b"s", str(bits)).int_bits(bits) < 1 << bits


def test_int_range_inclusive_and_errors() -> None:
    drbg = Drbg(b"s", "r")
    values = {drbg.int_range(3, 5) for _ in range(200)}
    assert values == {3, 4, 5}
    with pytest.raises(ValueError):
        drbg.int_below(0)
    with pytest.raises(ValueError):
        drbg.bytes(-1)
    with pytest.raises(TypeError):
        Drbg("text", "x")  # type: ignore[arg-type]
