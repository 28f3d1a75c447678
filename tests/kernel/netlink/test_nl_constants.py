# SPDX-License-Identifier: BSD-3-Clause
"""constants.py is exactly what gen_constants renders from pci_tsm.yaml (STYLE 15)."""

from __future__ import annotations

from devtrust.kernel.netlink import constants as spec
from devtrust.kernel.netlink import gen_constants
from devtrust.wire import evidence


def test_generated_file_is_current() -> None:
    rendered = gen_constants.render(gen_constants.SOURCE.read_text())
    assert gen_constants.OUTPUT.read_text() == rendered, (
        "constants.py is stale: run python -m devtrust.kernel.netlink.gen_constants")
    assert "GENERATED FILE" in rendered and "pci_tsm.yaml" in rendered


def test_appendix_a_values() -> None:
    assert (spec.FAMILY_NAME, spec.FAMILY_VERSION) == ("pci-tsm", 1)
    assert spec.CMD_EVIDENCE_READ == 1 and spec.CMD_MAX == 1
    ids = (spec.A_EVIDENCE_OBJECT_TYPE, spec.A_EVIDENCE_OBJECT_TYPE_MASK,
           spec.A_EVIDENCE_OBJECT_FLAGS, spec.A_EVIDENCE_OBJECT_DEV_NAME,
           spec.A_EVIDENCE_OBJECT_NONCE, spec.A_EVIDENCE_OBJECT_VAL)
    assert ids == (1, 2, 3, 4, 5, 6) and spec.A_EVIDENCE_OBJECT_MAX == 6
    assert spec.EVIDENCE_TYPE_FLAG_MASK == 2047 and spec.EVIDENCE_FLAG_DIGEST == 1
    assert spec.MAX_OBJECT_SIZE == 16777216 and spec.MAX_NONCE_SIZE == 256
    assert spec.MAX_OBJ_TYPE == 4 and spec.EVIDENCE_TYPE_MAX == 10
    assert spec.CMD_EVIDENCE_READ_ADMIN_PERM and spec.CMD_EVIDENCE_READ_IS_DUMP
    assert spec.CMD_EVIDENCE_READ_REQUEST_ATTRS == (2, 3, 4, 5)
    assert spec.CMD_EVIDENCE_READ_REPLY_ATTRS == (1, 6)


def test_wire_vocabulary_agrees_with_yaml() -> None:
    for kind in evidence.EvidenceType:
        assert getattr(spec, f"EVIDENCE_TYPE_{kind.name}") == int(kind)
        assert getattr(spec, f"EVIDENCE_TYPE_FLAG_{kind.name}") == kind.flag
    assert evidence.EVIDENCE_TYPE_FLAG_MASK == spec.EVIDENCE_TYPE_FLAG_MASK
    assert evidence.EVIDENCE_FLAG_MASK == spec.EVIDENCE_FLAG_MASK
    assert evidence.MAX_OBJECT_SIZE == spec.MAX_OBJECT_SIZE
    assert evidence.MAX_NONCE_SIZE == spec.MAX_NONCE_SIZE
