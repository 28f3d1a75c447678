# SPDX-License-Identifier: BSD-3-Clause
"""The whole emulated hardware of a scenario: devices with their DSMs, host bridges, TSMs.

:meth:`Machine.build` is deterministic in the scenario alone (seed and clock): keys,
certificates, measurements, nonces and IDE keys all come from the scenario's DRBG, so two
machines built from one scenario produce byte-identical evidence for the same operations.

TSMs: ``tsm0`` is the host link TSM (connect/disconnect/bind/unbind/guest_req), ``tsm1``
the guest devsec TSM (lock/accept/unlock) relaying through ``tsm0``. Both can run in
digest mode (evidence objects carry SHA-384 digests delivered over the trusted channel).
"""

from __future__ import annotations

from dataclasses import dataclass

from devtrust.hw.dsm.build import build_dsm
from devtrust.hw.dsm.device import DsmDevice
from devtrust.hw.dsm.events import HwEvent
from devtrust.hw.fleet import Fleet, build_fleet
from devtrust.hw.pci import Bdf
from devtrust.hw.scenario import default_scenario
from devtrust.hw.scenario_schema import Scenario
from devtrust.hw.tsm.devsec import DevsecTsm
from devtrust.hw.tsm.link import LinkTsm

__all__ = ["DEVSEC_TSM", "LINK_TSM", "Machine"]

LINK_TSM = "tsm0"
DEVSEC_TSM = "tsm1"


@dataclass(slots=True)
class Machine:
    """Live emulated hardware (mutable): devices by name, and the two TSMs."""

    fleet: Fleet
    devices: dict[str, DsmDevice]
    link: LinkTsm
    devsec: DevsecTsm

    @classmethod
    def build(cls, scenario: Scenario | None = None, *, digest_mode: bool = False,
              runtime_update: bool = False) -> Machine:
        """Build everything ``scenario`` (default: the shipped default scenario) describes."""
        fleet = build_fleet(scenario or default_scenario())
        devices = {spec.name: build_dsm(spec, fleet.rng(f"dsm/{spec.name}"),
                                        runtime_update=runtime_update)
                   for spec in fleet.devices}
        by_pf0 = {dev.pf0_bdf: dev for dev in devices.values()}
        bridges = {hb.name: hb for hb in fleet.topology.host_bridges}
        link = LinkTsm(LINK_TSM, by_pf0, bridges, fleet.rng("tsm/link"),
                       digest_mode=digest_mode)
        devsec = DevsecTsm(DEVSEC_TSM, link, digest_mode=digest_mode)
        return cls(fleet, devices, link, devsec)

    @property
    def tsms(self) -> tuple[LinkTsm | DevsecTsm, ...]:
        return (self.link, self.devsec)

    def device(self, name: str) -> DsmDevice:
        return self.devices[name]

    def device_at(self, bdf: Bdf | str) -> DsmDevice:
        """The device owning function ``bdf``."""
        return self.devices[self.fleet.device_at(bdf).name]

    def poll_events(self) -> tuple[HwEvent, ...]:
        """New hardware events of every device (the platform's own cursor), device order."""
        out: list[HwEvent] = []
        for name in sorted(self.devices):
            out.extend(self.devices[name].events.drain("platform"))
        return tuple(out)
