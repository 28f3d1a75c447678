# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the DSM tests: one placed function and a TDISP responder around it."""

from __future__ import annotations

from dataclasses import dataclass, field

from devtrust.hw.dsm.behaviour import DsmBehaviour
from devtrust.hw.dsm.report_builder import build_report
from devtrust.hw.dsm.tdi import LockParams, Tdi
from devtrust.hw.dsm.tdisp_responder import TdispResponder
from devtrust.hw.pci import Bar, Bdf, MsixPlacement, PciFunction
from devtrust.hw.rng import Drbg
from devtrust.wire.tdisp.header import FunctionId

SESSION = 0x0001_FFFE
STREAM = 1


def make_function(function: int = 0) -> PciFunction:
    """A function with a 64-bit BAR0 (MSI-X table + PBA inside) and a 32-bit BAR2."""
    return PciFunction(
        bdf=Bdf(0, 1, 0, function), vendor_id=0x8086, device_id=0x0D5C, class_code=0x010802,
        bars=(Bar(0, 0x10000, is_64bit=True, prefetchable=True, address=0x38_0000_0000),
              Bar(2, 0x4000, address=0xE000_0000)),
        msix=MsixPlacement(0, 0x8000, 16, 0, 0x9000), is_pf0=function == 0, has_doe=True,
        has_ide=True)


@dataclass
class Rig:
    """A TDISP responder over two TDIs with switchable IDE-key readiness."""

    fn: PciFunction
    tdis: dict[int, Tdi]
    responder: TdispResponder
    behaviour: DsmBehaviour
    keys: set[tuple[int, int]] = field(default_factory=set)

    @property
    def fid(self) -> FunctionId:
        return FunctionId.from_requester_id(self.fn.bdf.requester_id)

    @property
    def tdi(self) -> Tdi:
        return self.tdis[self.fn.bdf.requester_id]

    def send(self, message: bytes, session: int = SESSION) -> bytes:
        return self.responder.handle(message, session)


def make_rig(behaviour: DsmBehaviour | None = None, seed: bytes = b"seed") -> Rig:
    fns = {f.bdf.requester_id: f for f in (make_function(0), make_function(1))}
    tdis = {rid: Tdi(FunctionId.from_requester_id(rid)) for rid in fns}
    behaviour = behaviour or DsmBehaviour()
    keys: set[tuple[int, int]] = {(STREAM, SESSION)}

    def report_for(fid: FunctionId, params: LockParams) -> bytes:
        return build_report(fns[fid.requester_id], params, behaviour.report_flaws)

    responder = TdispResponder(
        tdis, drbg=Drbg(seed, "tdisp"), keys_ready=lambda s, sess: (s, sess) in keys,
        config_valid=lambda fid: True, report_for=report_for, behaviour=behaviour)
    return Rig(fns[0x100], tdis, responder, behaviour, keys)



# -- a whole DSM device built from parts (no scenario file) ---------------------------------
from datetime import UTC, datetime  # noqa: E402
from functools import lru_cache  # noqa: E402

from devtrust.hw.dsm.build import build_dsm  # noqa: E402
from devtrust.hw.dsm.device import DsmDevice  # noqa: E402
from devtrust.hw.faults import FaultSpec  # noqa: E402
from devtrust.hw.fleet import EmulatedDevice, SpdmConfig  # noqa: E402
from devtrust.hw.keys import KeyType  # noqa: E402
from devtrust.hw.measurements import MeasurementSet  # noqa: E402
from devtrust.hw.pki import (  # noqa: E402
    CertFlaw,
    DeviceIdentity,
    LeafProfile,
    PciIds,
    Pki,
    Validity,
)
from devtrust.hw.topology import Device  # noqa: E402

NOW = datetime(2026, 6, 1, tzinfo=UTC)
IDS = PciIds(0x8086, 0x0D5C, 0x010802, 1)


PKI = Pki(Drbg(b"rig-pki", "pki"), Validity(datetime(2025, 1, 1, tzinfo=UTC),
                                           datetime(2045, 1, 1, tzinfo=UTC)), NOW)


@lru_cache(maxsize=32)
def identity(key_type: KeyType, wrong_key: bool = False,
             flaws: frozenset[CertFlaw] = frozenset(), trusted: bool = True) -> DeviceIdentity:
    root = PKI.vendor_root("Rig Vendor", key_type, trusted=trusted)
    ca = PKI.intermediate(root, "Rig CA")
    return PKI.device_identity(ca, IDS, key_type, "SN-0001", manufacturer="Rig Vendor",
                               product="RIG", profile=LeafProfile(flaws),
                               wrong_signing_key=wrong_key)


def measurement_set(version: str = "1.0.0", svn: int = 3) -> MeasurementSet:
    return MeasurementSet.build(Drbg(b"rig-meas", "m"), model="rig", firmware_version=version,
                                svn=svn, hardware_config=b"hw", firmware_config=b"fw")


def device_spec(versions: tuple[int, ...] = (0x12,), key_type: KeyType = KeyType.ECDSA_P384,
                faults: tuple[FaultSpec, ...] = (), after_lock: MeasurementSet | None = None,
                wrong_key: bool = False, flaws: frozenset[CertFlaw] = frozenset(),
                trusted: bool = True) -> EmulatedDevice:
    hash_name = "sha256" if key_type is KeyType.ECDSA_P256 else "sha384"
    device = Device("rig", "hb0", (make_function(0), make_function(1)))
    return EmulatedDevice("rig", "rig", "SN-0001", device, IDS,
                          identity(key_type, wrong_key, flaws, trusted),
                          measurement_set(), after_lock,
                          SpdmConfig(versions, key_type, hash_name, hash_name), faults)


def make_dsm(seed: bytes = b"dsm", **kw: object) -> DsmDevice:
    return build_dsm(device_spec(**kw), Drbg(seed, "dsm"))  # type: ignore[arg-type]


# -- a platform around one device: link TSM + devsec TSM --------------------------------------
from dataclasses import dataclass as _dataclass  # noqa: E402

from devtrust.hw.topology import HostBridge, Window  # noqa: E402
from devtrust.hw.tsm.devsec import DevsecTsm  # noqa: E402
from devtrust.hw.tsm.link import LinkTsm  # noqa: E402


@_dataclass
class Platform:
    dsm: DsmDevice
    link: LinkTsm
    devsec: DevsecTsm

    @property
    def pf0(self) -> Bdf:
        return self.dsm.pf0_bdf

    @property
    def fn1(self) -> Bdf:
        return Bdf(0, 1, 0, 1)

    def connect_bind_lock(self, bdf: Bdf | None = None) -> None:
        bdf = bdf or self.pf0
        assert self.link.connect(self.pf0) == 0
        assert self.link.bind(bdf, 7) == 0
        assert self.devsec.lock(bdf) == 0


def make_platform(seed: bytes = b"dsm", *, digest_mode: bool = False, nr_streams: int = 4,
                  **kw: object) -> Platform:
    dsm = make_dsm(seed, **kw)
    hb = HostBridge("hb0", 0, 0, 0xFF, nr_streams, Window(0xE000_0000, 1 << 28),
                    Window(0x38_0000_0000, 1 << 32))
    link = LinkTsm("tsm0", {dsm.pf0_bdf: dsm}, {"hb0": hb}, Drbg(seed, "link"),
                   digest_mode=digest_mode)
    return Platform(dsm, link, DevsecTsm("tsm1", link, digest_mode=digest_mode))
