# SPDX-License-Identifier: BSD-3-Clause
"""The host ("link") TSM: connect/disconnect PF0s, bind TDIs, relay guest requests.

connect(PF0), in order (kernel-abi.md §3.3.1 step 7, protocols.md §5.1):

1. PF0 must be a known DSM on one of our host bridges (ENXIO) and not connected (EBUSY);
2. allocate an IDE stream slot from the host bridge pool (EBUSY when exhausted);
3. SPDM: VCA, DIGESTS, CERTIFICATE for every provisioned slot, signed MEASUREMENTS
   over a TSM nonce, KEY_EXCHANGE + FINISH (slot 0);
4. IDE_KM over the session: QUERY, KEY_PROG K0 × {RX, TX} × {PR, NPR, CPL}, K_SET_GO × 6;
5. publish evidence: CERTn, VCA, MEASUREMENTS (GET_MEASUREMENTS ‖ MEASUREMENTS incl. its
   signature: libspdm's single-request standard transcript).

Any device failure unwinds what was set up and returns the requester's errno (EIO,
ETIMEDOUT, EAGAIN). Stream names follow the kernel: ``streamH.R.E`` with H the host-bridge
slot, R = E = 0 (one stream per root-port/endpoint pair); the IDE Stream ID is H.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from devtrust.hw.dsm.device import DsmDevice
from devtrust.hw.dsm.events import HwEvent
from devtrust.hw.pci import Bdf
from devtrust.hw.rng import Drbg
from devtrust.hw.topology import HostBridge
from devtrust.hw.tsm.base import EvidenceBook, PciMode, TsmIdentity
from devtrust.hw.tsm.requester import RequesterError, SpdmRequester
from devtrust.wire.errors import WireError
from devtrust.wire.evidence import EvidenceSet, EvidenceType
from devtrust.wire.ide_km import (
    KeyDirection,
    KeyProg,
    KeySubStream,
    KGoStopAck,
    KpAck,
    KpAckStatus,
    KSetGo,
    KSetStop,
    Query,
    QueryResp,
    SubStream,
)
from devtrust.wire.spdm.header import NONCE_SIZE
from devtrust.wire.spdm.vendor import PciProtocol
from devtrust.wire.tdisp.header import FunctionId, TdiState
from devtrust.wire.tdisp.messages import decode_tdisp_response
from devtrust.wire.tdisp.requests import GetDeviceInterfaceState
from devtrust.wire.tdisp.responses import DeviceInterfaceState

__all__ = ["Connected", "LinkTsm"]

_KEYS = tuple(KeySubStream(0, d, s) for d in KeyDirection for s in SubStream)


@dataclass(slots=True)
class Connected:
    """Per-PF0 link state (mutable): requester, session, stream, bound TDIs."""

    device: DsmDevice
    requester: SpdmRequester
    session_id: int
    host_bridge: str
    stream_slot: int
    slots: tuple[int, ...]
    bound: dict[int, int]  # requester id -> tdi_id

    @property
    def stream_id(self) -> int:
        return self.stream_slot

    @property
    def stream_name(self) -> str:
        return f"stream{self.stream_slot}.0.0"


class LinkTsm:
    """A link TSM over the emulated devices of one machine (mutable platform state)."""

    def __init__(self, name: str, devices: Mapping[Bdf, DsmDevice],
                 host_bridges: Mapping[str, HostBridge], drbg: Drbg, *,
                 digest_mode: bool = False) -> None:
        self.identity = TsmIdentity(name, PciMode.LINK)
        self._devices = dict(devices)  # PF0 bdf -> device
        self._bridges = dict(host_bridges)
        self._drbg = drbg
        self._nonces_issued = 0
        self.book = EvidenceBook(digest_mode=digest_mode)
        self._pool: dict[str, list[Bdf | None]] = {
            n: [None] * hb.nr_streams for n, hb in self._bridges.items()}
        self._links: dict[Bdf, Connected] = {}

    @property
    def name(self) -> str:
        return self.identity.name

    # -- lookups ------------------------------------------------------------------------------
    def _device_of(self, bdf: Bdf) -> tuple[Bdf, DsmDevice] | None:
        for pf0, dev in self._devices.items():
            if bdf.requester_id in dev.functions and pf0.domain == bdf.domain:
                return pf0, dev
        return None

    def link_of(self, bdf: Bdf | str) -> Connected | None:
        """The connection covering function ``bdf`` (PF0 or a dependent function)."""
        bdf = _bdf(bdf)
        found = self._device_of(bdf)
        return self._links.get(found[0]) if found else None

    def is_connected(self, bdf: Bdf | str) -> bool:
        return _bdf(bdf) in self._links

    # -- stream accounting (kernel-abi.md §3.5, §4.3) ---------------------------------------------
    def available_streams(self, host_bridge: str) -> int:
        return self._pool[host_bridge].count(None)

    def streams(self, host_bridge: str) -> tuple[tuple[str, Bdf], ...]:
        """(``streamH.R.E``, endpoint PF0) for every established stream on the bridge."""
        return tuple((f"stream{i}.0.0", owner) for i, owner in enumerate(self._pool[host_bridge])
                     if owner is not None)

    def stream_id(self, bdf: Bdf | str) -> int | None:
        link = self.link_of(bdf)
        return link.stream_id if link else None

    # -- connect / disconnect ---------------------------------------------------------------------
    def connect(self, bdf: Bdf | str) -> int:
        """Establish SPDM + IDE with PF0 ``bdf`` and cache its evidence. 0 or an errno."""
        bdf = _bdf(bdf)
        if bdf in self._links:
            return errno.EBUSY
        device = self._devices.get(bdf)
        if device is None or device.host_bridge not in self._pool:
            return errno.ENXIO
        pool = self._pool[device.host_bridge]
        if None not in pool:
            return errno.EBUSY
        slot = pool.index(None)
        requester = SpdmRequester(device.mailbox, self._drbg.child(f"connect/{bdf}"))
        try:
            conn = requester.negotiate()
            digests = requester.digests()
            chains = {s: requester.certificate(s) for s in digests.slots}
            if 0 not in chains:
                raise RequesterError(errno.EIO, "slot 0 not provisioned")
            hash_name = conn.algorithms.hash_name
            for slot_id, digest in zip(digests.slots, digests.digests, strict=True):
                # DIGESTS must name the chains CERTIFICATE delivered (SPDM §3.5).
                if not hmac.compare_digest(hashlib.new(hash_name, chains[slot_id]).digest(),
                                           digest):
                    raise RequesterError(errno.EIO, f"slot {slot_id} digest mismatch")
            requester.challenge(0)
            transcript, _ = requester.measurements(self._drbg.child(f"nonce/{bdf}").bytes(
                NONCE_SIZE))
            session_id = requester.key_exchange(chains[0], 0)
            self._program_keys(requester, slot)
        except RequesterError as exc:
            requester.end_session()
            return exc.errno
        pool[slot] = bdf
        self._links[bdf] = Connected(device, requester, session_id, device.host_bridge, slot,
                                     tuple(sorted(chains)), {})
        evidence = {EvidenceType(s): c for s, c in chains.items()}
        evidence[EvidenceType.VCA] = conn.vca
        evidence[EvidenceType.MEASUREMENTS] = transcript
        self.book.publish(str(bdf), evidence, slot=0)
        return 0

    def _program_keys(self, requester: SpdmRequester, stream: int) -> None:
        def ask(body: bytes) -> bytes:
            return requester.vendor(PciProtocol.IDE_KM, body)

        try:
            QueryResp.decode(ask(Query(0).encode()))
            for sub in _KEYS:
                key = self._drbg.child(f"ide/{stream}/{sub.value}").bytes(32)
                ack = KpAck.decode(ask(KeyProg(stream, sub, 0, key).encode()))
                if ack.status is not KpAckStatus.SUCCESS:
                    raise RequesterError(errno.EIO, f"KEY_PROG refused: {ack.status.name}")
            for sub in _KEYS:
                KGoStopAck.decode(ask(KSetGo(stream, sub, 0).encode()))
        except WireError as exc:
            raise RequesterError(errno.EIO, f"IDE_KM: {exc}") from None

    def disconnect(self, bdf: Bdf | str) -> int:
        """Unbind every TDI, stop the keys, end the session, release the stream."""
        bdf = _bdf(bdf)
        link = self._links.pop(bdf, None)
        if link is None:
            return errno.ENXIO
        link.bound.clear()
        for sub in _KEYS:
            try:
                link.requester.vendor(PciProtocol.IDE_KM,
                                      KSetStop(link.stream_id, sub, 0).encode())
            except RequesterError:
                break  # the session is already gone; END_SESSION below is a no-op too
        link.requester.end_session()
        self._pool[link.host_bridge][link.stream_slot] = None
        self.book.drop(str(bdf))
        return 0

    # -- TDI binding and guest requests (kernel-abi.md §3.3.3) -------------------------------------
    def bind(self, bdf: Bdf | str, tdi_id: int) -> int:
        bdf = _bdf(bdf)
        link = self.link_of(bdf)
        if link is None:
            return errno.ENXIO
        if bdf.requester_id not in link.device.tdis:
            return errno.EINVAL
        current = link.bound.get(bdf.requester_id)
        if current is not None:
            return 0 if current == tdi_id else errno.EBUSY
        link.bound[bdf.requester_id] = tdi_id
        return 0

    def unbind(self, bdf: Bdf | str) -> int:
        link = self.link_of(bdf)
        if link is not None:
            link.bound.pop(_bdf(bdf).requester_id, None)
        return 0

    def bound_tdi(self, bdf: Bdf | str) -> int | None:
        link = self.link_of(bdf)
        return link.bound.get(_bdf(bdf).requester_id) if link else None

    def guest_req(self, bdf: Bdf | str, request: bytes) -> tuple[int, bytes | None]:
        """Relay one TDISP request from the guest; (errno, TDISP response bytes)."""
        link = self.link_of(bdf)
        if link is None or _bdf(bdf).requester_id not in link.bound:
            return errno.ENXIO, None
        try:
            return 0, link.requester.vendor(PciProtocol.TDISP, request)
        except RequesterError as exc:
            return exc.errno, None

    # -- evidence and state -------------------------------------------------------------------
    def evidence(self, bdf: Bdf | str) -> EvidenceSet | None:
        """Connect-time evidence of the device owning ``bdf``."""
        found = self._device_of(_bdf(bdf))
        if found is None or found[0] not in self._links:
            return None
        return self.book.get(str(found[0]))

    def fresh_nonce(self, label: str) -> bytes:
        """32 requester-chosen bytes from the TSM's own seeded source, never repeated."""
        self._nonces_issued += 1
        return self._drbg.child(f"fresh/{label}/{self._nonces_issued}").bytes(NONCE_SIZE)

    def refresh_evidence(self, bdf: Bdf | str, nonce: bytes) -> int:
        """Fresh signed measurements over a relying-party ``nonce`` (a nonce that is not
        32 bytes is reduced with SHA-256 to the 32 bytes SPDM carries)."""
        found = self._device_of(_bdf(bdf))
        link = self._links.get(found[0]) if found else None
        if link is None or found is None:
            return errno.ENXIO
        if len(nonce) != NONCE_SIZE:
            nonce = hashlib.sha256(nonce).digest()
        try:
            transcript, _ = link.requester.measurements(nonce)
        except RequesterError as exc:
            return exc.errno
        current = self.book.get(str(found[0]))
        data = {EvidenceType(i): o.data for i, o in enumerate(current.objects)} if current \
            else {}
        data[EvidenceType.MEASUREMENTS] = transcript
        self.book.publish(str(found[0]), data, slot=0)
        return 0

    def tdi_state(self, bdf: Bdf | str) -> TdiState | None:
        """GET_DEVICE_INTERFACE_STATE over the session (None if not connected/unreadable)."""
        bdf = _bdf(bdf)
        link = self.link_of(bdf)
        if link is None:
            return None
        fid = FunctionId.from_requester_id(bdf.requester_id)
        try:
            raw = link.requester.vendor(PciProtocol.TDISP, GetDeviceInterfaceState(fid).encode())
            response = decode_tdisp_response(raw)
        except (RequesterError, WireError):
            return None
        return response.state if isinstance(response, DeviceInterfaceState) else None

    def devices(self) -> tuple[DsmDevice, ...]:
        """The devices this TSM can connect, in PF0 order."""
        return tuple(d for _b, d in sorted(self._devices.items()))

    def poll_events(self) -> tuple[HwEvent, ...]:
        """Hardware events of every device this TSM manages, device order then time."""
        out: list[HwEvent] = []
        for _pf0, device in sorted(self._devices.items()):
            out.extend(device.events.drain(self.name))
        return tuple(out)


def _bdf(bdf: Bdf | str) -> Bdf:
    return Bdf.parse(bdf) if isinstance(bdf, str) else bdf
