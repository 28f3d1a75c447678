# SPDX-License-Identifier: BSD-3-Clause
"""Trust-level sets and the permissions each level grants (trust-model.md §2, §3).

Three level sets exist (variant V1): Jason's four levels (0 blocked .. 3 private
memory), Dan's five levels (0 disconnected, 1 limited, 2 DMA, 3 Link, 4 TCB) and
the five-level scale with DMA and Link squashed (which leaves four values whose
top is TCB). The table here is the single source of what a level permits; the
IOMMU responder, the DMA API, ioremap and driver binding all read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from types import MappingProxyType

__all__ = [
    "DmaScope",
    "LevelSet",
    "Permissions",
    "Provider",
    "ceiling",
    "level_name",
    "link_level",
    "max_level",
    "parse_level",
    "permissions",
    "tcb_level",
]


class LevelSet(Enum):
    """Variant V1: which ordered level scale the kernel uses."""

    FOUR = "four"            # Jason 03-13: 0 blocked, 1 hostile-possible, 2 no attacks, 3 private
    FIVE = "five"            # Dan 03-23: 0 disconnected, 1 limited, 2 DMA, 3 Link, 4 TCB
    FIVE_SQUASHED = "squashed"  # Dan 03-23 alternative: DMA and Link squashed into one value

    @property
    def tcb(self) -> int:
        """The top level (private memory, encrypted MMIO)."""
        return tcb_level(self)

    @property
    def link(self) -> int | None:
        """The Link level, or None when the scale has none."""
        return link_level(self)

    @property
    def top(self) -> int:
        return max_level(self)


class DmaScope(IntEnum):
    """How far a level lets the device's DMA reach; ordered by privilege."""

    NONE = 0            # IOMMU blocks everything
    STRICT_SHARED = 1   # strict IOMMU, shared memory only, bounce partial mappings
    RELAXED_SHARED = 2  # lazy/FQ/identity allowed, shared memory only
    PRIVATE = 3         # relaxed plus CC private memory


class Provider(Enum):
    """Who supplies the device's trust ops (trust-model.md §2.3 ceilings, §5.1)."""

    NONE = "none"        # no trust ops: levels that need an ACK are unreachable
    SPDM = "spdm"        # native kernel SPDM library: ceiling DMA
    LINK_TSM = "link"    # bare-metal TSM with IDE: ceiling Link
    DEVSEC_TSM = "devsec"  # CC-VM TSM (TDISP): ceiling TCB


@dataclass(frozen=True, slots=True)
class Permissions:
    """What one level grants (trust-model.md §3 consolidated table)."""

    driver_bind: bool
    dma: DmaScope
    ats: bool
    private_memory: bool
    encrypted_mmio: bool
    needs_ack: bool


_NAMES: Mapping[LevelSet, tuple[str, ...]] = MappingProxyType({
    LevelSet.FOUR: ("blocked", "limited", "dma", "private"),
    LevelSet.FIVE: ("disconnected", "limited", "DMA", "Link", "TCB"),
    LevelSet.FIVE_SQUASHED: ("disconnected", "limited", "DMA", "TCB"),
})

_P0 = Permissions(False, DmaScope.NONE, False, False, False, False)
_P1 = Permissions(True, DmaScope.STRICT_SHARED, False, False, False, False)
_P2 = Permissions(True, DmaScope.RELAXED_SHARED, True, False, False, False)
_P_LINK = Permissions(True, DmaScope.RELAXED_SHARED, True, False, False, True)
_P_TCB = Permissions(True, DmaScope.PRIVATE, True, True, True, True)

_TABLE: Mapping[LevelSet, tuple[Permissions, ...]] = MappingProxyType({
    LevelSet.FOUR: (_P0, _P1, _P2, _P_TCB),
    LevelSet.FIVE: (_P0, _P1, _P2, _P_LINK, _P_TCB),
    LevelSet.FIVE_SQUASHED: (_P0, _P1, _P2, _P_TCB),
})


def max_level(levels: LevelSet) -> int:
    return len(_TABLE[levels]) - 1


def tcb_level(levels: LevelSet) -> int:
    """The top level: private memory and encrypted MMIO."""
    return max_level(levels)


def link_level(levels: LevelSet) -> int | None:
    """The Link level (physical link protection), or None when the scale has none."""
    return 3 if levels is LevelSet.FIVE else None


def permissions(levels: LevelSet, level: int) -> Permissions:
    return _TABLE[levels][level]


def level_name(levels: LevelSet, level: int) -> str:
    return _NAMES[levels][level]


def parse_level(levels: LevelSet, text: str, *, names: bool) -> int | None:
    """Parse a ``trust`` write: an integer (V2a) or, with ``names``, also a level name (V2b).

    Returns None when the text names no level of the scale (the caller answers EINVAL).
    """
    word = text.strip()
    if names:
        for i, name in enumerate(_NAMES[levels]):
            if word.lower() == name.lower():
                return i
    if not word or not (word.isdigit() or (word[0] == "+" and word[1:].isdigit())):
        return None
    value = int(word)
    return value if 0 <= value <= max_level(levels) else None


def ceiling(levels: LevelSet, provider: Provider) -> int:
    """Highest level a provider can acknowledge (Dan 03-23: SPDM 2, link TSM 3, devsec TSM 4)."""
    top = max_level(levels)
    if provider is Provider.DEVSEC_TSM:
        return top
    if provider is Provider.LINK_TSM:
        link = link_level(levels)
        return link if link is not None else 2
    return 2
