# SPDX-License-Identifier: BSD-3-Clause
"""SPDM 1.0-1.3 wire codecs (protocols.md §3).

Each message is an immutable dataclass with ``decode`` / ``encode`` and the
received ``raw`` bytes; sizes that depend on the negotiated algorithms are
decode parameters. :func:`decode_message` dispatches by code,
:func:`negotiated_from_vca` and :func:`iter_measurement_exchanges` split transcripts.
"""

from devtrust.wire.spdm.algorithms import (
    AeadAlgo,
    BaseAsymAlgo,
    BaseHashAlgo,
    DheAlgo,
    KeyScheduleAlgo,
    MeasurementHashAlgo,
    NegotiatedAlgorithms,
    dhe_size,
    hash_size,
    signature_size,
)
from devtrust.wire.spdm.algorithms_msg import (
    Algorithms,
    AlgStruct,
    AlgType,
    ExtAlg,
    NegotiateAlgorithms,
    SupportedAlgorithms,
)
from devtrust.wire.spdm.capabilities import Capabilities, CapabilityFlags, GetCapabilities
from devtrust.wire.spdm.certchain import SpdmCertChain, split_der_certificates
from devtrust.wire.spdm.certificate import (
    MAX_CHAIN_SIZE,
    Certificate,
    CertificateAssembler,
    GetCertificate,
)
from devtrust.wire.spdm.challenge import Challenge, ChallengeAuth, MeasurementSummaryHashType
from devtrust.wire.spdm.digests import Digests, GetDigests
from devtrust.wire.spdm.error import ErrorCode, ErrorResponse, RespondIfReady, ResponseNotReady
from devtrust.wire.spdm.header import RequestCode, ResponseCode, SpdmVersion, peek_code
from devtrust.wire.spdm.measurement_block import (
    DmtfValueType,
    MeasurementBlock,
    MeasurementRecord,
)
from devtrust.wire.spdm.measurements import (
    ContentChanged,
    GetMeasurements,
    MeasurementAttributes,
    Measurements,
)
from devtrust.wire.spdm.message import NEEDS, SpdmMessage, decode_message, is_request_code
from devtrust.wire.spdm.session import (
    EndSession,
    EndSessionAck,
    Finish,
    FinishRsp,
    KeyExchange,
    KeyExchangeRsp,
)
from devtrust.wire.spdm.session_control import (
    Heartbeat,
    HeartbeatAck,
    KeyUpdate,
    KeyUpdateAck,
    KeyUpdateOperation,
)
from devtrust.wire.spdm.session_psk import PskExchange, PskExchangeRsp, PskFinish, PskFinishRsp
from devtrust.wire.spdm.transcript import (
    iter_measurement_exchanges,
    negotiated_from_vca,
    split_vca,
    vca_length,
)
from devtrust.wire.spdm.vendor import VendorDefinedMessage
from devtrust.wire.spdm.version import GetVersion, Version, VersionEntry

__all__ = [
    "MAX_CHAIN_SIZE",
    "NEEDS",
    "AeadAlgo",
    "AlgStruct",
    "AlgType",
    "Algorithms",
    "BaseAsymAlgo",
    "BaseHashAlgo",
    "Capabilities",
    "CapabilityFlags",
    "Certificate",
    "CertificateAssembler",
    "Challenge",
    "ChallengeAuth",
    "ContentChanged",
    "DheAlgo",
    "Digests",
    "DmtfValueType",
    "EndSession",
    "EndSessionAck",
    "ErrorCode",
    "ErrorResponse",
    "ExtAlg",
    "Finish",
    "FinishRsp",
    "GetCapabilities",
    "GetCertificate",
    "GetDigests",
    "GetMeasurements",
    "GetVersion",
    "Heartbeat",
    "HeartbeatAck",
    "KeyExchange",
    "KeyExchangeRsp",
    "KeyScheduleAlgo",
    "KeyUpdate",
    "KeyUpdateAck",
    "KeyUpdateOperation",
    "MeasurementAttributes",
    "MeasurementBlock",
    "MeasurementHashAlgo",
    "MeasurementRecord",
    "MeasurementSummaryHashType",
    "Measurements",
    "NegotiateAlgorithms",
    "NegotiatedAlgorithms",
    "PskExchange",
    "PskExchangeRsp",
    "PskFinish",
    "PskFinishRsp",
    "RequestCode",
    "RespondIfReady",
    "ResponseCode",
    "ResponseNotReady",
    "SpdmCertChain",
    "SpdmMessage",
    "SpdmVersion",
    "SupportedAlgorithms",
    "VendorDefinedMessage",
    "Version",
    "VersionEntry",
    "decode_message",
    "dhe_size",
    "hash_size",
    "is_request_code",
    "iter_measurement_exchanges",
    "negotiated_from_vca",
    "peek_code",
    "signature_size",
    "split_der_certificates",
    "split_vca",
    "vca_length",
]
