# SPDX-License-Identifier: BSD-3-Clause
"""Assemble one live DSM device (responders + mailbox) from a fleet device description."""

from __future__ import annotations

from devtrust.hw.dsm.device import DsmDevice
from devtrust.hw.dsm.faults import behaviour_for
from devtrust.hw.dsm.spdm_responder import SlotIdentity, SpdmProfile, SpdmResponder
from devtrust.hw.dsm.transport import DoeMailbox
from devtrust.hw.fleet import EmulatedDevice
from devtrust.hw.rng import Drbg
from devtrust.wire.spdm.algorithms import BaseHashAlgo, DheAlgo

__all__ = ["build_dsm", "profile_for"]


def profile_for(spec: EmulatedDevice) -> SpdmProfile:
    """The SPDM profile of a fleet device (TEE-IO defaults; curve follows the hash)."""
    dhe = DheAlgo.SECP256R1 if spec.spdm.base_hash is BaseHashAlgo.SHA_256 \
        else DheAlgo.SECP384R1
    return SpdmProfile(base_asym=spec.spdm.base_asym, base_hash=spec.spdm.base_hash,
                       measurement_hash=spec.spdm.measurement_hash, dhe=dhe,
                       versions=spec.spdm.versions)


def build_dsm(spec: EmulatedDevice, drbg: Drbg, *, runtime_update: bool = False) -> DsmDevice:
    """The live device for ``spec``; ``drbg`` feeds its nonces and ephemeral keys."""
    behaviour = behaviour_for(spec.faults, after_lock=spec.measurements_after_lock)
    device = DsmDevice(spec.device, drbg=drbg.child("tdisp"), measurements=spec.measurements,
                       behaviour=behaviour, runtime_update=runtime_update)
    profile = profile_for(spec)
    hash_name = spec.spdm.base_hash_name
    slots = {0: SlotIdentity(spec.identity.spdm_chain(hash_name), spec.identity.key)}
    device.spdm = SpdmResponder(
        profile=profile, slots=slots, drbg=drbg.child("spdm"), behaviour=behaviour,
        measurements=lambda: device.measurements, tdisp=device.tdisp.handle,
        idekm=device.idekm.handle, session_ended=device.session_ended)
    device.on_session_end = lambda _all: device.spdm.drop_sessions()
    device.mailbox = DoeMailbox(device.spdm)
    return device
