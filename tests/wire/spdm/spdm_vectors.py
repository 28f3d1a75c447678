# SPDX-License-Identifier: BSD-3-Clause
"""Helpers to read the spdm-emu manifest as NegotiatedAlgorithms (shared by the vector tests)."""

from __future__ import annotations

from devtrust.wire.spdm.algorithms import (
    AeadAlgo,
    BaseAsymAlgo,
    BaseHashAlgo,
    DheAlgo,
    KeyScheduleAlgo,
    MeasurementHashAlgo,
    NegotiatedAlgorithms,
)
from devtrust.wire.spdm.capabilities import CapabilityFlags

__all__ = ["SPDM_MESSAGES", "handshake_in_the_clear", "negotiated_from_manifest"]

ASYM = {
    "TPM_ALG_ECDSA_ECC_NIST_P256": BaseAsymAlgo.ECDSA_P256,
    "TPM_ALG_ECDSA_ECC_NIST_P384": BaseAsymAlgo.ECDSA_P384,
    "TPM_ALG_ECDSA_ECC_NIST_P521": BaseAsymAlgo.ECDSA_P521,
    "TPM_ALG_RSASSA_2048": BaseAsymAlgo.RSASSA_2048,
    "TPM_ALG_RSASSA_3072": BaseAsymAlgo.RSASSA_3072,
    "TPM_ALG_RSASSA_4096": BaseAsymAlgo.RSASSA_4096,
    "TPM_ALG_RSAPSS_2048": BaseAsymAlgo.RSAPSS_2048,
    "TPM_ALG_RSAPSS_3072": BaseAsymAlgo.RSAPSS_3072,
    "TPM_ALG_RSAPSS_4096": BaseAsymAlgo.RSAPSS_4096,
}
DHE = {"secp256r1": DheAlgo.SECP256R1, "secp384r1": DheAlgo.SECP384R1,
       "secp521r1": DheAlgo.SECP521R1}

SPDM_MESSAGES = frozenset({
    "GET_VERSION", "VERSION", "GET_CAPABILITIES", "CAPABILITIES", "NEGOTIATE_ALGORITHMS",
    "ALGORITHMS", "GET_DIGESTS", "DIGESTS", "GET_CERTIFICATE", "CERTIFICATE", "CHALLENGE",
    "CHALLENGE_AUTH", "GET_MEASUREMENTS", "MEASUREMENTS", "KEY_EXCHANGE", "KEY_EXCHANGE_RSP",
    "PSK_EXCHANGE", "PSK_EXCHANGE_RSP", "PSK_FINISH", "PSK_FINISH_RSP", "VENDOR_DEFINED_REQUEST",
    "VENDOR_DEFINED_RESPONSE", "END_SESSION", "END_SESSION_ACK", "HEARTBEAT", "HEARTBEAT_ACK",
    "KEY_UPDATE", "KEY_UPDATE_ACK", "FINISH", "FINISH_RSP", "ERROR", "RESPOND_IF_READY",
})


def negotiated_from_manifest(neg: dict) -> NegotiatedAlgorithms:
    """The manifest's 'negotiated' entry as NegotiatedAlgorithms (independent of our VCA code)."""
    major, minor = neg["spdm_version"].split(".")
    return NegotiatedAlgorithms(
        int(major) << 4 | int(minor), ASYM[neg["base_asym_algo"]],
        BaseHashAlgo[neg["base_hash_algo"]], MeasurementHashAlgo[neg["measurement_hash_algo"]],
        neg["measurement_specification"], neg["other_params_selection"],
        dhe=DHE[neg["dhe"]], aead=AeadAlgo[neg["aead"]],
        req_base_asym=ASYM[neg["req_base_asym_alg"]],
        key_schedule=KeyScheduleAlgo(neg["key_schedule"]))


def handshake_in_the_clear(neg: dict) -> bool:
    """Both sides set HANDSHAKE_IN_THE_CLEAR_CAP."""
    bit = CapabilityFlags.HANDSHAKE_IN_THE_CLEAR_CAP
    return all(int(neg[k], 16) & bit for k in ("requester_capability_flags",
                                               "responder_capability_flags"))
