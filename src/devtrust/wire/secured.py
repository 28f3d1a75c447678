# SPDX-License-Identifier: BSD-3-Clause
"""DSP0277 secured-message record framing, structure only (protocols.md §1, §3.15).

    SessionID (4) ‖ SequenceNumber (0 on PCI DOE, 2 on MCTP) ‖ Length (2) ‖
    encrypted data ‖ MAC (16)

Length counts the encrypted data *and* the MAC. Decryption and the AEAD
additional data (SessionID ‖ [SequenceNumber] ‖ Length) belong to the session
layer; :attr:`SecuredRecord.aad` gives it the exact header bytes received.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.wire.codec import Reader, Writer
from devtrust.wire.errors import LengthError

__all__ = ["DOE_SEQUENCE_NUMBER_SIZE", "MAC_SIZE", "MCTP_SEQUENCE_NUMBER_SIZE", "SecuredRecord"]

MAC_SIZE = 16  # AES-256-GCM and ChaCha20-Poly1305 tags
DOE_SEQUENCE_NUMBER_SIZE = 0  # not transmitted on PCI DOE (§1, §3.15)
MCTP_SEQUENCE_NUMBER_SIZE = 2


@dataclass(frozen=True, slots=True)
class SecuredRecord:
    """One secured message record; ``sequence_number`` is b"" on PCI DOE."""

    session_id: int
    ciphertext: bytes
    mac: bytes
    sequence_number: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    STRUCTURE = "DSP0277 secured message"

    def __post_init__(self) -> None:
        if not 0 <= self.session_id <= 0xFFFF_FFFF:
            raise ValueError("session id is 32-bit")
        if len(self.mac) != MAC_SIZE:
            raise ValueError("MAC is 16 bytes")
        if len(self.ciphertext) + MAC_SIZE > 0xFFFF:
            raise ValueError("record longer than the 16-bit Length field allows")
        if len(self.sequence_number) not in (DOE_SEQUENCE_NUMBER_SIZE, MCTP_SEQUENCE_NUMBER_SIZE):
            raise ValueError("sequence number is 0 (PCI DOE) or 2 (MCTP) bytes")

    @property
    def req_session_id(self) -> int:
        """Requester half: the low 16 bits (Session ID = Rsp << 16 | Req, §3.15)."""
        return self.session_id & 0xFFFF

    @property
    def rsp_session_id(self) -> int:
        return self.session_id >> 16

    @property
    def header_size(self) -> int:
        return 6 + len(self.sequence_number)

    @property
    def aad(self) -> bytes:
        """SessionID ‖ [SequenceNumber] ‖ Length: the AEAD additional data."""
        return (self.raw or self.encode())[:self.header_size]

    @classmethod
    def _read(cls, r: Reader, sequence_number_size: int) -> SecuredRecord:
        session_id = r.u32("session_id")
        sequence = r.take(sequence_number_size, "sequence_number")
        at = r.offset
        length = r.u16("length")
        if length < MAC_SIZE:
            raise r.error("length", f"{length} bytes cannot hold the {MAC_SIZE}-byte MAC",
                          offset=at, kind=LengthError)
        if length > r.remaining:
            raise r.error("length", f"{length} bytes announced, {r.remaining} present",
                          offset=at, kind=LengthError)
        ciphertext = r.take(length - MAC_SIZE, "ciphertext")
        return cls(session_id, ciphertext, r.take(MAC_SIZE, "mac"), sequence)

    @classmethod
    def decode(cls, data: bytes, *,
               sequence_number_size: int = DOE_SEQUENCE_NUMBER_SIZE) -> SecuredRecord:
        """Decode exactly one record (PCI DOE framing unless told otherwise)."""
        if sequence_number_size not in (DOE_SEQUENCE_NUMBER_SIZE, MCTP_SEQUENCE_NUMBER_SIZE):
            raise ValueError("sequence_number_size is 0 or 2")
        r = Reader(data, cls.STRUCTURE)
        record = cls._read(r, sequence_number_size)
        r.end()
        return cls(record.session_id, record.ciphertext, record.mac, record.sequence_number,
                   raw=r.data)

    @classmethod
    def from_doe_payload(cls, payload: bytes) -> SecuredRecord:
        """Decode a record from a DOE object's payload, padding included.

        The payload of a Secured CMA/SPDM DOE object is the record plus up to
        three zero bytes of DW padding (§4; seen in the spdm-emu captures);
        ``raw`` holds the record without them.
        """
        r = Reader(payload, cls.STRUCTURE, base=8)
        record = cls._read(r, DOE_SEQUENCE_NUMBER_SIZE)
        end = r.pos
        r.require(r.remaining < 4, "padding", f"{r.remaining} bytes after the record",
                  kind=LengthError)
        r.reserved(r.remaining, "padding")
        return cls(record.session_id, record.ciphertext, record.mac, raw=payload[:end])

    def encode(self) -> bytes:
        w = Writer(self.STRUCTURE)
        w.u32(self.session_id, "session_id").raw(self.sequence_number, "sequence_number")
        w.u16(len(self.ciphertext) + MAC_SIZE, "length")
        w.raw(self.ciphertext, "ciphertext").raw(self.mac, "mac", size=MAC_SIZE)
        return w.getvalue()
